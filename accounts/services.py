from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from accounts.models import Membership, Organisation, User
from core.exceptions import ApplicationError

_ROLES_BY_KIND = {
    Organisation.Kind.BUYER: {Membership.Role.PROCUREMENT_MANAGER, Membership.Role.REVIEWER},
    Organisation.Kind.SUPPLIER: {Membership.Role.SUPPLIER},
}


@transaction.atomic
def organisation_create(*, name: str, kind: str, slug: str = "", **fields) -> Organisation:
    organisation = Organisation(name=name, kind=kind, slug=slug or slugify(name)[:80], **fields)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def membership_create(*, user: User, organisation: Organisation, role: str) -> Membership:
    if role not in _ROLES_BY_KIND[organisation.kind]:
        raise ApplicationError(
            f"A {organisation.get_kind_display().lower()} organisation cannot have the role "
            f"{Membership.Role(role).label.lower()}."
        )
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    return membership
