"""Who may do what with an RFx and its proposals; predicates for the `rules` package."""

import rules
from django.utils import timezone

import assessments.permissions  # noqa: F401  (proposal questionnaires use the assessment rules)
from accounts.models import Membership
from rfx.models import Invitation, Proposal, RFx, RFxReviewer


def _roles(user, organisation_id) -> set[str]:
    if not user.is_authenticated or organisation_id is None:
        return set()
    cache = user.__dict__.setdefault("_rfx_roles", {})
    if organisation_id not in cache:
        cache[organisation_id] = set(
            Membership.objects.filter(user=user, organisation_id=organisation_id).values_list(
                "role", flat=True
            )
        )
    return cache[organisation_id]


def _rfx(obj) -> RFx | None:
    return obj.rfx if isinstance(obj, Proposal) else obj


@rules.predicate
def is_buyer_staff(user, rfx) -> bool:
    """The buyer's procurement managers, and the buyer's reviewers on this RFx's evaluation
    team: a reviewer sees an RFx only once put on its team (as `rfx_list_for_user`)."""
    rfx = _rfx(rfx)
    if rfx is None:
        return False
    roles = _roles(user, rfx.buyer_id)
    if Membership.Role.PROCUREMENT_MANAGER in roles:
        return True
    return Membership.Role.REVIEWER in roles and is_rfx_reviewer.test(user, rfx)


@rules.predicate
def is_buyer_manager(user, rfx) -> bool:
    rfx = _rfx(rfx)
    return rfx is not None and Membership.Role.PROCUREMENT_MANAGER in _roles(user, rfx.buyer_id)


@rules.predicate
def is_invited_supplier(user, rfx) -> bool:
    if rfx is None or not user.is_authenticated or rfx.status == RFx.Status.DRAFT:
        return False
    return Invitation.objects.filter(
        rfx=rfx,
        supplier__memberships__user=user,
        supplier__memberships__role=Membership.Role.SUPPLIER,
    ).exists()


@rules.predicate
def is_editable(user, rfx) -> bool:
    return rfx is not None and rfx.status in (RFx.Status.DRAFT, RFx.Status.PUBLISHED)


@rules.predicate
def is_proposal_supplier(user, proposal) -> bool:
    return proposal is not None and Membership.Role.SUPPLIER in _roles(user, proposal.supplier_id)


@rules.predicate
def is_before_deadline(user, obj) -> bool:
    """The server's clock, not the status: the deadline may have passed before the close job ran."""
    rfx = _rfx(obj)
    return (
        rfx is not None
        and rfx.status == RFx.Status.PUBLISHED
        and rfx.proposal_deadline is not None
        and timezone.now() < rfx.proposal_deadline
    )


@rules.predicate
def is_opened(user, obj) -> bool:
    """Proposals are sealed until the RFx has closed."""
    rfx = _rfx(obj)
    return rfx is not None and rfx.closed_at is not None


@rules.predicate
def is_technical_locked(user, obj) -> bool:
    rfx = _rfx(obj)
    return rfx is not None and rfx.technical_scores_locked_at is not None


@rules.predicate
def is_cleared_reviewer(user, obj) -> bool:
    """On the RFx's evaluation team and has declared no conflict of interest."""
    rfx = _rfx(obj)
    if rfx is None or not user.is_authenticated:
        return False
    return RFxReviewer.objects.filter(
        rfx=rfx, reviewer=user, no_conflict_declared_at__isnull=False
    ).exists()


@rules.predicate
def is_rfx_reviewer(user, obj) -> bool:
    rfx = _rfx(obj)
    return (
        rfx is not None
        and user.is_authenticated
        and RFxReviewer.objects.filter(rfx=rfx, reviewer=user).exists()
    )


evaluator = is_buyer_manager | is_cleared_reviewer

# On an RFx
rules.add_perm("rfx.view_rfx", is_buyer_staff | is_invited_supplier)
rules.add_perm("rfx.change_rfx", is_buyer_manager & is_editable)
rules.add_perm("rfx.manage_rfx", is_buyer_manager)
rules.add_perm("rfx.view_submission_status", is_buyer_staff)
rules.add_perm("rfx.ask_clarification", is_invited_supplier)
rules.add_perm("rfx.declare_conflict", is_rfx_reviewer)
rules.add_perm("rfx.view_team", is_buyer_manager | is_rfx_reviewer)
# On a proposal
rules.add_perm("rfx.view_proposal", is_proposal_supplier | (is_opened & evaluator))
rules.add_perm("rfx.change_proposal", is_proposal_supplier & is_before_deadline)
rules.add_perm(
    "rfx.view_price", is_proposal_supplier | (is_opened & is_technical_locked & evaluator)
)
rules.add_perm("rfx.score_terms", is_opened & is_cleared_reviewer & ~is_technical_locked)
# On an RFx, for its API and pages (the proposal-level rules above need a proposal)
rules.add_perm("rfx.start_proposal", is_invited_supplier)
rules.add_perm("rfx.view_evaluation", is_opened & evaluator)
rules.add_perm("rfx.view_evaluation_price", is_opened & is_technical_locked & evaluator)


# --- tender competition (DESIGN §5) --------------------------------------------------------------
# On an RFx unless said otherwise. The server's clock decides every time.


def _competition(rfx):
    from rfx.models import Competition

    if rfx is None or not rfx.has_competition:
        return None
    try:
        return rfx.competition
    except Competition.DoesNotExist:
        return None


@rules.predicate
def has_competition(user, obj) -> bool:
    return _competition(_rfx(obj)) is not None


@rules.predicate
def is_competition_released(user, obj) -> bool:
    """The evaluation inputs are out: `release_at` has come."""
    competition = _competition(_rfx(obj))
    return (
        competition is not None
        and competition.release_at is not None
        and timezone.now() >= competition.release_at
    )


@rules.predicate
def is_draft_rfp(user, rfx) -> bool:
    return rfx is not None and rfx.kind == RFx.Kind.RFP and rfx.status == RFx.Status.DRAFT


@rules.predicate
def is_accepted_supplier(user, rfx) -> bool:
    """A member of a supplier that accepted the invitation to this published RFx."""
    if rfx is None or not user.is_authenticated or rfx.status == RFx.Status.DRAFT:
        return False
    return Invitation.objects.filter(
        rfx=rfx,
        status=Invitation.Status.ACCEPTED,
        supplier__memberships__user=user,
        supplier__memberships__role=Membership.Role.SUPPLIER,
    ).exists()


@rules.predicate
def is_past_deadline(user, obj) -> bool:
    """The proposal deadline has passed by the server's clock, whatever the status says."""
    rfx = _rfx(obj)
    return (
        rfx is not None
        and rfx.proposal_deadline is not None
        and timezone.now() >= rfx.proposal_deadline
    )


def _of_submission(predicate: rules.Predicate, name: str) -> rules.Predicate:
    """`predicate` on the proposal of a PredictionSubmission."""

    def test(user, submission) -> bool:
        return submission is not None and predicate.test(user, submission.proposal)

    return rules.Predicate(test, name=name)


submission_supplier = _of_submission(is_proposal_supplier, "submission_supplier")
submission_evaluator = _of_submission(is_opened & evaluator, "submission_evaluator")
submission_manager = _of_submission(is_buyer_manager, "submission_manager")
submission_after_deadline = _of_submission(is_past_deadline, "submission_after_deadline")

rules.add_perm("rfx.view_competition", is_buyer_staff | (is_invited_supplier & has_competition))
rules.add_perm("rfx.configure_competition", is_buyer_manager & is_draft_rfp)
rules.add_perm(
    "rfx.download_competition_training", has_competition & (is_buyer_staff | is_accepted_supplier)
)
rules.add_perm(
    "rfx.download_competition_inputs",
    has_competition & (is_buyer_staff | (is_accepted_supplier & is_competition_released)),
)
# The hidden labels: the buyer's procurement managers only, never a supplier or a reviewer.
rules.add_perm("rfx.download_competition_labels", has_competition & is_buyer_manager)
rules.add_perm("rfx.view_competition_results", has_competition & is_opened & evaluator)
# On a proposal
rules.add_perm(
    "rfx.submit_predictions",
    is_proposal_supplier & is_before_deadline & is_competition_released,
)
# On a PredictionSubmission: the file, whether it was valid, its problems and scoring status;
# its metrics only after the deadline for the supplier, once the RFx is opened for the buyer.
rules.add_perm("rfx.view_prediction_submission", submission_supplier | submission_evaluator)
rules.add_perm(
    "rfx.view_prediction_metrics",
    (submission_supplier & submission_after_deadline) | submission_evaluator,
)
rules.add_perm("rfx.retry_prediction_scoring", submission_supplier | submission_manager)
# The raw file as uploaded, refused ones included: only the supplier that sent it (its name and
# content could tell a reviewer grading blind who sent it; the team reads the results instead).
rules.add_perm("rfx.download_prediction_file", submission_supplier)
