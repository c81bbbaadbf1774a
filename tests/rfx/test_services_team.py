"""`rfx_reviewer_remove`: who may, when it is refused, and what stays in the history."""

from __future__ import annotations

import pytest

from assessments import services as assessment_services
from assessments.models import ConsensusScore, RedFlag, ReviewerAssignment
from core.exceptions import ApplicationError
from principles.models import RedFlagRule
from rfx import services
from rfx.models import RFxReviewer

pytestmark = pytest.mark.django_db


def _recorded(reviewer) -> str:
    return (
        f"{reviewer} has already scored proposals of this RFx (or dismissed a red flag); "
        "that stays part of the evaluation, so they stay on the team."
    )


def test_a_reviewer_added_by_mistake_leaves_a_draft_with_the_removal_in_the_history(
    draft_rfx, buyer, reviewer
):
    services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer, is_lead=True)
    services.rfx_reviewer_remove(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    assert not RFxReviewer.objects.filter(rfx=draft_rfx).exists()
    kinds = list(
        RFxReviewer.history.filter(rfx_id=draft_rfx.pk)
        .order_by("history_date")
        .values_list("history_type", "history_user__username")
    )
    assert kinds[-1] == ("-", "alice")


def test_only_a_procurement_manager_removes_a_reviewer(closed_rfx, reviewer):
    with pytest.raises(ApplicationError, match="Only a procurement manager of Northwind Rail"):
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=reviewer)
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=reviewer).exists()


def test_someone_off_the_team_cannot_be_removed(closed_rfx, buyer, supplier_a):
    with pytest.raises(ApplicationError, match="is not on the evaluation team of this RFx"):
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=supplier_a, user=buyer)


def test_a_question_score_keeps_the_reviewer_on_the_team(
    closed_rfx, proposal_a, buyer, reviewer, django_capture_on_commit_callbacks
):
    assessment = proposal_a.maturity_assessment
    question = assessment.framework.questions.first()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.reviewer_score_set(
            assessment=assessment, question=question, reviewer=reviewer, score=2
        )
    with pytest.raises(ApplicationError) as error:
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=buyer)
    assert error.value.message == _recorded(reviewer)
    assert ReviewerAssignment.objects.filter(reviewer=reviewer).count() == 2


def test_a_consensus_score_keeps_the_lead_on_the_team(closed_rfx, proposal_a, buyer, reviewer):
    assessment = proposal_a.maturity_assessment
    ConsensusScore.objects.create(
        assessment=assessment,
        question=assessment.framework.questions.first(),
        score=1,
        set_by=reviewer,
    )
    with pytest.raises(ApplicationError) as error:
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=buyer)
    assert error.value.message == _recorded(reviewer)


def test_a_dismissed_red_flag_keeps_the_reviewer_on_the_team(
    closed_rfx, proposal_b, buyer, reviewer
):
    assessment = proposal_b.maturity_assessment
    rule = RedFlagRule.objects.filter(question__framework=assessment.framework).first()
    RedFlag.objects.create(
        assessment=assessment,
        question=rule.question,
        rule=rule,
        status=RedFlag.Status.DISMISSED,
        dismissed_reason="Evidence seen in the annex.",
        dismissed_by=reviewer,
    )
    with pytest.raises(ApplicationError) as error:
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=buyer)
    assert error.value.message == _recorded(reviewer)


def test_scores_on_another_rfx_do_not_count(closed_rfx, proposal_a, buyer, reviewer):
    other = services.rfx_create(buyer=closed_rfx.buyer, user=buyer, title="Another")
    services.rfx_reviewer_assign(rfx=other, reviewer=reviewer, user=buyer)
    services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=3)
    services.rfx_reviewer_remove(rfx=other, reviewer=reviewer, user=buyer)
    assert not RFxReviewer.objects.filter(rfx=other).exists()
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=reviewer).exists()


def test_a_cancelled_rfx_keeps_its_team(closed_rfx, buyer, reviewer):
    services.rfx_cancel(rfx=closed_rfx, user=buyer, reason="Budget withdrawn.")
    with pytest.raises(ApplicationError, match="This RFx is cancelled: its evaluation team"):
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=buyer)
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=reviewer).exists()
