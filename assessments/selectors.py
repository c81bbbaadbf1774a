from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Membership
from accounts.selectors import organisation_ids_for_user
from assessments.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    ConsensusScore,
    Evidence,
    RedFlag,
    ReviewerAssignment,
    ReviewerScore,
)


def assessment_list_for_user(user) -> QuerySet[Assessment]:
    """What a person may open: their organisations' assessments, and submitted ones they review.

    Procurement managers of the reviewing organisation see its submitted
    assessments too, so they can assign reviewers.
    """
    if not user.is_authenticated:
        return Assessment.objects.none()
    organisations = organisation_ids_for_user(user)
    managed = Membership.objects.filter(user=user, role=Membership.Role.PROCUREMENT_MANAGER).values(
        "organisation_id"
    )
    submitted = Q(versions__isnull=False)
    visible = (
        Q(organisation_id__in=organisations)
        | (submitted & Q(assignments__reviewer=user))
        | (submitted & Q(reviewing_organisation_id__in=managed))
    )
    ids = Assessment.objects.filter(visible).values("pk")
    return (
        Assessment.objects.filter(pk__in=ids)
        .select_related("framework", "organisation", "reviewing_organisation")
        .annotate(version_count=Count("versions", distinct=True))
    )


def get_assessment_for_user(user, pk: int) -> Assessment:
    assessment = assessment_list_for_user(user).filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment.")
    return assessment


def latest_version(assessment: Assessment) -> AssessmentVersion | None:
    return assessment.versions.select_related("scorecard").order_by("-number").first()


def answers_by_code(assessment: Assessment) -> dict[str, Answer]:
    return {
        answer.question.code: answer for answer in assessment.answers.select_related("question")
    }


def evidence_by_code(assessment: Assessment) -> dict[str, list[Evidence]]:
    grouped: dict[str, list[Evidence]] = {}
    for evidence in assessment.evidence.select_related("question"):
        grouped.setdefault(evidence.question.code, []).append(evidence)
    return grouped


def evidence_in_a_version(assessment: Assessment, evidence_pk: int) -> bool:
    """Whether a submitted version lists this evidence (its file must then be kept)."""
    for answers in assessment.versions.values_list("answers", flat=True):
        for answer in (answers or {}).values():
            if any(item.get("id") == evidence_pk for item in answer.get("evidence") or []):
                return True
    return False


def draft_rule_inputs(assessment: Assessment) -> dict[str, dict]:
    """The draft's answers as the rules and scoring read them (two queries)."""
    counts = dict(
        Evidence.objects.filter(assessment=assessment)
        .values_list("question__code")
        .annotate(count=Count("pk"))
        .values_list("question__code", "count")
    )
    inputs = {
        answer.question.code: answer.as_rule_input(counts.get(answer.question.code, 0))
        for answer in assessment.answers.select_related("question")
    }
    for code, count in counts.items():
        inputs.setdefault(code, {"evidence_count": count})
    return inputs


def reviews_input(assessment: Assessment) -> dict[str, dict]:
    """question code → {"scores": [...], "consensus": n} for the scoring module."""
    reviews: dict[str, dict] = {}
    for code, value in ReviewerScore.objects.filter(assessment=assessment).values_list(
        "question__code", "score"
    ):
        reviews.setdefault(code, {"scores": []})["scores"].append(value)
    for code, value in ConsensusScore.objects.filter(assessment=assessment).values_list(
        "question__code", "score"
    ):
        reviews.setdefault(code, {"scores": []})["consensus"] = value
    return reviews


def dismissed_rule_codes(assessment: Assessment) -> set[str]:
    return set(
        RedFlag.objects.filter(assessment=assessment, status=RedFlag.Status.DISMISSED).values_list(
            "rule__code", flat=True
        )
    )


def assignment_for(assessment: Assessment, user) -> ReviewerAssignment | None:
    if not user.is_authenticated:
        return None
    return ReviewerAssignment.objects.filter(assessment=assessment, reviewer=user).first()
