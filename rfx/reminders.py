"""E-mails about the proposal deadline: reminders 72 h and 24 h before it, and the closing notice.

Each reminder goes once per RFx: the beat job claims it with a conditional update of
`reminded_72h_at` / `reminded_24h_at` before enqueueing the e-mail on commit, so two
beat runs (or two workers) never send it twice. An RFx published less than 24 hours
before its deadline gets only the 24 h reminder.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rfx.models import Invitation, RFx

REMINDERS = ((24, "reminded_24h_at"), (72, "reminded_72h_at"))


def _site() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def _recipients(rfx: RFx, *, only_unsubmitted: bool) -> list[str]:
    from rfx.services import _supplier_emails

    invitations = rfx.invitations.exclude(status=Invitation.Status.DECLINED)
    if only_unsubmitted:
        invitations = invitations.exclude(
            supplier_id__in=rfx.proposals.filter(submitted_at__isnull=False).values("supplier_id")
        )
    addresses = [address for invitation in invitations for address in _supplier_emails(invitation)]
    return list(dict.fromkeys(addresses))


def _remind(rfx: RFx, hours: int) -> None:
    from rfx.services import _notify, _when

    _notify(
        f"{hours} hours left: {rfx.title}",
        f'Proposals to "{rfx.title}" from {rfx.buyer} are due by {_when(rfx.proposal_deadline)}, '
        f"about {hours} hours from now, and we have no submitted proposal from you yet.\n\n"
        "After the deadline nothing more can be sent. Open the RFx: "
        f"{_site()}/rfx/{rfx.pk}/\n",
        _recipients(rfx, only_unsubmitted=True),
    )


def send_deadline_reminders() -> list[int]:
    """Send the reminders that are due; returns the ids of the RFx reminded about."""
    now = timezone.now()
    due = RFx.objects.filter(
        Q(reminded_72h_at__isnull=True) | Q(reminded_24h_at__isnull=True),
        status=RFx.Status.PUBLISHED,
        proposal_deadline__gt=now,
        proposal_deadline__lte=now + timedelta(hours=72),
    ).select_related("buyer")
    reminded = []
    for rfx in due:
        for hours, field in REMINDERS:
            if rfx.proposal_deadline > now + timedelta(hours=hours):
                continue
            if getattr(rfx, field) is not None:
                break  # this one went already; an earlier one is not sent late
            # The 24 h reminder stands in for a 72 h one that was never sent.
            fields = {name: now for _, name in REMINDERS if getattr(rfx, name) is None}
            if hours == 72:
                fields = {field: now}
            with transaction.atomic():
                claimed = RFx.objects.filter(pk=rfx.pk, **{f"{field}__isnull": True}).update(
                    **fields
                )
                if claimed:
                    _remind(rfx, hours)
                    reminded.append(rfx.pk)
            break
    return reminded


def notify_closed(rfx: RFx) -> None:
    """Tell the invited suppliers that the deadline has passed (call inside the close service)."""
    from rfx.services import _notify, _when

    _notify(
        f"{rfx.title} has closed",
        f'The RFx "{rfx.title}" from {rfx.buyer} has closed: the proposal deadline '
        f"{_when(rfx.proposal_deadline) if rfx.proposal_deadline else ''} has passed and no more "
        "proposals or changes are "
        "accepted. The evaluation team will now review the proposals; you will hear the outcome "
        f"by e-mail.\n\n{_site()}/rfx/{rfx.pk}/\n",
        _recipients(rfx, only_unsubmitted=False),
    )
