"""Reads that cross relations; each respects who may see what (DESIGN §6)."""

from __future__ import annotations

import string
from statistics import mean
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import Membership, User
from assessments.models import AssessmentVersion, RedFlag
from rfx.competition import in_scorer_order
from rfx.competition_display import verdict
from rfx.models import (
    Award,
    Clarification,
    Competition,
    Invitation,
    PredictionSubmission,
    Proposal,
    ProposalDocument,
    RFx,
    RFxReviewer,
    Section,
    SupplierFeedback,
)
from rfx.permissions import is_past_deadline, is_proposal_supplier


def rfx_list_for_user(user: User) -> QuerySet[RFx]:
    """Every RFx of the buyer for its procurement managers; for its reviewers, those whose
    evaluation team they are on; for a supplier, only published RFx it is invited to.

    The same rule as `rfx.view_rfx` (rfx/permissions.py).
    """
    if not user.is_authenticated:
        return RFx.objects.none()
    manager = Q(
        buyer__memberships__user=user,
        buyer__memberships__role=Membership.Role.PROCUREMENT_MANAGER,
    )
    on_team = Q(
        buyer__memberships__user=user,
        buyer__memberships__role=Membership.Role.REVIEWER,
        pk__in=RFxReviewer.objects.filter(reviewer=user).values("rfx_id"),
    )
    buyer_side = manager | on_team
    invited = Q(
        pk__in=Invitation.objects.filter(
            supplier__memberships__user=user, supplier__memberships__role=Membership.Role.SUPPLIER
        ).values("rfx_id")
    ) & ~Q(status=RFx.Status.DRAFT)
    return (
        RFx.objects.filter(buyer_side | invited)
        .distinct()
        .select_related("buyer", "framework", "extra_framework")
    )


def get_rfx_for_user(user: User, pk: int) -> RFx:
    rfx = rfx_list_for_user(user).filter(pk=pk).first()
    if rfx is None:
        raise Http404("No such RFx.")
    return rfx


def section_list(rfx: RFx) -> QuerySet[Section]:
    return rfx.sections.order_by("order")


def proposal_list_for_user(user: User) -> QuerySet[Proposal]:
    """A supplier's own; the buyer's managers and cleared reviewers once the RFx has closed."""
    if not user.is_authenticated:
        return Proposal.objects.none()
    own = Q(supplier__memberships__user=user, supplier__memberships__role=Membership.Role.SUPPLIER)
    opened = Q(rfx__closed_at__isnull=False)
    manager = Q(
        rfx__buyer__memberships__user=user,
        rfx__buyer__memberships__role=Membership.Role.PROCUREMENT_MANAGER,
    )
    cleared = Q(
        rfx__in=RFxReviewer.objects.filter(
            reviewer=user, no_conflict_declared_at__isnull=False
        ).values("rfx_id")
    )
    return (
        Proposal.objects.filter(own | (opened & (manager | cleared)))
        .distinct()
        .select_related("rfx", "supplier", "maturity_assessment", "extra_assessment")
    )


def get_proposal_for_user(user: User, pk: int) -> Proposal:
    proposal = proposal_list_for_user(user).filter(pk=pk).first()
    if proposal is None:
        raise Http404("No such proposal.")
    return proposal


def proposal_for_supplier(rfx: RFx, user: User) -> Proposal | None:
    return (
        proposal_list_for_user(user)
        .filter(
            rfx=rfx,
            supplier__memberships__user=user,
            supplier__memberships__role=Membership.Role.SUPPLIER,
        )
        .first()
    )


def award_for(rfx: RFx) -> Award | None:
    return Award.objects.filter(rfx=rfx).select_related("proposal__supplier").first()


def supplier_outcome(rfx: RFx, user: User) -> dict[str, Any]:
    """What a supplier's member reads after the award: the award, its own proposal, whether it
    won and, if it did not, its own feedback summary (nothing about any other proposal)."""
    award = Award.objects.filter(rfx=rfx).first()
    proposal = proposal_for_supplier(rfx, user)
    won = award is not None and proposal is not None and award.proposal_id == proposal.pk
    feedback = None
    competition = None
    if award is not None and proposal is not None and not won:
        feedback = SupplierFeedback.objects.filter(award=award, proposal=proposal).first()
        if feedback is not None and proposal.submitted_at is not None:
            competition = own_competition_result(proposal, with_metrics=True)
    return {
        "award": award,
        "proposal": proposal,
        "won": won,
        "feedback": feedback,
        "competition": competition,
    }


def submission_status(rfx: RFx) -> list[dict[str, Any]]:
    """Sealed view for the buyer: who has submitted and when, never the content."""
    return list(
        rfx.proposals.filter(submitted_at__isnull=False)
        .order_by("supplier__name")
        .values("supplier_id", "supplier__name", "submitted_at")
    )


def supplier_pseudonyms(rfx: RFx) -> dict[int, str]:
    """Supplier id → "Supplier A", "Supplier B"… in the order proposals were started."""
    ids = rfx.proposals.order_by("created_at", "pk").values_list("supplier_id", flat=True)
    return {supplier_id: f"Supplier {_letters(index)}" for index, supplier_id in enumerate(ids)}


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = string.ascii_uppercase[remainder] + name
    return name


def supplier_name_for(
    user: User, proposal: Proposal, pseudonyms: dict[int, str] | None = None
) -> str:
    """The supplier's name, or its pseudonym when the RFx grades blind and a reviewer reads."""
    rfx = proposal.rfx
    if (
        not rfx.blind_grading
        or Membership.objects.filter(user=user, organisation_id=proposal.supplier_id).exists()
        or Membership.objects.filter(
            user=user, organisation_id=rfx.buyer_id, role=Membership.Role.PROCUREMENT_MANAGER
        ).exists()
    ):
        return proposal.supplier.name
    names = pseudonyms if pseudonyms is not None else supplier_pseudonyms(rfx)
    return names[proposal.supplier_id]


def clarification_list_for_buyer(rfx: RFx) -> QuerySet[Clarification]:
    return rfx.clarifications.select_related("supplier", "asked_by", "answered_by").order_by(
        "created_at"
    )


CLARIFICATION_PUBLIC_FIELDS = (
    "id",
    "question",
    "answer",
    "answered_at",
    "visibility",
    "created_at",
)


def clarification_list_for_supplier(rfx: RFx, user: User) -> list[dict[str, Any]]:
    """The supplier's own questions and the published ones, with no field naming who asked."""
    own_suppliers = (
        list(
            Membership.objects.filter(user=user, role=Membership.Role.SUPPLIER).values_list(
                "organisation_id", flat=True
            )
        )
        if user.is_authenticated
        else []
    )
    rows = rfx.clarifications.filter(
        Q(supplier_id__in=own_suppliers) | Q(visibility=Clarification.Visibility.PUBLISHED)
    ).order_by("created_at")
    result = []
    for row in rows.values(*CLARIFICATION_PUBLIC_FIELDS, "supplier_id"):
        mine = row.pop("supplier_id") in own_suppliers
        result.append({**row, "mine": mine})
    return result


def rfx_reviewer_list(rfx: RFx) -> QuerySet[RFxReviewer]:
    return rfx.reviewers.select_related("reviewer").order_by("reviewer__username")


def rfx_team_candidates(rfx: RFx) -> QuerySet[User]:
    """Who may join the RFx's evaluation team: the buyer's reviewers and procurement managers."""
    return User.objects.filter(
        memberships__organisation_id=rfx.buyer_id,
        memberships__role__in=[Membership.Role.REVIEWER, Membership.Role.PROCUREMENT_MANAGER],
    ).distinct()


def evaluation_inputs(rfx: RFx) -> list[dict[str, Any]]:
    """Each submitted proposal as `rfx.evaluation.rank` takes it (plus its proposal_id)."""
    proposals = list(
        rfx.proposals.filter(submitted_at__isnull=False)
        .select_related("supplier")
        .prefetch_related("terms_scores", "versions")
    )
    assessment_ids = [
        pk for p in proposals for pk in (p.maturity_assessment_id, p.extra_assessment_id) if pk
    ]
    # Only the scores: the versions' answers and the scorecards' data are large JSON that the
    # ranking does not read (decoding them was most of the time for 50 proposals).
    scores = {
        (assessment_id, number): score
        for assessment_id, number, score in AssessmentVersion.objects.filter(
            assessment_id__in=assessment_ids, scorecard__isnull=False
        ).values_list("assessment_id", "number", "scorecard__score")
    }
    # Only an RFx with a competition pays the query; None means no result (yet).
    passed = _competition_verdicts(proposals) if rfx.has_competition else {}
    critical: dict[int, int] = {}
    for assessment_id in RedFlag.objects.filter(
        assessment_id__in=assessment_ids, status=RedFlag.Status.ACTIVE, rule__severity="critical"
    ).values_list("assessment_id", flat=True):
        critical[assessment_id] = critical.get(assessment_id, 0) + 1
    items = []
    for proposal in proposals:
        latest = max(proposal.versions.all(), key=lambda version: version.number)
        snapshot = latest.snapshot

        def score_of(assessment_id: int | None, number: int | None) -> float | None:
            return scores.get((assessment_id, number))

        terms = [item.score for item in proposal.terms_scores.all()]
        items.append(
            {
                "proposal_id": proposal.pk,
                "supplier_id": proposal.supplier_id,
                "supplier_name": proposal.supplier.name,
                "price": snapshot.get("price_amount"),
                "currency": snapshot.get("price_currency") or None,
                "maturity": score_of(
                    proposal.maturity_assessment_id, snapshot.get("maturity_assessment_version")
                ),
                "extra": score_of(
                    proposal.extra_assessment_id, snapshot.get("extra_assessment_version")
                ),
                "terms": mean(terms) if terms else None,
                "competition_passed": passed.get(proposal.pk),
                "open_critical_red_flags": critical.get(proposal.maturity_assessment_id, 0),
            }
        )
    return items


def submitted_proposals(rfx: RFx) -> list[Proposal]:
    """The submitted proposals with their versions, in the order they were started."""
    return list(
        rfx.proposals.filter(submitted_at__isnull=False)
        .select_related("supplier")
        .prefetch_related("versions", "terms_scores")
        .order_by("created_at", "pk")
    )


def latest_snapshot(proposal: Proposal) -> dict[str, Any]:
    """The last submitted version's snapshot (versions prefetched by `submitted_proposals`)."""
    versions = list(proposal.versions.all())
    if not versions:
        return {}
    return max(versions, key=lambda version: version.number).snapshot


# --- proposal documents -------------------------------------------------------------------------


def proposal_document_ids_in_versions(proposal: Proposal) -> set[int]:
    """Ids of the documents that any submitted version of the proposal lists."""
    return {
        item["id"]
        for snapshot in proposal.versions.values_list("snapshot", flat=True)
        for item in (snapshot or {}).get("documents") or []
    }


def latest_version_documents(proposal: Proposal) -> list[dict[str, Any]]:
    """The documents the latest submitted version lists (id, kind, title, size); one query."""
    snapshot = (
        proposal.versions.order_by("-number").values_list("snapshot", flat=True).first() or {}
    )
    return list(snapshot.get("documents") or [])


def proposal_document_list(proposal: Proposal) -> QuerySet[ProposalDocument]:
    """The documents on the draft (not those removed after a submission), oldest first."""
    return ProposalDocument.objects.filter(proposal=proposal).order_by("created_at", "pk")


def get_proposal_document_for_user(
    user: User, proposal: Proposal, document_pk: int
) -> ProposalDocument:
    """A document of the proposal if this person may download it; a 404 otherwise.

    The supplier's own members: what is on the draft, and what any submitted version lists.
    The buyer's procurement managers and cleared reviewers, once the RFx has closed
    (`rfx.view_proposal`): only what the latest submitted version lists, never a draft's.
    """
    document = ProposalDocument.all_objects.filter(proposal=proposal, pk=document_pk).first()
    if document is None or not user.has_perm("rfx.view_proposal", proposal):
        raise Http404("No such document.")
    if is_proposal_supplier(user, proposal):
        if document.removed_at is None or document.pk in proposal_document_ids_in_versions(
            proposal
        ):
            return document
    elif document.pk in {item["id"] for item in latest_version_documents(proposal)}:
        return document
    raise Http404("No such document.")


def supplier_names_for(user: User, rfx: RFx, proposals: list[Proposal]) -> dict[int, str]:
    """Proposal id → `supplier_name_for`, in a constant number of queries."""
    if not proposals:
        return {}
    blind = (
        rfx.blind_grading
        and not Membership.objects.filter(
            user=user, organisation_id=rfx.buyer_id, role=Membership.Role.PROCUREMENT_MANAGER
        ).exists()
    )
    if not blind:
        return {proposal.pk: proposal.supplier.name for proposal in proposals}
    own = set(
        Membership.objects.filter(
            user=user, organisation_id__in=[p.supplier_id for p in proposals]
        ).values_list("organisation_id", flat=True)
    )
    pseudonyms = supplier_pseudonyms(rfx)
    return {
        p.pk: p.supplier.name if p.supplier_id in own else pseudonyms[p.supplier_id]
        for p in proposals
    }


def scorecard_divergences(proposals: list[Proposal]) -> dict[int, list[str]]:
    """Proposal id → maturity question codes where reviewers differ by 2 levels or more.

    Takes `submitted_proposals(rfx)` (versions prefetched); one query whatever their number.
    """
    wanted: dict[tuple[int, int], int] = {}
    for proposal in proposals:
        number = latest_snapshot(proposal).get("maturity_assessment_version")
        if proposal.maturity_assessment_id and number:
            wanted[(proposal.maturity_assessment_id, number)] = proposal.pk
    if not wanted:
        return {}
    rows = AssessmentVersion.objects.filter(
        assessment_id__in=[assessment_id for assessment_id, _ in wanted],
        scorecard__isnull=False,
    ).values_list("assessment_id", "number", "scorecard__data__divergences")
    result: dict[int, list[str]] = {}
    for assessment_id, number, divergences in rows:
        proposal_id = wanted.get((assessment_id, number))
        if proposal_id is not None:
            result[proposal_id] = list(divergences or [])
    return result


# --- tender competition -------------------------------------------------------------------------


def competition_for_rfx(rfx: RFx) -> Competition | None:
    """The RFx's competition, or None; cached on the RFx like any one-to-one."""
    try:
        return rfx.competition
    except Competition.DoesNotExist:
        return None


def _counted(proposal_ids: Any) -> QuerySet[PredictionSubmission]:
    """Each proposal's last valid predictions file, the one that counts (DESIGN §5).

    Uploads are accepted only before the deadline, so the last valid one is the last valid one
    before the deadline. One query whatever the number of proposals.
    """
    last_valid = (
        PredictionSubmission.objects.filter(proposal=OuterRef("proposal"), valid=True)
        .order_by("-number")
        .values("number")[:1]
    )
    return PredictionSubmission.objects.filter(
        proposal_id__in=proposal_ids, valid=True, number=Subquery(last_valid)
    ).order_by()


def counted_prediction_submission(proposal: Proposal) -> PredictionSubmission | None:
    """The proposal's last valid predictions file, or None when it has none."""
    return (
        proposal.prediction_submissions.filter(valid=True)
        .select_related("competition")
        .order_by("-number")
        .first()
    )


def _competition_verdicts(proposals: list[Proposal]) -> dict[int, bool]:
    """Proposal id → whether its counted file passed every bar, for the scored ones."""
    return dict(
        _counted([proposal.pk for proposal in proposals])
        .filter(status=PredictionSubmission.Status.DONE, passed__isnull=False)
        .values_list("proposal_id", "passed")
    )


def competition_results(rfx: RFx) -> list[dict[str, Any]]:
    """The leaderboard: each submitted proposal with its counted predictions file.

    Ordered by the competition's primary metric, best first; proposals with no scored file
    (none uploaded, or its scoring queued, running or failed) come last, then by supplier
    name. Each row: proposal_id, supplier_id, supplier_name, submission_id, number, status
    (the scoring job's, None without a file), passed, metrics (the scorer's JSON, None until
    scored), value (the primary metric, None until scored) and rank (1, 1, 3… among the
    scored; None for the others). Supplier names are the real ones: a page for a reviewer
    grading blind replaces them (`supplier_names_for`). Three queries at most, whatever the
    number of suppliers. Only for people allowed `rfx.view_competition_results`.
    """
    competition = competition_for_rfx(rfx)
    if competition is None:
        return []
    metric = competition.primary_metric
    proposals = list(rfx.proposals.filter(submitted_at__isnull=False).select_related("supplier"))
    counted = {
        submission.proposal_id: submission
        for submission in _counted([proposal.pk for proposal in proposals]).only(
            "pk", "proposal_id", "number", "status", "passed", "metrics"
        )
    }
    rows = []
    for proposal in proposals:
        submission = counted.get(proposal.pk)
        scored = submission is not None and submission.status == PredictionSubmission.Status.DONE
        metrics = (
            in_scorer_order(submission.metrics, group_columns=competition.group_columns)
            if scored and submission.metrics
            else None
        )
        rows.append(
            {
                "proposal_id": proposal.pk,
                "supplier_id": proposal.supplier_id,
                "supplier_name": proposal.supplier.name,
                "submission_id": submission.pk if submission else None,
                "number": submission.number if submission else None,
                "status": submission.status if submission else None,
                "passed": submission.passed if scored else None,
                "metrics": metrics,
                "value": metrics.get(metric) if metrics else None,
                "rank": None,
            }
        )
    rows.sort(
        key=lambda row: (
            row["value"] is None,
            -(row["value"] or 0.0),
            row["supplier_name"],
            row["proposal_id"],
        )
    )
    previous: tuple[int, float] | None = None
    for position, row in enumerate(rows, start=1):
        if row["value"] is None:
            break
        # Values equal to 9 decimals share a rank, as the bars compare them.
        value = round(row["value"], 9)
        row["rank"] = previous[0] if previous and previous[1] == value else position
        previous = (row["rank"], value)
    return rows


GATE_WORDS = {
    "passed": "Your predictions passed every bar, so the competition let your proposal into "
    "the ranking.",
    "failed": "Your predictions did not pass every bar, so your proposal was not ranked.",
    "none": "You had no valid predictions file, so your proposal was not ranked.",
    "error": "Your predictions file could not be scored, so your proposal was not ranked.",
    "pending": "Your predictions file was still being scored, so your proposal was not ranked.",
}


def own_competition_result(proposal: Proposal, *, with_metrics: bool) -> dict[str, Any] | None:
    """One supplier's own competition outcome, from its counted predictions file only.

    None when the RFx has no competition. Nothing about any other supplier: no rank among
    them, no other file. Without `with_metrics` (a supplier before the deadline) only whether
    a valid file is counted; with it, the verdict, whether the gate let the proposal into the
    ranking, and the scorer's metrics (None until scored). Two queries at most.
    """
    rfx = proposal.rfx
    competition = competition_for_rfx(rfx) if rfx.has_competition else None
    if competition is None:
        return None
    submission = counted_prediction_submission(proposal)
    result: dict[str, Any] = {
        "valid_file": submission is not None,
        "file_number": submission.number if submission else None,
        "primary_metric": competition.primary_metric,
        "verdict": None,
        "verdict_words": "",
        "gate_words": "",
        "passed_gate": None,
        "metrics": None,
    }
    if not with_metrics:
        return result
    status = submission.status if submission else None
    scored = submission is not None and status == PredictionSubmission.Status.DONE
    key, words = verdict(submission.passed if scored else None, status)
    result.update(
        verdict=key,
        verdict_words=words,
        gate_words=GATE_WORDS[key],
        passed_gate=key == "passed",
        metrics=in_scorer_order(submission.metrics, group_columns=competition.group_columns)
        if scored and submission.metrics
        else None,
    )
    return result


def maturity_report_competition(assessment_id: int) -> dict[str, Any] | None:
    """The competition section of a proposal's maturity report, as `competition_block` takes
    it; None for an assessment that is not a proposal's maturity questionnaire, or an RFx
    without a competition.

    One report serves the supplier and the buyer, so what it shows follows the server's clock
    at rendering: before the proposal deadline only whether the supplier's file is valid (the
    supplier may not see its metrics yet, and the buyer sees nothing sealed); after it, the
    supplier's own results, which the buyer's team reads once the RFx has closed.
    """
    proposal = (
        Proposal.objects.filter(maturity_assessment_id=assessment_id)
        .select_related("rfx__competition")
        .first()
    )
    if proposal is None:
        return None
    after_deadline = is_past_deadline.test(None, proposal)
    own = own_competition_result(proposal, with_metrics=after_deadline)
    if own is None:
        return None
    name = "Tender competition"
    if not after_deadline:
        summary = (
            f"Predictions file {own['file_number']} is valid and is the one that counts so far. "
            if own["valid_file"]
            else "No valid predictions file has been uploaded yet. "
        ) + "The results are shown in this report after the proposal deadline."
        return {"name": name, "summary": summary}
    counted = (
        f"Results of predictions file {own['file_number']}, the last valid one before the "
        "deadline. "
        if own["valid_file"]
        else ""
    )
    return {
        **(own["metrics"] or {}),
        "name": name,
        "summary": counted + own["gate_words"],
        "primary_metric": own["primary_metric"],
        "verdict_words": own["verdict_words"],
    }


def prediction_metrics(submission: PredictionSubmission) -> dict[str, Any] | None:
    """A scored file's metrics in the scorer's order (labels, group values, columns), or None.

    Read stored metrics through this: PostgreSQL does not keep the order of JSON keys. Only
    for people allowed `rfx.view_prediction_metrics` on the file.
    """
    if submission.status != PredictionSubmission.Status.DONE or not submission.metrics:
        return None
    return in_scorer_order(submission.metrics, group_columns=submission.competition.group_columns)


def prediction_submission_list(proposal: Proposal) -> QuerySet[PredictionSubmission]:
    """A proposal's predictions files, newest first, refused ones included.

    Metrics are for people allowed `rfx.view_prediction_metrics` on each; before the deadline
    a supplier sees only whether its file was valid, its problems and the scoring status.
    """
    return proposal.prediction_submissions.select_related("uploaded_by", "competition").order_by(
        "-number"
    )


def prediction_submission_list_for_user(user: User) -> QuerySet[PredictionSubmission]:
    """Files of the proposals this person may see (`proposal_list_for_user`): the supplier's
    own, and every one for the buyer's managers and cleared reviewers once the RFx closed."""
    return (
        PredictionSubmission.objects.filter(proposal__in=proposal_list_for_user(user))
        .select_related("proposal__rfx", "proposal__supplier", "competition", "uploaded_by")
        .order_by("proposal_id", "-number")
    )


def get_prediction_submission_for_user(user: User, pk: int) -> PredictionSubmission:
    submission = prediction_submission_list_for_user(user).filter(pk=pk).first()
    if submission is None:
        raise Http404("No such predictions file.")
    return submission
