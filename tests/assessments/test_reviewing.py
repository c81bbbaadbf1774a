"""The reviewing services: team, conflict of interest, scores, consensus, red flags (DESIGN §4)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Membership
from assessments import services
from assessments.models import (
    AssessmentVersion,
    ConsensusScore,
    RedFlag,
    ReviewerAssignment,
    ReviewerScore,
    Scorecard,
)
from core.exceptions import ApplicationError
from tests.assessments.conftest import answer_everything, good_answer
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


def question(assessment, code: str):
    return assessment.framework.questions.get(code=code)


def scorecard_of(assessment) -> Scorecard:
    return Scorecard.objects.get(version=assessment.versions.order_by("-number").first())


def question_result(assessment, code: str) -> dict:
    return scorecard_of(assessment).data["questions"][code]


def submitted_review(assignment) -> None:
    """The reviewer scores one question and submits."""
    services.reviewer_score_set(
        assessment=assignment.assessment,
        question=question(assignment.assessment, "1.2"),
        reviewer=assignment.reviewer,
        score=2,
    )
    services.review_submit(assignment=assignment)


# --- the team -------------------------------------------------------------------------------------


def test_reviewer_assign_refuses_people_outside_the_buyer_organisation(
    submitted_assessment, supplier_a, supplier_b, outsider
):
    other_buyer = OrganisationFactory(name="Other Buyer", slug="other-buyer", kind="buyer")
    stranger = MembershipFactory(
        user=UserFactory(username="gina"), organisation=other_buyer, role=Membership.Role.REVIEWER
    ).user
    for person in (supplier_a, supplier_b, outsider, stranger):
        with pytest.raises(ApplicationError, match="not on the evaluation team"):
            services.reviewer_assign(assessment=submitted_assessment, reviewer=person)
    assert not ReviewerAssignment.objects.filter(assessment=submitted_assessment).exists()


def test_reviewer_assign_accepts_reviewers_and_procurement_managers_of_the_buyer(
    submitted_assessment, reviewer, buyer
):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    services.reviewer_assign(assessment=submitted_assessment, reviewer=buyer)
    assert set(submitted_assessment.assignments.values_list("reviewer__username", flat=True)) == {
        "bob",
        "alice",
    }


def test_there_is_only_ever_one_lead_reviewer(submitted_assessment, reviewer, reviewer2):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer, is_lead=True)
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer2, is_lead=True)
    leads = list(
        submitted_assessment.assignments.filter(is_lead=True).values_list(
            "reviewer__username", flat=True
        )
    )
    assert leads == ["frank"]
    # The database holds the rule too, whatever a future caller does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewerAssignment.objects.filter(
            assessment=submitted_assessment, reviewer=reviewer
        ).update(is_lead=True)


def test_assigning_again_without_lead_keeps_one_assignment(submitted_assessment, reviewer):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer, is_lead=True)
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    assignments = list(submitted_assessment.assignments.all())
    assert len(assignments) == 1
    assert assignments[0].is_lead is False


def test_conflict_declare_records_the_first_declaration_only(submitted_assessment, reviewer):
    assignment = services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    services.conflict_declare(assignment=assignment)
    first = assignment.no_conflict_declared_at
    services.conflict_declare(assignment=assignment)
    assignment.refresh_from_db()
    assert first is not None
    assert assignment.no_conflict_declared_at == first


def test_withdrawing_removes_the_assignment_and_scores_and_keeps_the_reason(
    review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = second.assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.2"),
            reviewer=second.reviewer,
            score=0,
        )
    assert question_result(assessment, "1.2") == {
        "score": 0.0,
        "source": "reviewers",
        "hidden": False,
    }

    assignment_id = second.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_withdraw(
            assignment=second, reason="I advised Acme Analytics last year.", user=second.reviewer
        )

    assert not ReviewerAssignment.objects.filter(pk=assignment_id).exists()
    assert not ReviewerScore.objects.filter(
        assessment=assessment, reviewer=second.reviewer
    ).exists()
    record = ReviewerAssignment.history.filter(id=assignment_id, history_type="-").get()
    assert record.history_change_reason == "I advised Acme Analytics last year."
    assert record.history_user == second.reviewer
    # The withdrawn reviewer's score no longer counts: back to the answer's suggestion.
    assert question_result(assessment, "1.2")["source"] == "answer"


@pytest.mark.parametrize("reason", ["", "   ", "no", "x" * 101])
def test_withdrawing_needs_a_short_reason(review_team, reason):
    lead, _ = review_team
    with pytest.raises(ApplicationError):
        services.assignment_withdraw(assignment=lead, reason=reason)
    assert ReviewerAssignment.objects.filter(pk=lead.pk).exists()


# --- scores ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [-1, 4, 10])
def test_a_score_outside_0_to_3_is_refused(review_team, score):
    lead, _ = review_team
    assessment = lead.assessment
    with pytest.raises(ApplicationError, match="0 \\(not met\\)"):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=lead.reviewer,
            score=score,
        )
    assert not ReviewerScore.objects.filter(assessment=assessment).exists()


def test_the_database_refuses_a_score_above_3(review_team):
    lead, _ = review_team
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewerScore.objects.create(
            assessment=lead.assessment,
            question=question(lead.assessment, "1.1"),
            reviewer=lead.reviewer,
            score=4,
        )


def test_a_draft_never_submitted_cannot_be_scored(assessment, reviewer):
    assignment = services.reviewer_assign(assessment=assessment, reviewer=reviewer)
    services.conflict_declare(assignment=assignment)
    with pytest.raises(ApplicationError, match="Nothing has been submitted"):
        services.reviewer_score_set(
            assessment=assessment, question=question(assessment, "1.1"), reviewer=reviewer, score=2
        )
    assert not ReviewerScore.objects.exists()


def test_a_reviewer_who_has_not_declared_cannot_score(submitted_assessment, reviewer):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    with pytest.raises(ApplicationError, match="declared no conflict"):
        services.reviewer_score_set(
            assessment=submitted_assessment,
            question=question(submitted_assessment, "1.1"),
            reviewer=reviewer,
            score=2,
        )
    assert not ReviewerScore.objects.exists()


def test_someone_not_on_the_team_cannot_score(submitted_assessment, buyer):
    with pytest.raises(ApplicationError, match="assigned reviewer"):
        services.reviewer_score_set(
            assessment=submitted_assessment,
            question=question(submitted_assessment, "1.1"),
            reviewer=buyer,
            score=2,
        )
    assert not ReviewerScore.objects.exists()


def test_a_question_of_another_framework_is_refused(review_team, vendor_framework):
    lead, _ = review_team
    foreign = vendor_framework.questions.first()
    with pytest.raises(ApplicationError, match="not part of this assessment"):
        services.reviewer_score_set(
            assessment=lead.assessment, question=foreign, reviewer=lead.reviewer, score=2
        )


def test_scoring_again_updates_the_one_score_and_keeps_its_history(review_team):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.1")
    services.reviewer_score_set(
        assessment=assessment, question=target, reviewer=lead.reviewer, score=1, comment="first"
    )
    services.reviewer_score_set(
        assessment=assessment, question=target, reviewer=lead.reviewer, score=3, comment="second"
    )
    value = ReviewerScore.objects.get(assessment=assessment, question=target)
    assert (value.score, value.comment) == (3, "second")
    assert list(value.history.order_by("history_date").values_list("score", flat=True)) == [1, 3]


def test_a_score_change_queues_rescoring_and_the_scorecard_follows(
    review_team, django_capture_on_commit_callbacks
):
    lead, _ = review_team
    assessment = lead.assessment
    version = assessment.versions.get()
    before = scorecard_of(assessment).score
    assert question_result(assessment, "1.2")["source"] == "answer"

    with django_capture_on_commit_callbacks() as callbacks:
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.2"),
            reviewer=lead.reviewer,
            score=0,
        )
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.QUEUED
    assert len(callbacks) == 1

    callbacks[0]()  # the worker runs
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.DONE
    assert question_result(assessment, "1.2") == {
        "score": 0.0,
        "source": "reviewers",
        "hidden": False,
    }
    assert scorecard_of(assessment).score < before


def test_consensus_beats_the_reviewers_mean_which_beats_the_answer(
    review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    target = question(assessment, "1.2")  # answered "yes": the suggestion is 2
    assert question_result(assessment, "1.2") == {"score": 2.0, "source": "answer", "hidden": False}

    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment, question=target, reviewer=lead.reviewer, score=0
        )
        services.reviewer_score_set(
            assessment=assessment, question=target, reviewer=second.reviewer, score=1
        )
    assert question_result(assessment, "1.2") == {
        "score": 0.5,
        "source": "reviewers",
        "hidden": False,
    }

    services.review_submit(assignment=lead)
    with django_capture_on_commit_callbacks(execute=True):
        services.consensus_set(
            assessment=assessment, question=target, user=lead.reviewer, score=3, comment="Agreed."
        )
    assert question_result(assessment, "1.2") == {
        "score": 3.0,
        "source": "consensus",
        "hidden": False,
    }

    with django_capture_on_commit_callbacks(execute=True):
        services.consensus_set(
            assessment=assessment, question=target, user=lead.reviewer, score=None
        )
    assert not ConsensusScore.objects.filter(assessment=assessment).exists()
    # Clearing the consensus falls back to the reviewers' scores, which stayed on record.
    assert question_result(assessment, "1.2") == {
        "score": 0.5,
        "source": "reviewers",
        "hidden": False,
    }
    assert ReviewerScore.objects.filter(assessment=assessment, question=target).count() == 2


def test_scores_two_levels_apart_raise_a_divergence(
    review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks(execute=True):
        for code, lead_score, second_score in [("1.1", 0, 2), ("1.2", 1, 2), ("1.4", 3, 0)]:
            for assignment, value in [(lead, lead_score), (second, second_score)]:
                services.reviewer_score_set(
                    assessment=assessment,
                    question=question(assessment, code),
                    reviewer=assignment.reviewer,
                    score=value,
                )
    assert scorecard_of(assessment).data["divergences"] == ["1.1", "1.4"]


def test_after_submitting_a_reviewer_cannot_change_their_scores(review_team):
    lead, _ = review_team
    assessment = lead.assessment
    submitted_review(lead)
    with pytest.raises(ApplicationError, match="scores are final"):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.2"),
            reviewer=lead.reviewer,
            score=0,
        )
    assert ReviewerScore.objects.get(assessment=assessment, reviewer=lead.reviewer).score == 2


def test_a_review_cannot_be_submitted_without_a_score(review_team):
    lead, _ = review_team
    with pytest.raises(ApplicationError, match="at least one question"):
        services.review_submit(assignment=lead)
    lead.refresh_from_db()
    assert lead.submitted_at is None


def test_submitting_twice_keeps_the_first_time(review_team):
    lead, _ = review_team
    submitted_review(lead)
    first = lead.submitted_at
    services.review_submit(assignment=lead)
    lead.refresh_from_db()
    assert lead.submitted_at == first


# --- consensus ------------------------------------------------------------------------------------


def test_only_the_lead_sets_a_consensus(review_team):
    _, second = review_team
    submitted_review(second)
    with pytest.raises(ApplicationError, match="Only the lead reviewer"):
        services.consensus_set(
            assessment=second.assessment,
            question=question(second.assessment, "1.1"),
            user=second.reviewer,
            score=2,
        )
    assert not ConsensusScore.objects.exists()


def test_the_lead_sets_a_consensus_only_after_submitting_their_own_review(review_team):
    lead, _ = review_team
    target = question(lead.assessment, "1.1")
    with pytest.raises(ApplicationError, match="Submit your own review"):
        services.consensus_set(
            assessment=lead.assessment, question=target, user=lead.reviewer, score=2
        )
    assert not ConsensusScore.objects.exists()
    submitted_review(lead)
    services.consensus_set(assessment=lead.assessment, question=target, user=lead.reviewer, score=2)
    assert (
        ConsensusScore.objects.get(assessment=lead.assessment, question=target).set_by
        == lead.reviewer
    )


@pytest.mark.parametrize("score", [-1, 4])
def test_a_consensus_outside_0_to_3_is_refused(review_team, score):
    lead, _ = review_team
    submitted_review(lead)
    with pytest.raises(ApplicationError, match="0 \\(not met\\)"):
        services.consensus_set(
            assessment=lead.assessment,
            question=question(lead.assessment, "1.1"),
            user=lead.reviewer,
            score=score,
        )
    assert not ConsensusScore.objects.exists()


# --- red flags ------------------------------------------------------------------------------------


def a_flag(assessment, code: str) -> RedFlag:
    return RedFlag.objects.get(assessment=assessment, rule__code=code)


@pytest.mark.parametrize("reason", ["", "          ", "too short"])
def test_dismissing_a_red_flag_needs_a_reason(review_team, reason):
    lead, _ = review_team
    flag = a_flag(lead.assessment, "1.2c")
    with pytest.raises(ApplicationError, match="at least 10 characters"):
        services.red_flag_dismiss(flag=flag, user=lead.reviewer, reason=reason)
    flag.refresh_from_db()
    assert flag.status == RedFlag.Status.ACTIVE
    assert flag.dismissed_reason == ""


def test_a_dismissal_is_recorded_with_who_and_why_and_survives_rescoring(
    review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    flag = a_flag(assessment, "1.2c")
    with django_capture_on_commit_callbacks(execute=True):
        services.red_flag_dismiss(
            flag=flag, user=lead.reviewer, reason="The cost matrix was shown at the site visit."
        )
    codes = [item["code"] for item in scorecard_of(assessment).data["dismissed_red_flags"]]
    assert codes == ["1.2c"]
    assert "1.2c" not in [item["code"] for item in scorecard_of(assessment).data["red_flags"]]

    # Another change rescores the version: the dismissal stays.
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=second.reviewer,
            score=2,
        )
    flag.refresh_from_db()
    assert flag.status == RedFlag.Status.DISMISSED
    assert flag.dismissed_by == lead.reviewer
    assert flag.dismissed_reason == "The cost matrix was shown at the site visit."
    assert [item["code"] for item in scorecard_of(assessment).data["dismissed_red_flags"]] == [
        "1.2c"
    ]
    dismissal = flag.history.filter(status=RedFlag.Status.DISMISSED).earliest("history_date")
    assert dismissal.history_user == lead.reviewer


def test_restoring_a_red_flag_makes_it_count_again_and_keeps_the_dismissal_in_history(
    review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    flag = a_flag(assessment, "1.2c")
    with django_capture_on_commit_callbacks(execute=True):
        services.red_flag_dismiss(flag=flag, user=lead.reviewer, reason="Shown at the site visit.")
    with django_capture_on_commit_callbacks(execute=True):
        services.red_flag_restore(flag=flag, user=second.reviewer)
    flag.refresh_from_db()
    assert (flag.status, flag.dismissed_reason, flag.dismissed_by) == (
        RedFlag.Status.ACTIVE,
        "",
        None,
    )
    assert "1.2c" in [item["code"] for item in scorecard_of(assessment).data["red_flags"]]
    statuses = list(
        flag.history.order_by("history_date", "history_id").values_list(
            "status", "dismissed_reason"
        )
    )
    assert statuses == [("active", ""), ("dismissed", "Shown at the site visit."), ("active", "")]
    assert flag.history.latest("history_date").history_user == second.reviewer


def test_only_active_flags_are_dismissed_and_only_dismissed_ones_restored(review_team):
    lead, _ = review_team
    flag = a_flag(lead.assessment, "1.2c")
    with pytest.raises(ApplicationError, match="Only a dismissed red flag"):
        services.red_flag_restore(flag=flag, user=lead.reviewer)
    services.red_flag_dismiss(flag=flag, user=lead.reviewer, reason="Shown at the site visit.")
    with pytest.raises(ApplicationError, match="Only an active red flag"):
        services.red_flag_dismiss(
            flag=flag, user=lead.reviewer, reason="A second, different reason."
        )
    flag.refresh_from_db()
    assert flag.dismissed_reason == "Shown at the site visit."


@pytest.fixture
def no_rollback_assessment(assessment, supplier_a, django_capture_on_commit_callbacks):
    """Answered well except 3.2 (rollback): "no", which raises the critical flag 3.2a."""

    def answer(item):
        if item.code == "3.2":
            return {"status": "no", "text": "We redeploy from scratch when something goes wrong."}
        return good_answer(item)

    answer_everything(assessment, supplier_a, answer)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    return assessment


def test_a_critical_red_flag_forces_the_score_to_0_until_dismissed(
    no_rollback_assessment, reviewer, django_capture_on_commit_callbacks
):
    assessment = no_rollback_assessment
    assignment = services.reviewer_assign(assessment=assessment, reviewer=reviewer, is_lead=True)
    services.conflict_declare(assignment=assignment)
    flag = a_flag(assessment, "3.2a")
    assert flag.rule.severity == "critical"

    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment, question=question(assessment, "3.2"), reviewer=reviewer, score=3
        )
    card = scorecard_of(assessment)
    assert card.data["questions"]["3.2"] == {"score": 0.0, "source": "reviewers", "hidden": False}
    assert card.data["raw_scores"]["3.2"] == 3.0
    criterion_before = card.data["criteria"]["3"]["score"]

    with django_capture_on_commit_callbacks(execute=True):
        services.red_flag_dismiss(
            flag=flag, user=reviewer, reason="A tested rollback runbook was demonstrated to us."
        )
    card = scorecard_of(assessment)
    assert card.data["questions"]["3.2"] == {"score": 3.0, "source": "reviewers", "hidden": False}
    assert card.data["criteria"]["3"]["score"] > criterion_before
