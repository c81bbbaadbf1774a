"""Who may see and manage frameworks; predicates for the `rules` package."""

import rules

from accounts.permissions import is_procurement_manager
from accounts.selectors import organisation_ids_for_user


@rules.predicate
def is_public_framework(user, framework) -> bool:
    return framework is not None and framework.owner_id is None


@rules.predicate
def is_framework_owner_member(user, framework) -> bool:
    return framework is not None and framework.owner_id in organisation_ids_for_user(user)


@rules.predicate
def manages_framework_owner(user, framework) -> bool:
    return (
        framework is not None
        and framework.owner is not None
        and is_procurement_manager(user, framework.owner)
    )


rules.add_perm(
    "principles.view_framework", is_public_framework | is_framework_owner_member | rules.is_staff
)
rules.add_perm("principles.change_framework", manages_framework_owner | rules.is_superuser)
