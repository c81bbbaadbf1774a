"""`rfx_reviewer_remove` and leaving a proposal's review: who may, when it is refused, and what
stays in the history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import ConsensusScore, RedFlag, ReviewerAssignment, ReviewerScore
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


def test_after_the_technical_lock_no_reviewer_leaves_the_team(closed_rfx, buyer, reviewer):
    """bob has recorded nothing, but the lock fixes the team along with the scores."""
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    assignments = ReviewerAssignment.objects.filter(reviewer=reviewer).count()
    with pytest.raises(ApplicationError) as error:
        services.rfx_reviewer_remove(rfx=closed_rfx, reviewer=reviewer, user=buyer)
    assert error.value.message == (
        "The technical scores of this RFx are locked, so its reviewers can no longer leave or "
        "be removed: the scores they gave stay part of the evaluation."
    )
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=reviewer).exists()
    assert ReviewerAssignment.objects.filter(reviewer=reviewer).count() == assignments == 2


def test_after_the_technical_lock_a_reviewer_cannot_withdraw_and_take_their_scores_along(
    closed_rfx, proposal_a, buyer, reviewer, django_capture_on_commit_callbacks
):
    assessment = proposal_a.maturity_assessment
    question = assessment.framework.questions.first()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.reviewer_score_set(
            assessment=assessment, question=question, reviewer=reviewer, score=3
        )
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    scorecard = assessment.versions.order_by("-number").first().scorecard.data
    # The reviewer declaring a late conflict, and the manager removing them, use one service.
    for user in (reviewer, buyer):
        with pytest.raises(ApplicationError, match="can no longer leave or be removed"):
            assessment_services.assignment_withdraw(
                assignment=assignment, reason="I used to work there.", user=user
            )
    assert ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
    assert ReviewerScore.objects.filter(assessment=assessment, reviewer=reviewer).count() == 1
    assert assessment.versions.order_by("-number").first().scorecard.data == scorecard


def test_before_the_lock_a_reviewer_still_withdraws_from_a_proposal_with_their_scores(
    closed_rfx, proposal_a, reviewer, django_capture_on_commit_callbacks
):
    assessment = proposal_a.maturity_assessment
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.reviewer_score_set(
            assessment=assessment,
            question=assessment.framework.questions.first(),
            reviewer=reviewer,
            score=3,
        )
    assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    assessment_services.assignment_withdraw(
        assignment=assignment, reason="I used to work there.", user=reviewer
    )
    assert not ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
    assert not ReviewerScore.objects.filter(assessment=assessment, reviewer=reviewer).exists()


def test_after_the_lock_the_review_pages_refuse_to_take_a_reviewer_off_and_say_why(
    client, closed_rfx, proposal_a, buyer, reviewer
):
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    assessment = proposal_a.maturity_assessment
    assignment = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    client.force_login(buyer)
    response = client.post(
        reverse("review-team-remove", args=[assessment.pk, assignment.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("review-team", args=[assessment.pk]), 302)]
    assert "can no longer leave or be removed" in response.content.decode()
    client.force_login(reviewer)
    response = client.post(
        reverse("review-withdraw", args=[assessment.pk]), {"reason": "I used to work there."}
    )
    assert response.status_code == 422
    assert "can no longer leave or be removed" in response.content.decode()
    assert ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
