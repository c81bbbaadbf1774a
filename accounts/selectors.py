from django.db.models import QuerySet

from accounts.models import Membership, Organisation, User


def membership_list_for_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def organisation_ids_for_user(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_organisation_ids", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        user._organisation_ids = cached
    return cached


def organisation_list_for_user(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).distinct()
