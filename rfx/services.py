"""Every write to an RFx: templates, editing and addenda, lifecycle, invitations, clarifications,
sealed proposals, the evaluation team, the price envelope and the award (DESIGN §6).

Lifecycle changes go through `_transition` and its table `TRANSITIONS`, nowhere else.
Every service a supplier calls checks the server's clock (`timezone.now()`) against the
RFx's deadlines itself: the status may still say published while the deadline has passed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.utils import bulk_create_with_history

from accounts.models import Membership, Organisation, User
from assessments import services as assessment_services
from assessments.models import Assessment, ReviewerAssignment
from core.exceptions import ApplicationError
from core.uploads import check_upload
from principles.models import Framework, Question
from rfx import catalogue
from rfx.models import (
    Addendum,
    Award,
    Clarification,
    Invitation,
    Proposal,
    ProposalDocument,
    ProposalVersion,
    RFx,
    RFxReviewer,
    Section,
    SupplierFeedback,
    TermsScore,
)
from rfx.sanitise import sanitise_html

logger = logging.getLogger(__name__)

S = RFx.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.EVALUATED, S.CANCELLED}),
    S.EVALUATED: frozenset({S.AWARDED, S.CANCELLED}),
    S.AWARDED: frozenset(),
    S.CANCELLED: frozenset(),
}

TIMELINE_FIELDS = [
    "issue_date",
    "clarification_deadline",
    "proposal_deadline",
    "shortlist_date",
    "contract_drafting_date",
]
TIMELINE_LABELS = {
    "issue_date": "issue date",
    "clarification_deadline": "deadline for clarification questions",
    "proposal_deadline": "proposal deadline",
    "shortlist_date": "short-list date",
    "contract_drafting_date": "contract drafting date",
}
WEIGHT_FIELDS = {
    "weight_maturity": "maturity",
    "weight_extra": "extra questions",
    "weight_terms": "terms",
    "weight_cost": "cost",
}
EDITABLE_FIELDS = {
    "title",
    "framework",
    "extra_framework",
    "has_competition",
    "disqualify_on_critical_red_flags",
    "blind_grading",
    *WEIGHT_FIELDS,
    *TIMELINE_FIELDS,
}
# Suppliers' proposals are built on these, so they are settled at publishing.
FIXED_AFTER_PUBLISHING = {"framework", "extra_framework"}
CURRENCY = re.compile(r"^[A-Z]{3}$")
INVITATION_PATH = "/rfx/invitations/{token}/"


def extension_days() -> int:
    return int(getattr(settings, "RFX_ADDENDUM_EXTENSION_DAYS", 3))


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def hash_token(token: str) -> str:
    """What is stored of a one-time link's token: only its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- who ----------------------------------------------------------------------------------------


def _has_role(user: User, organisation_id: int, *roles: str) -> bool:
    return (
        bool(user and user.is_authenticated)
        and Membership.objects.filter(
            user=user, organisation_id=organisation_id, role__in=roles
        ).exists()
    )


def _require_manager(rfx: RFx, user: User) -> None:
    if not _has_role(user, rfx.buyer_id, Membership.Role.PROCUREMENT_MANAGER):
        raise ApplicationError(f"Only a procurement manager of {rfx.buyer} can do this.")


def _require_supplier_member(organisation_id: int, user: User) -> None:
    if not _has_role(user, organisation_id, Membership.Role.SUPPLIER):
        raise ApplicationError("Only a member of the invited supplier can do this.")


def _supplier_emails(invitation: Invitation) -> list[str]:
    members = (
        Membership.objects.filter(
            organisation_id=invitation.supplier_id,
            role=Membership.Role.SUPPLIER,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys([invitation.email, *members]))


def _notify(subject: str, body: str, recipients: list[str]) -> None:
    from core.tasks import send_notification_email

    recipients = [address for address in recipients if address]
    if recipients:
        # robust: a broker outage must not undo the change that prompted the e-mail.
        transaction.on_commit(
            lambda: send_notification_email.delay(subject, body, recipients), robust=True
        )


def _invited(rfx: RFx) -> list[Invitation]:
    return list(
        rfx.invitations.exclude(status=Invitation.Status.DECLINED).select_related("supplier")
    )


# --- lifecycle ----------------------------------------------------------------------------------


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def _lock(rfx: RFx) -> RFx:
    """Lock the row for this transaction and bring the caller's instance up to date."""
    rfx.refresh_from_db(from_queryset=RFx.objects.select_for_update())
    return rfx


def _transition(rfx: RFx, target: str, **fields: Any) -> RFx:
    """The one place an RFx changes status."""
    locked = RFx.objects.select_for_update().get(pk=rfx.pk)
    if not can_transition(locked.status, target):
        raise ApplicationError(
            f"An RFx that is {locked.get_status_display().lower()} cannot become "
            f"{RFx.Status(target).label.lower()}."
        )
    locked.status = target
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save(update_fields=["status", "updated_at", *fields])
    rfx.refresh_from_db()
    return rfx


# --- creating and editing -----------------------------------------------------------------------


@transaction.atomic
def rfx_create(
    *,
    buyer: Organisation,
    user: User,
    title: str,
    kind: str = RFx.Kind.RFP,
    framework: Framework | None = None,
) -> RFx:
    """A draft RFx with the template's sections, each holding the example the buyer replaces."""
    if buyer.kind != Organisation.Kind.BUYER:
        raise ApplicationError("Only a buyer organisation can issue an RFx.")
    if not _has_role(user, buyer.pk, Membership.Role.PROCUREMENT_MANAGER):
        raise ApplicationError(f"Only a procurement manager of {buyer} can create an RFx.")
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError("Give the RFx a title.")
    if len(title) > 200:
        raise ApplicationError("The title is longer than 200 characters.")
    if kind not in RFx.Kind.values:
        raise ApplicationError("Choose a request for proposal or a request for information.")
    rfx = RFx(buyer=buyer, kind=kind, title=title, created_by=user)
    if kind == RFx.Kind.RFI:
        # A market survey: nothing is scored, so no weights and no competition.
        rfx.weight_maturity = rfx.weight_extra = rfx.weight_terms = rfx.weight_cost = 0
    if framework is not None:
        _check_framework(rfx, framework, extra=False)
        rfx.framework = framework
    rfx.full_clean()
    rfx.save()
    bulk_create_with_history(
        [
            Section(
                rfx=rfx,
                key=item["key"],
                title=item["title"],
                guidance=item.get("guidance", ""),
                body=sanitise_html(item.get("example", "")),
                order=order,
            )
            for order, item in enumerate(catalogue.template(kind)["sections"])
        ],
        Section,
    )
    return rfx


def _check_framework(rfx: RFx, framework: Framework | None, *, extra: bool) -> None:
    if framework is None:
        return
    if framework.owner_id not in (None, rfx.buyer_id):
        raise ApplicationError(f"{framework} belongs to another organisation.")
    if extra and framework.kind != Framework.Kind.QUESTIONNAIRE:
        raise ApplicationError(
            f"{framework} is not a questionnaire; choose your own extra questions."
        )
    if not extra and framework.kind != Framework.Kind.MATURITY:
        raise ApplicationError(f"{framework} is not a maturity framework.")


def validation_errors(
    rfx: RFx, *, now: datetime, future_fields: set[str], publishing: bool
) -> dict[str, str]:
    """Field → a message a person can act on; empty when the RFx is fine."""
    errors: dict[str, str] = {}
    for name, label in WEIGHT_FIELDS.items():
        value = getattr(rfx, name)
        if value is None or value < 0:
            errors[name] = f"The {label} weight cannot be negative."
    if (
        rfx.kind == RFx.Kind.RFP
        and not errors
        and not any(getattr(rfx, name) for name in WEIGHT_FIELDS)
    ):
        errors["weight_maturity"] = (
            "Give at least one weight above zero, or proposals cannot be ranked."
        )
    if rfx.kind == RFx.Kind.RFI and (
        any(getattr(rfx, name) for name in WEIGHT_FIELDS) or rfx.has_competition
    ):
        errors["kind"] = "A request for information has no weights and no competition."
    previous = None
    for name in TIMELINE_FIELDS:
        value = getattr(rfx, name)
        if value is None:
            continue
        if timezone.is_naive(value):
            errors[name] = f"Give the {TIMELINE_LABELS[name]} with a time zone."
            continue
        if name in future_fields and name != "issue_date" and value <= now:
            errors[name] = f"The {TIMELINE_LABELS[name]} must be in the future."
        elif previous is not None and value < getattr(rfx, previous):
            errors[name] = (
                f"The {TIMELINE_LABELS[name]} cannot be before the {TIMELINE_LABELS[previous]} "
                f"({_when(getattr(rfx, previous))})."
            )
        previous = name
    if publishing:
        for name in ("clarification_deadline", "proposal_deadline"):
            if getattr(rfx, name) is None and name not in errors:
                errors[name] = f"Set the {TIMELINE_LABELS[name]} before publishing."
        if rfx.kind == RFx.Kind.RFP and rfx.framework_id is None:
            errors["framework"] = (
                "Choose the maturity framework version suppliers answer before publishing."
            )
        if rfx.status == S.DRAFT:  # the competition is fixed at publishing
            from rfx.competition_services import competition_publishing_problem

            problem = competition_publishing_problem(rfx)
            if problem:
                errors["competition"] = problem
    return errors


def _raise_if_invalid(errors: dict[str, str]) -> None:
    if errors:
        raise ApplicationError(" ".join(errors.values()), extra={"errors": errors})


@transaction.atomic
def rfx_update(*, rfx: RFx, user: User, summary: str = "", **fields: Any) -> RFx:
    """Change settings, weights or the timeline; after publishing, the change is an addendum."""
    _require_manager(rfx, user)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    _lock(rfx)
    if rfx.status not in (S.DRAFT, S.PUBLISHED):
        raise ApplicationError(
            f"This RFx is {rfx.get_status_display().lower()} and can no longer be changed."
        )
    published = rfx.status == S.PUBLISHED
    if published and FIXED_AFTER_PUBLISHING & set(fields):
        raise ApplicationError(
            "The questionnaires cannot change after publishing: suppliers are answering them."
        )
    if published and fields.get("has_competition", rfx.has_competition) != rfx.has_competition:
        raise ApplicationError(
            "The competition gate cannot change after publishing: suppliers rely on it."
        )
    if "framework" in fields:
        _check_framework(rfx, fields["framework"], extra=False)
    if "extra_framework" in fields:
        _check_framework(rfx, fields["extra_framework"], extra=True)
    if "title" in fields:
        fields["title"] = " ".join((fields["title"] or "").split())
        if not fields["title"]:
            raise ApplicationError("Give the RFx a title.")
    changes = {
        name: {"before": _plain(getattr(rfx, name)), "after": _plain(value)}
        for name, value in fields.items()
        if getattr(rfx, name) != value
    }
    if not changes:
        return rfx
    if (
        published
        and "proposal_deadline" in fields
        and (
            fields["proposal_deadline"] is None
            or fields["proposal_deadline"] < rfx.proposal_deadline
        )
    ):
        raise ApplicationError("After publishing, the proposal deadline can only move later.")
    for name, value in fields.items():
        setattr(rfx, name, value)
    now = timezone.now()
    _raise_if_invalid(
        validation_errors(rfx, now=now, future_fields=set(changes), publishing=published)
    )
    if published:
        _addendum(rfx, user=user, summary=summary, changes={"fields": changes}, now=now)
    rfx.full_clean()
    rfx.save()
    return rfx


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return value


@transaction.atomic
def section_update(
    *, section: Section, user: User, body: str, title: str | None = None, summary: str = ""
) -> Section:
    """Save a section's rich text, sanitised; after publishing, the change is an addendum."""
    rfx = RFx.objects.select_for_update().get(pk=section.rfx_id)
    _require_manager(rfx, user)
    if rfx.status not in (S.DRAFT, S.PUBLISHED):
        raise ApplicationError(
            f"This RFx is {rfx.get_status_display().lower()} and can no longer be changed."
        )
    clean = sanitise_html(body)
    if len(clean) > 100_000:
        raise ApplicationError(f"{section.title}: the text is longer than 100,000 characters.")
    new_title = section.title if title is None else " ".join(title.split())[:200]
    if not new_title:
        raise ApplicationError("Give the section a title.")
    if clean == section.body and new_title == section.title:
        return section
    if rfx.status == S.PUBLISHED:
        _addendum(
            rfx,
            user=user,
            summary=summary or f"{new_title} changed.",
            changes={"sections": [section.key]},
            now=timezone.now(),
        )
        rfx.save()
    section.body = clean
    section.title = new_title
    section.save(update_fields=["body", "title", "updated_at"])
    return section


def _addendum(rfx: RFx, *, user: User, summary: str, changes: dict, now: datetime) -> Addendum:
    """Record a change to a published RFx, move a close deadline, tell the suppliers.

    Inside the last `RFX_ADDENDUM_EXTENSION_DAYS` before the deadline, the deadline
    moves to that many days after the addendum, so every supplier has that long to
    react; later dates move with it when they would otherwise come before it.
    The caller saves the RFx.
    """
    before = rfx.proposal_deadline
    if before is None or now >= before:
        raise ApplicationError("The proposal deadline has passed; the RFx can no longer change.")
    days = extension_days()
    after = (
        max(before, now + timedelta(days=days)) if before - now < timedelta(days=days) else before
    )
    shift = after - before
    if shift:
        rfx.proposal_deadline = after
        moving = after
        for name in ("shortlist_date", "contract_drafting_date"):
            value = getattr(rfx, name)
            if value is not None and value < moving:
                setattr(rfx, name, value + shift)
            moving = getattr(rfx, name) or moving
    # A later deadline deserves its reminders again (each is sent once per deadline).
    remaining = rfx.proposal_deadline - now
    if rfx.reminded_72h_at and remaining > timedelta(hours=72):
        rfx.reminded_72h_at = None
    if rfx.reminded_24h_at and remaining > timedelta(hours=24):
        rfx.reminded_24h_at = None
    number = (rfx.addenda.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    text = " ".join((summary or "").split()) or "The RFx was changed."
    addendum = Addendum.objects.create(
        rfx=rfx,
        number=number,
        summary=text[:2000],
        changes=changes,
        deadline_before=before,
        deadline_after=after,
        created_by=user,
    )
    Proposal.objects.filter(rfx=rfx, submitted_at__isnull=False).update(needs_reconfirmation=True)
    deadline_note = (
        f"The proposal deadline has moved to {_when(after)}."
        if shift
        else f"The proposal deadline is still {_when(after)}."
    )
    recipients = [
        address for invitation in _invited(rfx) for address in _supplier_emails(invitation)
    ]
    _notify(
        f"Addendum {number} to {rfx.title}",
        f'{rfx.buyer} has changed the RFx "{rfx.title}".\n\n{text}\n\n{deadline_note}\n'
        "If you have submitted a proposal, please review the change and submit it again "
        "to confirm it.",
        list(dict.fromkeys(recipients)),
    )
    return addendum


@transaction.atomic
def extra_questionnaire_load(
    *, rfx: RFx, user: User, text: str, source: str = "extra-questions.yaml"
) -> Framework:
    """Load the buyer's own questionnaire file (owned by the buyer) and attach it to the draft."""
    from principles.services import framework_load

    _require_manager(rfx, user)
    if rfx.status != S.DRAFT:
        raise ApplicationError("The extra questions can only change while the RFx is a draft.")
    framework = framework_load(text=text, source=source, owner=rfx.buyer).framework
    if framework.kind != Framework.Kind.QUESTIONNAIRE:
        raise ApplicationError(f"{source}: give kind: questionnaire for extra questions.")
    rfx_update(rfx=rfx, user=user, extra_framework=framework)
    return framework


# --- publishing, closing, cancelling ------------------------------------------------------------


@transaction.atomic
def rfx_publish(*, rfx: RFx, user: User) -> RFx:
    _require_manager(rfx, user)
    now = timezone.now()
    _lock(rfx)
    if rfx.issue_date is None:
        rfx.issue_date = now
    errors = validation_errors(rfx, now=now, future_fields=set(TIMELINE_FIELDS), publishing=True)
    if can_transition(rfx.status, S.PUBLISHED):
        _raise_if_invalid(errors)
    _transition(rfx, S.PUBLISHED, published_at=now, issue_date=rfx.issue_date)
    for invitation in rfx.invitations.filter(status=Invitation.Status.PENDING, token_hash=""):
        invitation_send(invitation=invitation, user=user)
    return rfx


@transaction.atomic
def rfx_cancel(*, rfx: RFx, user: User, reason: str) -> RFx:
    _require_manager(rfx, user)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApplicationError("Say why the RFx is cancelled: the invited suppliers are told.")
    was_published = rfx.status != S.DRAFT
    _transition(rfx, S.CANCELLED, cancel_reason=reason[:2000])
    if was_published:
        recipients = [
            address for invitation in _invited(rfx) for address in _supplier_emails(invitation)
        ]
        _notify(
            f"{rfx.title} is cancelled",
            f'{rfx.buyer} has cancelled the RFx "{rfx.title}".\n\n{reason}',
            list(dict.fromkeys(recipients)),
        )
    return rfx


@transaction.atomic
def rfx_close(*, rfx: RFx) -> RFx:
    """Open the sealed proposals once the deadline has passed, for the buyer's team to review."""
    now = timezone.now()
    _lock(rfx)
    if rfx.status == S.PUBLISHED and rfx.proposal_deadline and now < rfx.proposal_deadline:
        raise ApplicationError(
            f"The proposal deadline is {_when(rfx.proposal_deadline)}; the RFx closes then."
        )
    _transition(rfx, S.CLOSED, closed_at=now)
    for proposal in rfx.proposals.filter(submitted_at__isnull=False).select_related(
        "maturity_assessment", "extra_assessment"
    ):
        for assessment in _assessments(proposal):
            assessment.reviewing_organisation_id = rfx.buyer_id
            assessment.save(update_fields=["reviewing_organisation", "updated_at"])
    for member in rfx.reviewers.select_related("reviewer"):
        _assign_to_proposals(rfx, member)
    from rfx.reminders import notify_closed

    notify_closed(rfx)  # e-mail the invited suppliers: the RFx has closed
    return rfx


def rfx_close_due() -> list[int]:
    """Close every published RFx whose deadline has passed (the beat job); returns their ids."""
    closed = []
    due = RFx.objects.filter(status=S.PUBLISHED, proposal_deadline__lte=timezone.now()).values_list(
        "pk", flat=True
    )
    for rfx_id in list(due):
        try:
            rfx_close(rfx=RFx.objects.get(pk=rfx_id))
        except ApplicationError:
            continue  # another worker closed it first, or an addendum moved the deadline
        closed.append(rfx_id)
    return closed


def _assessments(proposal: Proposal) -> list[Assessment]:
    return [a for a in (proposal.maturity_assessment, proposal.extra_assessment) if a is not None]


# --- invitations --------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, rfx: RFx, supplier: Organisation, email: str, user: User) -> Invitation:
    """Invite a supplier; the e-mail with its one-time link goes now, or at publishing."""
    _require_manager(rfx, user)
    if rfx.status not in (S.DRAFT, S.PUBLISHED):
        raise ApplicationError(
            f"This RFx is {rfx.get_status_display().lower()}; no one more can be invited."
        )
    if rfx.status == S.PUBLISHED and timezone.now() >= rfx.proposal_deadline:
        raise ApplicationError("The proposal deadline has passed; no one more can be invited.")
    if supplier.kind != Organisation.Kind.SUPPLIER:
        raise ApplicationError(f"{supplier} is not a supplier organisation.")
    invitation = Invitation(
        rfx=rfx, supplier=supplier, email=(email or "").strip(), invited_by=user
    )
    from django.core.exceptions import ValidationError

    try:
        invitation.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError:
        raise ApplicationError(f"{email!r} is not a valid e-mail address.") from None
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ApplicationError(f"{supplier} is already invited to this RFx.") from None
    if rfx.status == S.PUBLISHED:
        invitation_send(invitation=invitation, user=user)
    return invitation


@transaction.atomic
def invitation_send(*, invitation: Invitation, user: User | None = None) -> str:
    """(Re)send the invitation with a new one-time link; any earlier link stops working.

    Only the token's hash is stored; the token is returned and put in the e-mail. Only while
    the RFx takes proposals: published, and before the deadline by the server's clock (the
    close job may not have run yet), so no link goes out that could no longer be used.
    """
    rfx = RFx.objects.get(pk=invitation.rfx_id)
    if rfx.status == S.DRAFT:
        raise ApplicationError("Invitations are sent when the RFx is published.")
    if rfx.status != S.PUBLISHED:
        raise ApplicationError(
            f"This RFx is {rfx.get_status_display().lower()}, so invitations are no longer sent."
        )
    if rfx.proposal_deadline is None or timezone.now() >= rfx.proposal_deadline:
        when = f" on {_when(rfx.proposal_deadline)}" if rfx.proposal_deadline else ""
        raise ApplicationError(
            f"The proposal deadline passed{when}, so the invitation was not sent again."
        )
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.token_sent_at = timezone.now()
    invitation.token_used_at = None
    invitation.save(update_fields=["token_hash", "token_sent_at", "token_used_at", "updated_at"])
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    _notify(
        f"Invitation: {rfx.title}",
        f'{rfx.buyer} invites {invitation.supplier} to respond to "{rfx.title}".\n\n'
        f"Proposals are due by {_when(rfx.proposal_deadline)}.\n\n"
        f"Open the invitation (the link works once): {site}{INVITATION_PATH.format(token=token)}\n",
        [invitation.email],
    )
    return token


@transaction.atomic
def invitation_redeem(*, token: str, user: User) -> Invitation:
    """Follow the one-time link: it works once, for a member of the invited supplier."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=hash_token(token or ""))
        .exclude(token_hash="")
        .select_related("rfx", "supplier")
        .first()
    )
    if invitation is None:
        raise ApplicationError("This invitation link is not valid. Ask the buyer to send it again.")
    if invitation.token_used_at is not None:
        raise ApplicationError(
            "This invitation link has already been used. Sign in and open the RFx from your list."
        )
    _require_supplier_member(invitation.supplier_id, user)
    invitation.token_used_at = timezone.now()
    invitation.save(update_fields=["token_used_at", "updated_at"])
    return invitation


def _require_before_deadline(rfx: RFx, now: datetime | None = None) -> None:
    """The server's clock decides, whatever the status still says."""
    now = now or timezone.now()
    if rfx.status != S.PUBLISHED or rfx.proposal_deadline is None or now >= rfx.proposal_deadline:
        when = f" on {_when(rfx.proposal_deadline)}" if rfx.proposal_deadline else ""
        raise ApplicationError(f"The proposal deadline passed{when}; nothing more can be sent.")


def require_proposal_open(assessment: Assessment) -> None:
    """Refuse a write to a proposal's questionnaire once its RFx stops accepting proposals."""
    proposal = (
        Proposal.objects.select_related("rfx")
        .filter(Q(maturity_assessment=assessment) | Q(extra_assessment=assessment))
        .first()
    )
    if proposal is None:
        raise ApplicationError("This questionnaire belongs to no proposal and cannot be changed.")
    _require_before_deadline(proposal.rfx)


TECHNICAL_SCORES_LOCKED = "The technical scores are locked and can no longer change."
# Taking someone off a review takes their scores with them (assessments' assignment_withdraw).
REVIEW_TEAM_LOCKED = (
    "The technical scores of this RFx are locked, so its reviewers can no longer leave or be "
    "removed: the scores they gave stay part of the evaluation."
)


def require_technical_scores_open(
    assessment: Assessment, *, message: str = TECHNICAL_SCORES_LOCKED
) -> None:
    """Refuse a change to a proposal questionnaire's scores once its RFx has locked them.

    The lock opens the price envelope, so from then on no technical score may move:
    reviewer and consensus scores and red-flag dismissals feed the maturity component, and
    so does who is on the review (a reviewer who leaves takes their scores along).
    """
    if RFx.objects.filter(
        Q(proposals__maturity_assessment=assessment) | Q(proposals__extra_assessment=assessment),
        technical_scores_locked_at__isnull=False,
    ).exists():
        raise ApplicationError(message)


def require_reviewer_criterion(assessment: Assessment, reviewer: User, question) -> None:
    """A reviewer assigned to some criteria of an RFx scores only questions of those criteria."""
    # Only the maturity questionnaire is split by criterion; extra questions are for all.
    codes = (
        RFxReviewer.objects.filter(
            rfx__proposals__maturity_assessment=assessment, reviewer=reviewer
        )
        .values_list("criterion_codes", flat=True)
        .first()
    )
    criterion = question.criterion.code
    if codes and criterion not in codes:
        raise ApplicationError(
            f"You are assigned to criteria {', '.join(codes)} of this RFx; "
            f"question {question.code} belongs to criterion {criterion}."
        )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, accept_terms: bool) -> Invitation:
    _require_supplier_member(invitation.supplier_id, user)
    _require_before_deadline(invitation.rfx)
    if not accept_terms:
        raise ApplicationError("Accept the terms of taking part to accept the invitation.")
    if invitation.status == Invitation.Status.ACCEPTED:
        return invitation
    now = timezone.now()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.terms_accepted_at = now
    invitation.responded_at = now
    invitation.responded_by = user
    invitation.decline_reason = ""
    invitation.save()
    return invitation


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User, reason: str) -> Invitation:
    _require_supplier_member(invitation.supplier_id, user)
    _require_before_deadline(invitation.rfx)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApplicationError("Say briefly why you decline; it helps the buyer.")
    if Proposal.objects.filter(
        rfx_id=invitation.rfx_id, supplier_id=invitation.supplier_id, submitted_at__isnull=False
    ).exists():
        raise ApplicationError("You have submitted a proposal, so you cannot decline any more.")
    invitation.status = Invitation.Status.DECLINED
    invitation.decline_reason = reason[:2000]
    invitation.responded_at = timezone.now()
    invitation.responded_by = user
    invitation.save()
    return invitation


@transaction.atomic
def invitation_respond(
    *, token: str, user: User, accept_terms: bool | None = None, reason: str | None = None
) -> Invitation:
    """Answer an invitation through its one-time link: the link is used only if the answer
    (acceptance when `reason` is None, otherwise declining) is recorded."""
    invitation = invitation_redeem(token=token, user=user)
    if reason is None:
        return invitation_accept(invitation=invitation, user=user, accept_terms=bool(accept_terms))
    return invitation_decline(invitation=invitation, user=user, reason=reason)


def _accepted_invitation(rfx: RFx, user: User) -> Invitation:
    invitation = (
        rfx.invitations.filter(
            status=Invitation.Status.ACCEPTED,
            supplier__memberships__user=user,
            supplier__memberships__role=Membership.Role.SUPPLIER,
        ).first()
        if user.is_authenticated
        else None
    )
    if invitation is None:
        raise ApplicationError(
            "Only an invited supplier that has accepted the invitation can do this."
        )
    return invitation


# --- clarifications -----------------------------------------------------------------------------


@transaction.atomic
def clarification_ask(*, rfx: RFx, user: User, question: str) -> Clarification:
    invitation = (
        rfx.invitations.exclude(status=Invitation.Status.DECLINED)
        .filter(
            supplier__memberships__user=user, supplier__memberships__role=Membership.Role.SUPPLIER
        )
        .first()
        if user.is_authenticated
        else None
    )
    if invitation is None:
        raise ApplicationError("Only an invited supplier can ask a clarification question.")
    now = timezone.now()
    deadline = rfx.clarification_deadline
    if rfx.status != S.PUBLISHED or deadline is None or now >= deadline:
        when = f" on {_when(deadline)}" if deadline else ""
        raise ApplicationError(f"The deadline for clarification questions passed{when}.")
    question = (question or "").strip()
    if not question:
        raise ApplicationError("Write your question.")
    if len(question) > 5000:
        raise ApplicationError("The question is longer than 5,000 characters.")
    clarification = Clarification.objects.create(
        rfx=rfx, supplier=invitation.supplier, asked_by=user, question=question
    )
    managers = (
        Membership.objects.filter(
            organisation_id=rfx.buyer_id, role=Membership.Role.PROCUREMENT_MANAGER
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    _notify(
        f"Clarification question on {rfx.title}",
        f'A supplier has asked a clarification question on "{rfx.title}". '
        "Answer it on the RFx page.",
        list(managers),
    )
    return clarification


@transaction.atomic
def clarification_answer(
    *, clarification: Clarification, user: User, answer: str, publish: bool = False
) -> Clarification:
    """Answer privately, or publish it to every invited supplier without naming the asker."""
    rfx = clarification.rfx
    _require_manager(rfx, user)
    if rfx.status != S.PUBLISHED:
        raise ApplicationError("Clarifications can only be answered while the RFx is open.")
    answer = (answer or "").strip()
    if not answer:
        raise ApplicationError("Write the answer.")
    if len(answer) > 10000:
        raise ApplicationError("The answer is longer than 10,000 characters.")
    clarification.answer = answer
    clarification.answered_by = user
    clarification.answered_at = timezone.now()
    if publish:
        clarification.visibility = Clarification.Visibility.PUBLISHED
    clarification.full_clean()
    clarification.save()
    subject = f"Clarification answered: {rfx.title}"
    if clarification.visibility == Clarification.Visibility.PUBLISHED:
        recipients = [
            address for invitation in _invited(rfx) for address in _supplier_emails(invitation)
        ]
        body = (
            f'A clarification has been published on "{rfx.title}".\n\n'
            f"Question: {clarification.question}\n\n"
            f"Answer: {answer}\n"
        )
    else:
        recipients = [clarification.asked_by.email] if clarification.asked_by else []
        body = (
            f'Your clarification question on "{rfx.title}" has been answered. '
            "Read it on the RFx page."
        )
    _notify(subject, body, list(dict.fromkeys(recipients)))
    return clarification


# --- proposals ----------------------------------------------------------------------------------


@transaction.atomic
def proposal_start(*, rfx: RFx, user: User) -> Proposal:
    """The supplier's proposal with its draft questionnaires; the same one when called again."""
    _require_before_deadline(rfx)
    invitation = _accepted_invitation(rfx, user)
    existing = Proposal.objects.filter(rfx=rfx, supplier=invitation.supplier).first()
    if existing is not None:
        return existing
    maturity = extra = None
    # No reviewing organisation yet: the buyer sees nothing until the RFx closes.
    if rfx.framework_id:
        maturity = assessment_services.assessment_create(
            framework=rfx.framework,
            organisation=invitation.supplier,
            user=user,
            kind=Assessment.Kind.PROPOSAL,
            title=f"{rfx.title}: maturity questionnaire",
        )
    if rfx.extra_framework_id:
        extra = assessment_services.assessment_create(
            framework=rfx.extra_framework,
            organisation=invitation.supplier,
            user=user,
            kind=Assessment.Kind.PROPOSAL,
            title=f"{rfx.title}: extra questions",
        )
    try:
        with transaction.atomic():
            return Proposal.objects.create(
                rfx=rfx,
                supplier=invitation.supplier,
                maturity_assessment=maturity,
                extra_assessment=extra,
                created_by=user,
            )
    except IntegrityError:
        raise ApplicationError("Your organisation already has a proposal for this RFx.") from None


def _require_proposal_writer(proposal: Proposal, user: User) -> None:
    _require_supplier_member(proposal.supplier_id, user)
    _require_before_deadline(proposal.rfx)


def clean_price(amount: Any, currency: Any) -> tuple[Decimal | None, str]:
    if amount in (None, ""):
        return None, ""
    try:
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError(f"{amount!r} is not an amount of money.") from None
    if not value.is_finite() or value <= 0:
        raise ApplicationError("The price must be more than zero.")
    if value != value.quantize(Decimal("0.01")) or value >= Decimal("1e14"):
        raise ApplicationError(
            "Give the price with at most two decimal places and fewer than 15 digits."
        )
    code = str(currency or "").strip().upper()
    if not CURRENCY.match(code):
        raise ApplicationError("Give the currency as a three-letter ISO code, such as GBP or EUR.")
    return value, code


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    user: User,
    licence_terms: str | None = None,
    service_terms: str | None = None,
    price_amount: Any = ...,
    price_currency: Any = None,
) -> Proposal:
    _require_proposal_writer(proposal, user)
    fields = []
    for name, value in (("licence_terms", licence_terms), ("service_terms", service_terms)):
        if value is not None:
            if len(value) > 20000:
                raise ApplicationError("The terms are longer than 20,000 characters.")
            setattr(proposal, name, value)
            fields.append(name)
    if price_amount is not ...:
        proposal.price_amount, proposal.price_currency = clean_price(price_amount, price_currency)
        fields += ["price_amount", "price_currency"]
    proposal.save(update_fields=[*fields, "updated_at"])
    return proposal


def _proposal_assessment(proposal: Proposal, assessment: Assessment) -> Assessment:
    if assessment.pk not in (proposal.maturity_assessment_id, proposal.extra_assessment_id):
        raise ApplicationError("That questionnaire is not part of this proposal.")
    return assessment


def proposal_answer_save(
    *, proposal: Proposal, assessment: Assessment, question: Question, user: User, **fields: Any
):
    """Answer a proposal's questionnaire: the deadline check, then the ordinary answer service."""
    _require_proposal_writer(proposal, user)
    return assessment_services.answer_save(
        assessment=_proposal_assessment(proposal, assessment),
        question=question,
        user=user,
        **fields,
    )


def proposal_evidence_add(
    *, proposal: Proposal, assessment: Assessment, question: Question, user: User, **fields: Any
):
    _require_proposal_writer(proposal, user)
    return assessment_services.evidence_add(
        assessment=_proposal_assessment(proposal, assessment),
        question=question,
        user=user,
        **fields,
    )


# --- proposal documents -------------------------------------------------------------------------

PROPOSAL_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
PROPOSAL_DOCUMENTS_MAX = 20
# Contracts, SLAs and price lists: documents and spreadsheets, not images or archives.
PROPOSAL_DOCUMENT_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".txt": None,
    ".md": None,
}


def _locked_proposal(proposal: Proposal) -> Proposal:
    """The proposal row locked for this transaction: a submission and a removal never overlap."""
    return Proposal.objects.select_for_update().select_related("rfx").get(pk=proposal.pk)


@transaction.atomic
def proposal_document_add(
    *, proposal: Proposal, user: User, kind: str, file: UploadedFile | None, title: str = ""
) -> ProposalDocument:
    """Attach a file to the licence or the service terms of the draft, before the deadline."""
    proposal = _locked_proposal(proposal)
    _require_proposal_writer(proposal, user)
    if kind not in ProposalDocument.Kind.values:
        raise ApplicationError("Say whether the document belongs to the licence or service terms.")
    if not file:
        raise ApplicationError("Choose a file to upload.")
    if not file.size:
        raise ApplicationError(f"{file.name}: the file is empty.")
    check_upload(file, types=PROPOSAL_DOCUMENT_TYPES, max_bytes=PROPOSAL_DOCUMENT_MAX_BYTES)
    if ProposalDocument.objects.filter(proposal=proposal).count() >= PROPOSAL_DOCUMENTS_MAX:
        raise ApplicationError(
            f"{file.name}: a proposal holds at most {PROPOSAL_DOCUMENTS_MAX} documents. "
            "Remove one you no longer need first."
        )
    title = " ".join((title or "").split()) or PurePath(file.name or "").name
    document = ProposalDocument(
        proposal=proposal,
        kind=kind,
        title=title[:200],
        file=file,
        size=file.size,
        content_type=(getattr(file, "content_type", "") or "")[:100],
        uploaded_by=user,
    )
    document.full_clean(exclude=["file"])
    document.save()
    return document


@transaction.atomic
def proposal_document_remove(*, document: ProposalDocument, user: User) -> bool:
    """Take a document off the draft; True when it is kept because a submitted version lists it.

    A document that no version lists is deleted with its file (once the transaction commits);
    one that a version lists is only marked removed, so that version keeps what it sent.
    """
    from rfx.selectors import proposal_document_ids_in_versions

    proposal = _locked_proposal(document.proposal)
    _require_proposal_writer(proposal, user)
    document = ProposalDocument.all_objects.get(pk=document.pk)
    if document.removed_at is not None:
        raise ApplicationError(f"{document.title} has already been removed from your proposal.")
    if document.pk in proposal_document_ids_in_versions(proposal):
        document.removed_at = timezone.now()
        document.save(update_fields=["removed_at", "updated_at"])
        return True
    name, storage = document.file.name, document.file.storage
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
    return False


def _documents_snapshot(proposal: Proposal) -> list[dict[str, Any]]:
    return [
        {"id": pk, "kind": kind, "title": title, "size": size}
        for pk, kind, title, size in ProposalDocument.objects.filter(proposal=proposal)
        .order_by("created_at", "pk")
        .values_list("pk", "kind", "title", "size")
    ]


@transaction.atomic
def proposal_submit(*, proposal: Proposal, user: User) -> ProposalVersion:
    """Submit or resubmit before the deadline; draft questionnaires are submitted too."""
    proposal = Proposal.objects.select_for_update().select_related("rfx").get(pk=proposal.pk)
    _require_proposal_writer(proposal, user)
    rfx = proposal.rfx
    if rfx.kind == RFx.Kind.RFP and proposal.price_amount is None:
        raise ApplicationError("Give a price before submitting the proposal.")
    assessment_versions: dict[str, int | None] = {}
    for key, assessment in (
        ("maturity", proposal.maturity_assessment),
        ("extra", proposal.extra_assessment),
    ):
        if assessment is None:
            assessment_versions[key] = None
            continue
        if assessment.is_draft:
            version = assessment_services.assessment_submit(assessment=assessment, user=user)
            assessment_versions[key] = version.number
        else:
            assessment_versions[key] = assessment.versions.order_by("-number").values_list(
                "number", flat=True
            )[0]
    now = timezone.now()
    number = (
        proposal.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    version = ProposalVersion.objects.create(
        proposal=proposal,
        number=number,
        submitted_by=user,
        snapshot={
            "licence_terms": proposal.licence_terms,
            "service_terms": proposal.service_terms,
            "price_amount": None
            if proposal.price_amount is None
            else format(proposal.price_amount, "f"),
            "price_currency": proposal.price_currency,
            "maturity_assessment_version": assessment_versions["maturity"],
            "extra_assessment_version": assessment_versions["extra"],
            "documents": _documents_snapshot(proposal),
            "submitted_at": now.isoformat(),
            "addenda_seen": rfx.addenda.count(),
        },
    )
    proposal.submitted_at = now
    proposal.needs_reconfirmation = False
    proposal.save(update_fields=["submitted_at", "needs_reconfirmation", "updated_at"])
    return version


@transaction.atomic
def proposal_reopen(*, proposal: Proposal, user: User) -> Proposal:
    """Reopen the submitted questionnaires for changes; the submitted versions stay."""
    _require_proposal_writer(proposal, user)
    for assessment in _assessments(proposal):
        if not assessment.is_draft:
            assessment_services.assessment_reopen(assessment=assessment, user=user)
    return proposal


# --- evaluation team ----------------------------------------------------------------------------


@transaction.atomic
def rfx_reviewer_assign(
    *,
    rfx: RFx,
    reviewer: User,
    user: User,
    is_lead: bool = False,
    criterion_codes: list[str] | None = None,
) -> RFxReviewer:
    _require_manager(rfx, user)
    if rfx.status in (S.AWARDED, S.CANCELLED):
        raise ApplicationError(f"This RFx is {rfx.get_status_display().lower()}.")
    if not _has_role(
        reviewer, rfx.buyer_id, Membership.Role.REVIEWER, Membership.Role.PROCUREMENT_MANAGER
    ):
        raise ApplicationError(f"{reviewer} is not on the evaluation team of {rfx.buyer}.")
    codes = list(dict.fromkeys(criterion_codes or []))
    if codes:
        known = (
            set(rfx.framework.criteria.values_list("code", flat=True))
            if rfx.framework_id
            else set()
        )
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ApplicationError(f"Unknown criterion code(s): {', '.join(unknown)}.")
    if is_lead:
        RFxReviewer.objects.filter(rfx=rfx, is_lead=True).exclude(reviewer=reviewer).update(
            is_lead=False
        )
    member, _ = RFxReviewer.objects.update_or_create(
        rfx=rfx, reviewer=reviewer, defaults={"is_lead": is_lead, "criterion_codes": codes}
    )
    if rfx.status not in (S.DRAFT, S.PUBLISHED):
        _assign_to_proposals(rfx, member)
    return member


@transaction.atomic
def rfx_reviewer_declare_no_conflict(*, member: RFxReviewer, user: User) -> RFxReviewer:
    if member.reviewer_id != user.pk:
        raise ApplicationError("Only the reviewer can declare their own conflicts of interest.")
    if member.no_conflict_declared_at is None:
        member.no_conflict_declared_at = timezone.now()
        member.save(update_fields=["no_conflict_declared_at", "updated_at"])
    for assignment in ReviewerAssignment.objects.filter(
        reviewer=member.reviewer, assessment__in=_handed_assessment_ids(member.rfx)
    ):
        assessment_services.conflict_declare(assignment=assignment)
    return member


@transaction.atomic
def rfx_reviewer_remove(*, rfx: RFx, reviewer: User, user: User) -> None:
    """Take a reviewer off the RFx's evaluation team and off its proposals' questionnaires.

    Refused once the RFx is awarded or cancelled: the team is part of the record; and once
    the technical scores are locked, after which no score may move. Refused
    too once the reviewer has recorded anything on this RFx's proposals (a question score,
    a consensus score, a terms score or a red-flag dismissal): that stays part of the
    evaluation, with its author. Until then nothing of theirs counts, so the team place and
    the questionnaire assignments are deleted; the history of each keeps who removed them
    and when.
    """
    from assessments.models import ConsensusScore, RedFlag, ReviewerScore

    _require_manager(rfx, user)
    rfx = _lock(rfx)
    if rfx.status in (S.AWARDED, S.CANCELLED):
        raise ApplicationError(
            f"This RFx is {rfx.get_status_display().lower()}: its evaluation team is part of "
            "the record and no longer changes."
        )
    if rfx.technical_scores_locked_at is not None:
        raise ApplicationError(REVIEW_TEAM_LOCKED)
    member = RFxReviewer.objects.filter(rfx=rfx, reviewer=reviewer).first()
    if member is None:
        raise ApplicationError(f"{reviewer} is not on the evaluation team of this RFx.")
    assessment_ids = [
        pk
        for pair in rfx.proposals.values_list("maturity_assessment_id", "extra_assessment_id")
        for pk in pair
        if pk
    ]
    on_proposals = Q(assessment_id__in=assessment_ids)
    recorded = (
        TermsScore.objects.filter(proposal__rfx=rfx, reviewer=reviewer).exists()
        or ReviewerScore.objects.filter(on_proposals, reviewer=reviewer).exists()
        or ConsensusScore.objects.filter(on_proposals, set_by=reviewer).exists()
        or RedFlag.objects.filter(on_proposals, dismissed_by=reviewer).exists()
    )
    if recorded:
        raise ApplicationError(
            f"{reviewer} has already scored proposals of this RFx (or dismissed a red flag); "
            "that stays part of the evaluation, so they stay on the team."
        )
    for item in [
        *ReviewerAssignment.objects.filter(assessment_id__in=assessment_ids, reviewer=reviewer),
        member,
    ]:
        item._history_user = user
        item.delete()


def _handed_assessment_ids(rfx: RFx) -> list[int]:
    ids = []
    for maturity, extra in rfx.proposals.filter(submitted_at__isnull=False).values_list(
        "maturity_assessment_id", "extra_assessment_id"
    ):
        ids += [pk for pk in (maturity, extra) if pk]
    return ids


def _assign_to_proposals(rfx: RFx, member: RFxReviewer) -> None:
    for assessment in Assessment.objects.filter(
        pk__in=_handed_assessment_ids(rfx), reviewing_organisation=rfx.buyer
    ):
        assignment = assessment_services.reviewer_assign(
            assessment=assessment, reviewer=member.reviewer, is_lead=member.is_lead
        )
        if member.no_conflict_declared_at is not None:
            assessment_services.conflict_declare(assignment=assignment)


@transaction.atomic
def terms_score_set(
    *, proposal: Proposal, reviewer: User, score: int, comment: str = ""
) -> TermsScore:
    rfx = proposal.rfx
    if rfx.status != S.CLOSED:
        raise ApplicationError(
            "Licence and terms are scored while the RFx is closed for evaluation."
        )
    if rfx.technical_scores_locked_at is not None:
        raise ApplicationError("The technical scores are locked and can no longer change.")
    member = RFxReviewer.objects.filter(rfx=rfx, reviewer=reviewer).first()
    if member is None or member.no_conflict_declared_at is None:
        raise ApplicationError(
            "Only a reviewer of this RFx who has declared no conflict of interest can score."
        )
    if proposal.submitted_at is None:
        raise ApplicationError("This supplier submitted nothing, so there is nothing to score.")
    if score not in (0, 1, 2, 3):
        raise ApplicationError("A score is 0 (not met), 1 (partially met), 2 (met) or 3 (exceeds).")
    value, _ = TermsScore.objects.update_or_create(
        proposal=proposal,
        reviewer=reviewer,
        defaults={"score": score, "comment": (comment or "")[:5000]},
    )
    return value


@transaction.atomic
def rfx_lock_technical_scores(*, rfx: RFx, user: User) -> RFx:
    """Seal the technical scores; only then does the price envelope open to the evaluation team."""
    _require_manager(rfx, user)
    _lock(rfx)
    if rfx.status != S.CLOSED:
        raise ApplicationError(
            "Technical scores are locked after the RFx closes and before it is evaluated."
        )
    if rfx.technical_scores_locked_at is None:
        rfx.technical_scores_locked_at = timezone.now()
        rfx.save(update_fields=["technical_scores_locked_at", "updated_at"])
    return rfx


@transaction.atomic
def rfx_mark_evaluated(*, rfx: RFx, user: User) -> RFx:
    _require_manager(rfx, user)
    _lock(rfx)
    if rfx.technical_scores_locked_at is None:
        raise ApplicationError("Lock the technical scores before finishing the evaluation.")
    return _transition(rfx, S.EVALUATED)


# --- award --------------------------------------------------------------------------------------


@transaction.atomic
def rfx_award(*, rfx: RFx, proposal: Proposal, justification: str, user: User) -> Award:
    """Record the decision and each unsuccessful supplier's feedback (its own figures only)."""
    from rfx.selectors import evaluation_inputs

    _require_manager(rfx, user)
    justification = (justification or "").strip()
    if not justification:
        raise ApplicationError("Give the reasons for the award: they are kept with the decision.")
    if proposal.rfx_id != rfx.pk or proposal.submitted_at is None:
        raise ApplicationError("Choose a proposal that was submitted to this RFx.")
    _transition(rfx, S.AWARDED)
    award = Award.objects.create(
        rfx=rfx, proposal=proposal, justification=justification[:10000], awarded_by=user
    )
    inputs = evaluation_inputs(rfx)
    result = _ranking(rfx, inputs)
    for item in inputs:
        if item["supplier_id"] == proposal.supplier_id:
            continue
        SupplierFeedback.objects.create(
            award=award, proposal_id=item["proposal_id"], data=_feedback(result, item, rfx)
        )
    _notify_award(rfx, proposal, {item["supplier_id"] for item in inputs})
    return award


def _notify_award(rfx: RFx, winner: Proposal, submitted: set[int]) -> None:
    """The winner, each unsuccessful bidder (with its feedback link) and the others, apart."""
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    feedback = f"{site}/rfx/{rfx.pk}/feedback/"
    for invitation in _invited(rfx):
        if invitation.supplier_id == winner.supplier_id:
            subject = f"Awarded: {rfx.title}"
            body = (
                f'{rfx.buyer} has chosen your proposal for "{rfx.title}". '
                f"The buyer will contact you about the contract. Details: {feedback}"
            )
        elif invitation.supplier_id in submitted:
            subject = f"Decision on {rfx.title}"
            body = (
                f'{rfx.buyer} has chosen another proposal for "{rfx.title}". '
                f"Your scores against the weights are in your feedback: {feedback}"
            )
        else:
            subject = f"Decision on {rfx.title}"
            body = f'{rfx.buyer} has made its decision on "{rfx.title}".'
        _notify(subject, body, _supplier_emails(invitation))


def _ranking(rfx: RFx, inputs: list[dict]) -> dict | None:
    try:
        from rfx.evaluation import rank
    except ImportError:
        return None
    proposals = [
        {key: value for key, value in item.items() if key != "proposal_id"} for item in inputs
    ]
    try:
        return rank(
            proposals,
            rfx.weights,
            {
                "disqualify_on_critical_red_flags": rfx.disqualify_on_critical_red_flags,
                "has_competition": rfx.has_competition,
            },
            with_sensitivity=False,
        )
    except ApplicationError as error:
        logger.warning("RFx %s: no ranking for the feedback: %s", rfx.pk, error.message)
        return None


def _feedback(result: dict | None, item: dict, rfx: RFx) -> dict:
    if result is not None:
        try:
            from rfx.evaluation import feedback_for

            return feedback_for(result, item["supplier_id"])
        except (ImportError, ApplicationError):
            pass
    return {
        "supplier_id": item["supplier_id"],
        "supplier_name": item["supplier_name"],
        "components": {
            "maturity": item["maturity"],
            "extra": item["extra"],
            "terms": None if item["terms"] is None else item["terms"] / 3,
        },
        "price": item["price"],
        "currency": item["currency"],
        "weights": rfx.weights,
    }


# --- registering from an invitation -------------------------------------------------------------


@transaction.atomic
def invitation_register(
    *, token: str, username: str, password: str, first_name: str, last_name: str
) -> User:
    """A new account for someone holding a valid, unused invitation link.

    The account gets the invitation's e-mail address and a supplier membership in the
    invited organisation; the link itself is left for `invitation_redeem`.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from accounts.services import membership_create

    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=hash_token(token or ""), token_used_at__isnull=True)
        .exclude(token_hash="")
        .select_related("supplier")
        .first()
    )
    if invitation is None:
        raise ApplicationError("This invitation link is not valid. Ask the buyer to send it again.")
    username = (username or "").strip()
    user = User(
        username=username,
        email=invitation.email,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages)) from None
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages)) from None
    user.set_password(password)
    user.save()
    membership_create(user=user, organisation=invitation.supplier, role=Membership.Role.SUPPLIER)
    return user
