"""Reviewing pages: access, conflict declaration, scoring, consensus, red flags and the team."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership
from assessments import services
from assessments.models import ConsensusScore, RedFlag, ReviewerAssignment, ReviewerScore
from tests.assessments.conftest import answer_everything, good_answer
from tests.factories import MembershipFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET_COMMENT = "Frank thinks the benchmark report is thin."


def text(body: str) -> str:
    """The words of a page, as a person reads them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def question(assessment, code: str):
    return assessment.framework.questions.get(code=code)


def flag_of(assessment, code: str) -> RedFlag:
    return RedFlag.objects.get(assessment=assessment, rule__code=code)


def page_urls(assessment) -> list[str]:
    """Every review page and form endpoint of the assessment."""
    pk = assessment.pk
    flag = RedFlag.objects.filter(assessment=assessment).first()
    flag_pk = flag.pk if flag else 1
    assignment = assessment.assignments.first()
    assignment_pk = assignment.pk if assignment else 1
    return [
        reverse("review-overview", args=[pk]),
        reverse("review-submit", args=[pk]),
        reverse("review-declaration", args=[pk]),
        reverse("review-withdraw", args=[pk]),
        reverse("review-team", args=[pk]),
        reverse("review-team-assign", args=[pk]),
        reverse("review-team-lead", args=[pk, assignment_pk]),
        reverse("review-team-remove", args=[pk, assignment_pk]),
        reverse("review-criterion", args=[pk, "1"]),
        reverse("review-score", args=[pk, "1.1"]),
        reverse("review-consensus", args=[pk]),
        reverse("review-consensus-set", args=[pk, "1.1"]),
        reverse("review-red-flag-dismiss", args=[pk, flag_pk]),
        reverse("review-red-flag-restore", args=[pk, flag_pk]),
    ]


def read_urls(assessment) -> list[str]:
    return [
        reverse("review-overview", args=[assessment.pk]),
        reverse("review-criterion", args=[assessment.pk, "1"]),
        reverse("review-consensus", args=[assessment.pk]),
    ]


def hit(client, url: str, **extra):
    """GET the pages, POST the form endpoints (the method each one accepts)."""
    posting = any(
        part in url
        for part in (
            "/submit/",
            "/withdraw/",
            "/assign/",
            "/lead/",
            "/remove/",
            "/score/",
            "/consensus/",
            "/dismiss/",
            "/restore/",
        )
    )
    posting = posting and not url.endswith("/review/consensus/")
    data = {"reason": "A long enough reason for the record.", "q1-score": "2", "confirm": "on"}
    return client.post(url, data, **extra) if posting else client.get(url, **extra)


def snapshot(client) -> dict:
    return {
        "assignments": list(
            ReviewerAssignment.objects.values_list("pk", "is_lead", "submitted_at")
        ),
        "scores": ReviewerScore.objects.count(),
        "consensus": ConsensusScore.objects.count(),
        "flags": list(RedFlag.objects.order_by("pk").values_list("status", flat=True)),
    }


@pytest.fixture
def lead_and_second(review_team):
    return review_team


@pytest.fixture
def grace(buyer_org):
    """A reviewer of the buyer who is not on this assessment's team."""
    return MembershipFactory(
        user=UserFactory(username="grace", first_name="Grace", last_name="Hopper"),
        organisation=buyer_org,
        role=Membership.Role.REVIEWER,
    ).user


# --- who may open the pages ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_from_every_review_page(client, review_team):
    before = snapshot(client)
    for url in page_urls(review_team[0].assessment):
        response = hit(client, url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert snapshot(client) == before


@pytest.mark.parametrize("person", ["supplier_b", "outsider", "grace"])
def test_supplier_b_outsiders_and_reviewers_not_on_the_team_get_404_everywhere(
    client, review_team, person, request
):
    user = request.getfixturevalue(person)
    client.force_login(user)
    before = snapshot(client)
    for url in page_urls(review_team[0].assessment):
        assert hit(client, url).status_code == 404, url
    assert snapshot(client) == before


def test_the_respondent_cannot_open_review_pages_nor_learn_who_reviews(
    client, review_team, supplier_a, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=second.reviewer,
            score=0,
            comment=SECRET_COMMENT,
        )
    client.force_login(supplier_a)
    before = snapshot(client)
    for url in page_urls(assessment):
        response = hit(client, url)
        assert response.status_code in (403, 404), url
        body = response.content.decode()
        assert SECRET_COMMENT not in body
        assert second.reviewer.get_full_name() not in body
        assert lead.reviewer.get_full_name() not in body
    assert snapshot(client) == before


def test_a_reviewer_who_has_not_declared_is_sent_to_the_declaration_and_sees_no_answer(
    client, submitted_assessment, reviewer
):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    declaration = reverse("review-declaration", args=[submitted_assessment.pk])
    for url in read_urls(submitted_assessment):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == declaration
    response = client.post(
        reverse("review-score", args=[submitted_assessment.pk, "1.1"]), {"q1-score": "2"}, **HTMX
    )
    assert response["HX-Redirect"] == declaration
    assert not ReviewerScore.objects.exists()

    page = client.get(declaration).content.decode()
    assert "Acme Analytics" in page  # they need the supplier's name to judge a conflict
    assert "We do this routinely" not in page  # but no answer


def test_a_reviewer_cannot_open_the_review_of_a_draft_never_submitted(client, assessment, reviewer):
    assignment = services.reviewer_assign(assessment=assessment, reviewer=reviewer)
    services.conflict_declare(assignment=assignment)
    client.force_login(reviewer)
    for url in page_urls(assessment):
        assert hit(client, url).status_code == 404, url
    assert not ReviewerScore.objects.exists()


def test_the_team_page_is_not_available_before_a_version_is_submitted(client, assessment, buyer):
    client.force_login(buyer)
    assert client.get(reverse("review-team", args=[assessment.pk])).status_code == 404


def test_a_manager_not_on_the_team_goes_from_the_overview_to_the_team_page(
    client, review_team, buyer
):
    assessment = review_team[0].assessment
    client.force_login(buyer)
    response = client.get(reverse("review-overview", args=[assessment.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("review-team", args=[assessment.pk])
    assert client.get(reverse("review-criterion", args=[assessment.pk, "1"])).status_code == 403


def test_reviewers_do_not_manage_the_team(client, review_team):
    lead, second = review_team
    client.force_login(lead.reviewer)
    assessment = lead.assessment
    assert client.get(reverse("review-team", args=[assessment.pk])).status_code == 403
    response = client.post(reverse("review-team-remove", args=[assessment.pk, second.pk]))
    assert response.status_code == 403
    assert ReviewerAssignment.objects.filter(pk=second.pk).exists()


# --- conflict of interest -----------------------------------------------------------------------


def test_declaring_needs_the_box_ticked(client, submitted_assessment, reviewer):
    assignment = services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    response = client.post(reverse("review-declaration", args=[submitted_assessment.pk]), {})
    assert response.status_code == 422
    assert "Tick the box to confirm the declaration" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.no_conflict_declared_at is None


def test_declaring_no_conflict_opens_the_review(client, submitted_assessment, reviewer):
    assignment = services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    page = client.get(
        reverse("review-declaration", args=[submitted_assessment.pk])
    ).content.decode()
    assert "I have no financial interest in Acme Analytics" in page

    response = client.post(
        reverse("review-declaration", args=[submitted_assessment.pk]), {"confirm": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review-overview", args=[submitted_assessment.pk])
    assignment.refresh_from_db()
    assert assignment.no_conflict_declared_at is not None
    page = client.get(reverse("review-criterion", args=[submitted_assessment.pk, "1"]))
    assert page.status_code == 200
    assert "We do this routinely" in page.content.decode()


def test_declaring_a_conflict_takes_the_reviewer_off_and_the_manager_sees_why(
    client, submitted_assessment, reviewer, buyer
):
    assignment = services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("review-withdraw", args=[submitted_assessment.pk]),
        {"reason": "My brother works at Acme Analytics."},
    )
    assert response.status_code == 302
    assert not ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
    assert client.get(reverse("review-overview", args=[submitted_assessment.pk])).status_code == 404

    client.force_login(buyer)
    page = client.get(reverse("review-team", args=[submitted_assessment.pk])).content.decode()
    assert "My brother works at Acme Analytics." in page
    assert reviewer.get_full_name() in page


def test_a_conflict_without_a_usable_reason_keeps_what_was_typed(
    client, submitted_assessment, reviewer
):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("review-withdraw", args=[submitted_assessment.pk]), {"reason": "abc"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="abc"' in body
    assert "at least 5 characters" in body
    assert ReviewerAssignment.objects.filter(reviewer=reviewer).exists()


# --- the team -----------------------------------------------------------------------------------


def test_the_team_page_shows_each_reviewers_state(
    client, review_team, buyer, grace, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    services.reviewer_assign(assessment=assessment, reviewer=grace)
    with django_capture_on_commit_callbacks(execute=True):
        for code in ("1.1", "1.2"):
            services.reviewer_score_set(
                assessment=assessment,
                question=question(assessment, code),
                reviewer=second.reviewer,
                score=2,
            )
    services.review_submit(assignment=second)
    shown_questions = sum(
        1
        for result in assessment.versions.get().scorecard.data["questions"].values()
        if not result["hidden"]
    )
    client.force_login(buyer)
    response = client.get(reverse("review-team", args=[assessment.pk]))
    assert response.status_code == 200
    rows = {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S)
        for name in [lead.reviewer.get_full_name(), second.reviewer.get_full_name(), "Grace Hopper"]
        if name in row
    }
    assert "Lead" in rows[lead.reviewer.get_full_name()]
    assert f"0 / {shown_questions}" in rows[lead.reviewer.get_full_name()]
    assert "No conflict" in rows[lead.reviewer.get_full_name()]
    assert "In progress" in rows[lead.reviewer.get_full_name()]
    assert f"2 / {shown_questions}" in rows[second.reviewer.get_full_name()]
    assert "Submitted" in rows[second.reviewer.get_full_name()]
    assert "Not declared yet" in rows["Grace Hopper"]


def test_the_manager_adds_a_lead_reviewer(client, submitted_assessment, buyer, reviewer, reviewer2):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer2, is_lead=True)
    client.force_login(buyer)
    page = client.get(reverse("review-team", args=[submitted_assessment.pk])).content.decode()
    assert f'value="{reviewer.pk}"' in page  # bob can be chosen
    response = client.post(
        reverse("review-team-assign", args=[submitted_assessment.pk]),
        {"reviewer": reviewer.pk, "is_lead": "on"},
    )
    assert response.status_code == 302
    leads = list(
        ReviewerAssignment.objects.filter(
            assessment=submitted_assessment, is_lead=True
        ).values_list("reviewer__username", flat=True)
    )
    assert leads == ["bob"]


def test_assigning_someone_outside_the_buyer_is_refused_with_the_form_kept(
    client, submitted_assessment, buyer, supplier_a
):
    client.force_login(buyer)
    response = client.post(
        reverse("review-team-assign", args=[submitted_assessment.pk]),
        {"reviewer": supplier_a.pk, "is_lead": "on"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose a person from your evaluation team." in body
    assert re.search(r'name="is_lead"[^>]*checked', body)
    assert not ReviewerAssignment.objects.exists()


def test_the_manager_moves_the_lead_and_removes_a_reviewer(client, review_team, buyer):
    lead, second = review_team
    assessment = lead.assessment
    client.force_login(buyer)
    assert (
        client.post(reverse("review-team-lead", args=[assessment.pk, second.pk])).status_code == 302
    )
    lead.refresh_from_db()
    second.refresh_from_db()
    assert (lead.is_lead, second.is_lead) == (False, True)

    assert (
        client.post(reverse("review-team-remove", args=[assessment.pk, lead.pk])).status_code == 302
    )
    assert not ReviewerAssignment.objects.filter(pk=lead.pk).exists()
    record = ReviewerAssignment.history.filter(id=lead.pk, history_type="-").get()
    assert record.history_change_reason.startswith("Removed from the team by")
    assert record.history_user == buyer


def test_the_team_page_costs_the_same_queries_whatever_the_team_size(
    client, review_team, buyer, grace, django_assert_num_queries
):
    assessment = review_team[0].assessment
    client.force_login(buyer)
    url = reverse("review-team", args=[assessment.pk])
    client.get(url)
    with django_assert_num_queries(TEAM_QUERIES):
        assert client.get(url).status_code == 200
    services.reviewer_assign(assessment=assessment, reviewer=grace)
    with django_assert_num_queries(TEAM_QUERIES):
        assert client.get(url).status_code == 200


TEAM_QUERIES = 14


# --- scoring ------------------------------------------------------------------------------------


def test_the_scoring_page_shows_the_answer_the_suggestion_and_the_active_red_flags(
    client, review_team
):
    lead, _ = review_team
    assessment = lead.assessment
    client.force_login(lead.reviewer)
    response = client.get(reverse("review-criterion", args=[assessment.pk, "1"]))
    assert response.status_code == 200
    body = response.content.decode()
    for item in question(assessment, "1.1").criterion.questions.all():
        assert item.text.replace("'", "&#x27;") in body
    assert "We do this routinely under a documented, reviewed and audited process." in body
    assert "2 · Met (from the answer “Yes”)." in body
    assert flag_of(assessment, "1.2c").rule.message in body
    assert f'id="flag-{flag_of(assessment, "1.2c").pk}"' in body
    assert "Figure given:" in body  # 1.3 is a number question


def test_evidence_titles_link_to_the_download_and_to_external_links(
    client, assessment, supplier_a, reviewer, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    target = question(assessment, "1.1")
    document = services.evidence_add(
        assessment=assessment,
        question=target,
        user=supplier_a,
        title="Evaluation report 2025",
        file=SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    services.evidence_add(
        assessment=assessment,
        question=target,
        user=supplier_a,
        title="Metrics dashboard",
        url="https://example.com/metrics",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    assignment = services.reviewer_assign(assessment=assessment, reviewer=reviewer)
    services.conflict_declare(assignment=assignment)
    client.force_login(reviewer)
    body = client.get(reverse("review-criterion", args=[assessment.pk, "1"])).content.decode()
    download = reverse(
        "assessment-evidence-download", kwargs={"pk": assessment.pk, "evidence_pk": document.pk}
    )
    assert f'<a href="{download}">Evaluation report 2025</a>' in body
    assert 'href="https://example.com/metrics" rel="noopener noreferrer nofollow"' in body


def test_a_score_is_saved_in_place(client, review_team, django_capture_on_commit_callbacks):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.2")
    client.force_login(lead.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review-score", args=[assessment.pk, "1.2"]),
            {f"q{target.pk}-score": "1", f"q{target.pk}-comment": "Costs agreed only informally."},
            **HTMX,
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert "✓ Saved" in body
    assert f'id="score-{target.pk}"' in body
    assert "<html" not in body
    # The side list of criteria is refreshed out of band with the new count.
    assert 'hx-swap-oob="outerHTML:.criteria-nav"' in body
    assert '<span class="visually-hidden">scored </span>1/' in body
    value = ReviewerScore.objects.get(
        assessment=assessment, question=target, reviewer=lead.reviewer
    )
    assert (value.score, value.comment) == (1, "Costs agreed only informally.")
    assert assessment.versions.get().scorecard.data["questions"]["1.2"]["source"] == "reviewers"


def test_an_invalid_score_keeps_the_comment_typed(client, review_team):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.2")
    client.force_login(lead.reviewer)
    for data in (
        {f"q{target.pk}-comment": "Half-written thought"},
        {f"q{target.pk}-score": "7", f"q{target.pk}-comment": "Half-written thought"},
    ):
        response = client.post(reverse("review-score", args=[assessment.pk, "1.2"]), data, **HTMX)
        assert response.status_code == 422
        body = response.content.decode()
        assert "Choose a score from 0 (not met) to 3 (exceeds)." in body
        assert "Half-written thought</textarea>" in body
    assert not ReviewerScore.objects.exists()


def test_without_javascript_a_score_posts_and_returns_to_the_question(client, review_team):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.2")
    client.force_login(lead.reviewer)
    response = client.post(
        reverse("review-score", args=[assessment.pk, "1.2"]), {f"q{target.pk}-score": "3"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review-criterion", args=[assessment.pk, "1"]) + "#q-1.2"
    assert ReviewerScore.objects.get(question=target).score == 3

    response = client.post(
        reverse("review-score", args=[assessment.pk, "1.2"]),
        {f"q{target.pk}-score": "9", f"q{target.pk}-comment": "typed"},
    )
    assert response.status_code == 422
    assert "typed</textarea>" in response.content.decode()
    assert ReviewerScore.objects.get(question=target).score == 3


def test_a_reviewer_sees_only_their_own_scores_until_they_submit(
    client, review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=second.reviewer,
            score=0,
            comment=SECRET_COMMENT,
        )
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=lead.reviewer,
            score=2,
            comment="Bob is convinced.",
        )
    client.force_login(lead.reviewer)
    criterion_url = reverse("review-criterion", args=[assessment.pk, "1"])
    consensus_url = reverse("review-consensus", args=[assessment.pk])
    for url in (criterion_url, consensus_url):
        body = client.get(url).content.decode()
        assert SECRET_COMMENT not in body
        assert 'data-testid="team-scores"' not in body
        assert 'data-testid="divergent"' not in body
    assert "Bob is convinced." in client.get(criterion_url).content.decode()
    assert 'data-testid="submit-first"' in client.get(consensus_url).content.decode()

    assert client.post(reverse("review-submit", args=[assessment.pk])).status_code == 302
    lead.refresh_from_db()
    assert lead.submitted_at is not None
    body = client.get(criterion_url).content.decode()
    assert SECRET_COMMENT in body
    assert second.reviewer.get_full_name() in body
    assert 'data-testid="divergent"' in body  # 0 and 2: two levels apart
    assert "Scores differ by 2 or more levels" in body


def test_after_submitting_the_score_form_is_gone_and_posting_is_refused(client, review_team):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.2")
    services.reviewer_score_set(
        assessment=assessment, question=target, reviewer=lead.reviewer, score=2
    )
    services.review_submit(assignment=lead)
    client.force_login(lead.reviewer)
    body = client.get(reverse("review-criterion", args=[assessment.pk, "1"])).content.decode()
    assert reverse("review-score", args=[assessment.pk, "1.2"]) not in body
    response = client.post(
        reverse("review-score", args=[assessment.pk, "1.2"]), {f"q{target.pk}-score": "0"}, **HTMX
    )
    assert response.status_code == 422
    assert "your scores are final" in response.content.decode()
    assert ReviewerScore.objects.get(question=target).score == 2


def test_submitting_a_review_with_no_score_explains_why_not(client, review_team):
    lead, _ = review_team
    client.force_login(lead.reviewer)
    response = client.post(reverse("review-submit", args=[lead.assessment.pk]), follow=True)
    assert "Score at least one question before submitting your review." in response.content.decode()
    lead.refresh_from_db()
    assert lead.submitted_at is None


def test_an_unknown_criterion_or_question_is_404(client, review_team):
    lead, _ = review_team
    client.force_login(lead.reviewer)
    pk = lead.assessment.pk
    assert client.get(reverse("review-criterion", args=[pk, "99"])).status_code == 404
    assert client.post(reverse("review-score", args=[pk, "99.1"]), {}).status_code == 404


def scores_for_everyone(assessment, reviewers, codes) -> None:
    for reviewer in reviewers:
        for code in codes:
            services.reviewer_score_set(
                assessment=assessment,
                question=question(assessment, code),
                reviewer=reviewer,
                score=1,
                comment=f"{reviewer.username} on {code}",
            )


def test_the_scoring_page_costs_the_same_queries_for_any_number_of_questions(
    client, review_team, django_assert_num_queries
):
    lead, second = review_team
    assessment = lead.assessment
    sizes = {
        code: assessment.framework.questions.filter(criterion__code=code).count()
        for code in ("1", "8")
    }
    assert sizes["1"] != sizes["8"]
    scores_for_everyone(
        assessment,
        [lead.reviewer, second.reviewer],
        [q.code for q in assessment.framework.questions.filter(criterion__code="8")],
    )
    services.review_submit(assignment=lead)  # submitted: everyone's scores and consensus shown
    client.force_login(lead.reviewer)
    client.get(reverse("review-criterion", args=[assessment.pk, "1"]))
    for code in ("1", "8"):
        with django_assert_num_queries(CRITERION_QUERIES):
            response = client.get(reverse("review-criterion", args=[assessment.pk, code]))
        assert response.status_code == 200


CRITERION_QUERIES = 19


# --- overview -----------------------------------------------------------------------------------


def test_the_overview_shows_the_scorecard_and_it_follows_the_scores(
    client, review_team, django_capture_on_commit_callbacks
):
    lead, _ = review_team
    assessment = lead.assessment
    client.force_login(lead.reviewer)
    url = reverse("review-overview", args=[assessment.pk])
    before = assessment.versions.get().scorecard
    body = client.get(url).content.decode()
    assert f"{round(before.score * 100)}%" in body
    assert f"Level {before.level} · {before.level_name}" in body
    assert "Up to date" in body
    assert "Submit my review" in body

    with django_capture_on_commit_callbacks(execute=True):
        for item in assessment.framework.questions.filter(criterion__code="1"):
            services.reviewer_score_set(
                assessment=assessment, question=item, reviewer=lead.reviewer, score=0
            )
    after = assessment.versions.get().scorecard
    assert after.score < before.score
    body = client.get(url).content.decode()
    assert f"{round(after.score * 100)}%" in body
    assert re.search(r">\s*8 / 8\s*<", body)  # criterion 1 fully scored


def test_the_overview_shows_when_the_scorecard_is_being_recalculated(
    client, review_team, django_capture_on_commit_callbacks
):
    lead, _ = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks():  # queued, the worker has not run yet
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=lead.reviewer,
            score=1,
        )
    client.force_login(lead.reviewer)
    body = client.get(reverse("review-overview", args=[assessment.pk])).content.decode()
    assert "Waiting to recalculate" in body
    assert 'hx-trigger="load delay:2s"' in body
    fragment = client.get(
        reverse("review-overview", args=[assessment.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="scorecard",
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="scorecard"')


def test_the_overview_costs_the_same_queries_whatever_was_scored(
    client, review_team, django_assert_num_queries
):
    lead, second = review_team
    assessment = lead.assessment
    client.force_login(lead.reviewer)
    url = reverse("review-overview", args=[assessment.pk])
    client.get(url)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        client.get(url)
    scores_for_everyone(assessment, [lead.reviewer, second.reviewer], ["1.1", "2.1", "8.1"])
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert client.get(url).status_code == 200


OVERVIEW_QUERIES = 16


# --- consensus ----------------------------------------------------------------------------------


@pytest.fixture
def divergent_review(review_team, django_capture_on_commit_callbacks):
    """Both reviewers scored 1.1 (0 and 3) and 1.2 (2 and 2), and both submitted."""
    lead, second = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks(execute=True):
        for reviewer, scores in [
            (lead.reviewer, {"1.1": 3, "1.2": 2}),
            (second.reviewer, {"1.1": 0, "1.2": 2}),
        ]:
            for code, value in scores.items():
                services.reviewer_score_set(
                    assessment=assessment,
                    question=question(assessment, code),
                    reviewer=reviewer,
                    score=value,
                    comment=f"{reviewer.username} on {code}",
                )
    services.review_submit(assignment=lead)
    services.review_submit(assignment=second)
    return lead, second


def test_the_consensus_meeting_lists_divergent_questions_first(client, divergent_review):
    lead, _ = divergent_review
    client.force_login(lead.reviewer)
    body = client.get(reverse("review-consensus", args=[lead.assessment.pk])).content.decode()
    divergent = body.index('id="divergent-title"')
    other = body.index('id="other-title"')
    assert divergent < body.index('id="c-1.1"') < other
    assert other < body.index('id="c-1.2"')
    assert "frank on 1.1" in body and "bob on 1.1" in body
    assert "1 divergent question " in text(body)


def test_the_lead_sets_and_clears_a_consensus_in_place(
    client, divergent_review, django_capture_on_commit_callbacks
):
    lead, second = divergent_review
    assessment = lead.assessment
    target = question(assessment, "1.1")
    client.force_login(lead.reviewer)
    url = reverse("review-consensus-set", args=[assessment.pk, "1.1"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {f"c{target.pk}-score": "1", f"c{target.pk}-comment": "Agreed after discussion."},
            **HTMX,
        )
    assert response.status_code == 200
    assert "✓ Saved" in response.content.decode()
    consensus = ConsensusScore.objects.get(assessment=assessment, question=target)
    assert (consensus.score, consensus.comment, consensus.set_by) == (
        1,
        "Agreed after discussion.",
        lead.reviewer,
    )
    assert assessment.versions.get().scorecard.data["questions"]["1.1"] == {
        "score": 1.0,
        "source": "consensus",
        "hidden": False,
    }
    # Individual scores stay on record and on the page.
    client.force_login(second.reviewer)
    body = client.get(reverse("review-criterion", args=[assessment.pk, "1"])).content.decode()
    assert "bob on 1.1" in body and "Agreed after discussion." in body

    client.force_login(lead.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {f"c{target.pk}-score": ""}, **HTMX)
    assert "✓ Cleared" in response.content.decode()
    assert not ConsensusScore.objects.exists()
    assert ReviewerScore.objects.filter(question=target).count() == 2


def test_a_reviewer_who_is_not_the_lead_cannot_set_a_consensus(client, divergent_review):
    _, second = divergent_review
    assessment = second.assessment
    target = question(assessment, "1.1")
    client.force_login(second.reviewer)
    body = client.get(reverse("review-consensus", args=[assessment.pk])).content.decode()
    assert reverse("review-consensus-set", args=[assessment.pk, "1.1"]) not in body
    response = client.post(
        reverse("review-consensus-set", args=[assessment.pk, "1.1"]), {f"c{target.pk}-score": "2"}
    )
    assert response.status_code == 403
    assert not ConsensusScore.objects.exists()


def test_the_lead_must_submit_before_setting_a_consensus(client, review_team):
    lead, _ = review_team
    assessment = lead.assessment
    target = question(assessment, "1.1")
    client.force_login(lead.reviewer)
    response = client.post(
        reverse("review-consensus-set", args=[assessment.pk, "1.1"]),
        {f"c{target.pk}-score": "2", f"c{target.pk}-comment": "Keep me"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Submit your own review before setting consensus scores" in body
    assert "Keep me</textarea>" in body
    assert not ConsensusScore.objects.exists()


def test_the_consensus_meeting_costs_the_same_queries_however_much_was_scored(
    client, divergent_review, django_assert_num_queries
):
    lead, second = divergent_review
    client.force_login(lead.reviewer)
    url = reverse("review-consensus", args=[lead.assessment.pk])
    client.get(url)
    with django_assert_num_queries(CONSENSUS_QUERIES):
        client.get(url)
    ReviewerAssignment.objects.filter(pk__in=[lead.pk, second.pk]).update(submitted_at=None)
    scores_for_everyone(
        lead.assessment,
        [lead.reviewer, second.reviewer],
        [q.code for q in lead.assessment.framework.questions.filter(criterion__code="8")],
    )
    ReviewerAssignment.objects.filter(pk__in=[lead.pk, second.pk]).update(
        submitted_at="2026-01-01T00:00Z"
    )
    with django_assert_num_queries(CONSENSUS_QUERIES):
        assert client.get(url).status_code == 200


CONSENSUS_QUERIES = 18


# --- red flags ----------------------------------------------------------------------------------


def test_dismissing_a_red_flag_needs_a_reason_and_keeps_what_was_typed(client, review_team):
    lead, _ = review_team
    flag = flag_of(lead.assessment, "1.2c")
    client.force_login(lead.reviewer)
    url = reverse("review-red-flag-dismiss", args=[lead.assessment.pk, flag.pk])
    response = client.post(url, {f"flag{flag.pk}-reason": ""}, **HTMX)
    assert response.status_code == 422
    assert "Give a reason for dismissing this red flag" in response.content.decode()
    response = client.post(url, {f"flag{flag.pk}-reason": "Looks ok"}, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "at least 10 characters" in body
    assert "Looks ok</textarea>" in body
    flag.refresh_from_db()
    assert flag.status == RedFlag.Status.ACTIVE


def test_a_dismissal_shows_who_when_why_and_its_history_then_can_be_restored(
    client, review_team, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    flag = flag_of(assessment, "1.2c")
    client.force_login(second.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review-red-flag-dismiss", args=[assessment.pk, flag.pk]),
            {f"flag{flag.pk}-reason": "The cost matrix was shown at the site visit."},
            **HTMX,
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Dismissed by <strong>{second.reviewer.get_full_name()}</strong>" in body
    assert "The cost matrix was shown at the site visit." in body
    assert "Raised by the automatic checks" in body
    flag.refresh_from_db()
    assert (flag.status, flag.dismissed_by) == (RedFlag.Status.DISMISSED, second.reviewer)
    assert "1.2c" in [
        item["code"] for item in assessment.versions.get().scorecard.data["dismissed_red_flags"]
    ]

    # Another reviewer sees the dismissal on the scoring page, and restores it.
    client.force_login(lead.reviewer)
    page = client.get(reverse("review-criterion", args=[assessment.pk, "1"])).content.decode()
    assert "The cost matrix was shown at the site visit." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review-red-flag-restore", args=[assessment.pk, flag.pk]), **HTMX
        )
    assert response.status_code == 200
    history = re.sub(r"\s+", " ", response.content.decode())
    assert f"Dismissed by {second.reviewer.get_full_name()}" in history
    assert f"Restored by {lead.reviewer.get_full_name()}" in history
    flag.refresh_from_db()
    assert flag.status == RedFlag.Status.ACTIVE


def test_the_respondent_pages_never_show_reviewer_scores_or_comments(
    client, review_team, supplier_a, django_capture_on_commit_callbacks
):
    lead, second = review_team
    assessment = lead.assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment,
            question=question(assessment, "1.1"),
            reviewer=second.reviewer,
            score=0,
            comment=SECRET_COMMENT,
        )
    client.force_login(supplier_a)
    for url in (
        reverse("assessment-detail", args=[assessment.pk]),
        reverse("assessment-criterion", args=[assessment.pk, "1"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET_COMMENT not in body
        assert second.reviewer.get_full_name() not in body
        assert lead.reviewer.get_full_name() not in body


def test_a_critical_red_flag_is_explained_where_it_holds_the_score_at_0(
    client, assessment, supplier_a, reviewer, django_capture_on_commit_callbacks
):
    def answer(item):
        if item.code == "3.2":
            return {"status": "no", "text": "We redeploy from scratch when something goes wrong."}
        return good_answer(item)

    answer_everything(assessment, supplier_a, answer)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    assignment = services.reviewer_assign(assessment=assessment, reviewer=reviewer, is_lead=True)
    services.conflict_declare(assignment=assignment)
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment, question=question(assessment, "3.2"), reviewer=reviewer, score=3
        )
    services.review_submit(assignment=assignment)
    client.force_login(reviewer)
    body = text(client.get(reverse("review-criterion", args=[assessment.pk, "3"])).content.decode())
    assert "While this critical flag stands, the question's score counts as 0." in body
    assert (
        "Score used: 0 · mean of the reviewers' scores "
        "(would be 3 without an active critical red flag)" in body.replace("&#x27;", "'")
    )
