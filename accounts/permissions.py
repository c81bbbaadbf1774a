"""Who may do what with organisations; predicates for the `rules` package."""

import rules

from accounts.models import Membership
from accounts.selectors import organisation_ids_for_user


@rules.predicate
def is_member(user, organisation) -> bool:
    return organisation is not None and organisation.pk in organisation_ids_for_user(user)


def _has_role(user, organisation, *roles: str) -> bool:
    if not user.is_authenticated or organisation is None:
        return False
    return Membership.objects.filter(user=user, organisation=organisation, role__in=roles).exists()


@rules.predicate
def is_procurement_manager(user, organisation) -> bool:
    return _has_role(user, organisation, Membership.Role.PROCUREMENT_MANAGER)


@rules.predicate
def is_buyer_staff(user, organisation) -> bool:
    return _has_role(
        user, organisation, Membership.Role.PROCUREMENT_MANAGER, Membership.Role.REVIEWER
    )


rules.add_perm("accounts.view_organisation", is_member | rules.is_staff)
rules.add_perm("accounts.change_organisation", is_procurement_manager | rules.is_superuser)
