"""The answering pages: list, start, overview and scorecard, criterion pages with autosave,
summary and submission, evidence; and who may see or change what."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Membership, Organisation
from assessments import services
from assessments.models import Answer, Assessment, AssessmentVersion, Evidence, RedFlag
from tests.assessments.conftest import answer_everything
from tests.factories import MembershipFactory, OrganisationFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """Scoring runs in the test's process even when REDIS_URL names a broker (the CI settings);
    the real worker is tests/integration's business."""
    from config.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def question(assessment: Assessment, code: str):
    return assessment.framework.questions.get(code=code)


def answer_of(assessment: Assessment, code: str) -> Answer | None:
    return Answer.objects.filter(assessment=assessment, question__code=code).first()


def save(assessment, user, code, **fields) -> Answer:
    return services.answer_save(
        assessment=assessment, question=question(assessment, code), user=user, **fields
    )


def counts(answered: int, required: int) -> str:
    """A progress counter as the pages print it."""
    return f'<strong class="stat">{answered}</strong> of <strong class="stat">{required}</strong>'


def block(html: str, anchor: str) -> str:
    """The HTML of one question block (up to the next one)."""
    start = html.index(f'id="{anchor}"')
    following = html.find('<section id="q-', start + 1)
    return html[start:] if following == -1 else html[start:following]


# --- the list -----------------------------------------------------------------------------------


def test_the_list_explains_self_assessment_when_there_is_none(client, supplier_a, bundled):
    client.force_login(supplier_a)

    response = client.get(url("assessment-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="empty-state"' in html
    assert "A self-assessment is your organisation's own answers to a maturity model" in html
    assert url("assessment-create") in html


def test_the_list_shows_my_organisations_assessments_with_version_score_and_level(
    client, supplier_a, submitted_assessment
):
    scorecard = submitted_assessment.versions.get().scorecard
    client.force_login(supplier_a)

    html = client.get(url("assessment-list")).content.decode()

    assert submitted_assessment.title in html
    assert url("assessment-detail", submitted_assessment.pk) in html
    assert "ML Maturity Model 1.0" in html
    assert "Submitted" in html
    assert "Version 1" in html
    assert f"{round(scorecard.score * 100)}%" in html
    assert f"Level {scorecard.level} · {scorecard.level_name}" in html
    assert "Submitted to you for review" not in html  # a supplier reviews nothing


def test_supplier_b_and_outsiders_do_not_see_supplier_a_in_the_list(
    client, supplier_b, outsider, submitted_assessment
):
    for person in (supplier_b, outsider):
        client.force_login(person)
        html = client.get(url("assessment-list")).content.decode()
        assert submitted_assessment.title not in html


def test_an_outsider_is_told_they_need_an_organisation_and_cannot_start(client, outsider, bundled):
    client.force_login(outsider)

    html = " ".join(client.get(url("assessment-list")).content.decode().split())

    assert "You need to belong to a supplier or buyer organisation to start one" in html
    assert url("assessment-create") not in html
    assert client.get(url("assessment-create")).status_code == 403


def test_buyer_side_lists_only_submitted_assessments_they_review_or_manage(
    client,
    buyer,
    reviewer,
    reviewer2,
    assessment,
    supplier_a,
    review_team,
    framework,
    supplier_a_org,
    buyer_org,
):
    draft = services.assessment_create(
        framework=framework,
        organisation=supplier_a_org,
        user=supplier_a,
        reviewing_organisation=buyer_org,
        title="Acme draft not yet submitted",
    )
    outsider_reviewer = MembershipFactory(
        organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user

    for person in (buyer, reviewer, reviewer2):
        client.force_login(person)
        html = client.get(url("assessment-list")).content.decode()
        assert "Submitted to you for review" in html
        assert assessment.title in html
        assert "Acme Analytics" in html
        assert draft.title not in html

    client.force_login(outsider_reviewer)
    html = client.get(url("assessment-list")).content.decode()
    assert "Nothing to review yet" in html
    assert assessment.title not in html


def test_the_list_costs_the_same_number_of_queries_for_one_or_many_assessments(
    client, supplier_a, submitted_assessment, framework, supplier_a_org, django_assert_num_queries
):
    client.force_login(supplier_a)
    client.get(url("assessment-list"))  # the session is loaded once

    with django_assert_num_queries(5):
        client.get(url("assessment-list"))

    for number in range(5):
        services.assessment_create(
            framework=framework,
            organisation=supplier_a_org,
            user=supplier_a,
            title=f"Extra {number}",
        )
    with django_assert_num_queries(5):
        response = client.get(url("assessment-list"))
    assert response.content.decode().count('href="/assessments/') >= 6


# --- starting a self-assessment -----------------------------------------------------------------


def test_a_supplier_starts_a_self_assessment_shared_with_a_buyer(
    client, supplier_a, framework, buyer_org
):
    client.force_login(supplier_a)

    form = client.get(url("assessment-create")).content.decode()
    assert "ML Maturity Model 1.0" in form
    assert "Northwind Rail" in form
    assert "Answering for <strong>Acme Analytics</strong>" in form
    response = client.post(
        url("assessment-create"),
        {
            "framework": framework.pk,
            "title": "Our 2026 check",
            "organisation": supplier_a.organisations.get().pk,
            "reviewing_organisation": buyer_org.pk,
        },
    )

    created = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("assessment-criterion", created.pk, "1")
    assert created.title == "Our 2026 check"
    assert created.reviewing_organisation == buyer_org
    assert created.status == Assessment.Status.DRAFT
    assert created.kind == Assessment.Kind.SELF
    assert created.created_by == supplier_a


def test_without_a_buyer_the_assessment_stays_private_and_gets_a_default_title(
    client, supplier_a, supplier_a_org, framework
):
    client.force_login(supplier_a)

    client.post(
        url("assessment-create"),
        {
            "framework": framework.pk,
            "title": "",
            "organisation": supplier_a_org.pk,
            "reviewing_organisation": "",
        },
    )

    created = Assessment.objects.get()
    assert created.reviewing_organisation is None
    assert created.title == "Acme Analytics: ML Maturity Model 1.0"


def test_the_start_form_re_renders_with_what_was_typed(
    client, supplier_a, supplier_a_org, framework, buyer_org
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-create"),
        {
            "framework": "999999",
            "title": "Keep this title",
            "organisation": supplier_a_org.pk,
            "reviewing_organisation": buyer_org.pk,
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Keep this title"' in html
    assert re.search(rf'<option value="{buyer_org.pk}" selected>', html)
    assert "Select a valid choice" in html
    assert not Assessment.objects.exists()


def test_a_framework_private_to_another_organisation_cannot_be_chosen(
    client, supplier_b, supplier_b_org, private_framework
):
    client.force_login(supplier_b)

    assert "Acme internal review" not in client.get(url("assessment-create")).content.decode()
    response = client.post(
        url("assessment-create"),
        {"framework": private_framework.pk, "organisation": supplier_b_org.pk},
    )

    assert response.status_code == 200
    assert not Assessment.objects.exists()


def test_a_member_of_several_organisations_chooses_which_one_answers(
    client, supplier_a, supplier_a_org, framework
):
    second = OrganisationFactory(
        name="Acme Labs", slug="acme-labs", kind=Organisation.Kind.SUPPLIER
    )
    MembershipFactory(user=supplier_a, organisation=second, role=Membership.Role.SUPPLIER)
    client.force_login(supplier_a)

    html = client.get(url("assessment-create")).content.decode()
    assert 'name="organisation"' in html and "Acme Labs" in html and "Answering for" in html
    client.post(url("assessment-create"), {"framework": framework.pk, "organisation": second.pk})

    assert Assessment.objects.get().organisation == second


def test_one_cannot_answer_for_an_organisation_one_does_not_belong_to(
    client, supplier_a, supplier_b_org, framework
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-create"), {"framework": framework.pk, "organisation": supplier_b_org.pk}
    )

    assert response.status_code == 200
    assert not Assessment.objects.exists()


# --- the overview -------------------------------------------------------------------------------


def test_the_overview_of_a_draft_shows_progress_per_criterion_and_a_submit_button(
    client, supplier_a, assessment
):
    save(assessment, supplier_a, "1.1", status="yes")
    save(assessment, supplier_a, "1.3", number=12)
    save(assessment, supplier_a, "1.8", text="Optional answers do not count towards progress.")
    client.force_login(supplier_a)

    response = client.get(url("assessment-detail", assessment.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Draft" in html
    assert "Shared with <strong>Northwind Rail</strong> for review" in html
    missing = len(services.missing_answers(assessment))
    assert counts(2, missing + 2) + " required questions answered" in html
    assert ">2/7<" in html  # criterion 1: 7 required questions, 2 answered
    assert 'data-testid="submit"' in html
    assert url("assessment-submit", assessment.pk) in html
    assert "Not submitted yet" in html
    assert 'data-testid="reopen"' not in html
    for code in "12345678":
        assert url("assessment-criterion", assessment.pk, code) in html


def test_the_scored_overview_shows_score_level_recommendations_and_red_flags(
    client, supplier_a, assessment, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    save(assessment, supplier_a, "5.2", status="no")  # critical red flag 5.2a
    save(assessment, supplier_a, "1.1", status="no")  # major red flag 1.1a
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    scorecard = assessment.versions.get().scorecard
    client.force_login(supplier_a)

    html = client.get(url("assessment-detail", assessment.pk)).content.decode()

    assert f'data-testid="overall-score">{round(scorecard.score * 100)}%<' in html
    assert f"Level {scorecard.level} · {scorecard.level_name}" in html
    criterion_one = scorecard.data["criteria"]["1"]
    level = criterion_one["level"]["level"]
    framework_criterion = assessment.framework.criteria.get(code="1")
    assert f"{round(criterion_one['score'] * 100)}%" in html
    assert framework_criterion.recommendation_for(level)[:60] in html
    critical = html[
        html.index('data-testid="flags-critical"') : html.index('data-testid="flags-major"')
    ]
    assert "5.2" in critical and "Access to personal data is not restricted" in critical
    assert "The supplier does not show that it measures anything beyond" in html
    assert 'data-testid="reopen"' in html
    assert 'data-testid="submit"' not in html
    assert 'hx-trigger="every 2s"' not in html


def test_dismissed_red_flags_are_shown_with_their_reason(
    client, supplier_a, reviewer, review_team, django_capture_on_commit_callbacks
):
    assessment = review_team[0].assessment
    flag = (
        RedFlag.objects.filter(assessment=assessment, status=RedFlag.Status.ACTIVE)
        .order_by("pk")
        .first()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.red_flag_dismiss(
            flag=flag, user=reviewer, reason="Checked on site: the report exists."
        )
    client.force_login(supplier_a)

    html = client.get(url("assessment-detail", assessment.pk)).content.decode()

    dismissed = html[html.index('data-testid="dismissed-flags"') :]
    assert "Checked on site: the report exists." in dismissed
    assert escape(flag.rule.message[:40]) in dismissed  # as the template escapes it


def test_divergent_reviewer_scores_are_marked_on_the_overview(
    client, buyer, reviewer, reviewer2, review_team, django_capture_on_commit_callbacks
):
    assessment = review_team[0].assessment
    with django_capture_on_commit_callbacks(execute=True):
        services.reviewer_score_set(
            assessment=assessment, question=question(assessment, "1.2"), reviewer=reviewer, score=0
        )
        services.reviewer_score_set(
            assessment=assessment, question=question(assessment, "1.2"), reviewer=reviewer2, score=3
        )
    client.force_login(buyer)

    html = client.get(url("assessment-detail", assessment.pk)).content.decode()

    assert 'data-testid="divergences"' in html
    assert "question 1.2" in html


def test_while_scoring_is_queued_the_status_polls_itself_every_two_seconds(
    client, supplier_a, submitted_assessment
):
    version = submitted_assessment.versions.get()
    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.QUEUED)
    client.force_login(supplier_a)

    page = client.get(url("assessment-detail", submitted_assessment.pk)).content.decode()
    fragment = client.get(url("assessment-scoring-status", submitted_assessment.pk), **HTMX)

    assert f'hx-get="{url("assessment-scoring-status", submitted_assessment.pk)}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "waiting to be scored" in page
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="scorecard"')
    assert 'hx-trigger="every 2s"' in body
    assert "<html" not in body

    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.RUNNING)
    assert (
        "Scoring version 1"
        in client.get(url("assessment-scoring-status", submitted_assessment.pk)).content.decode()
    )

    AssessmentVersion.objects.filter(pk=version.pk).update(status=AssessmentVersion.Status.DONE)
    done = client.get(url("assessment-scoring-status", submitted_assessment.pk)).content.decode()
    assert "every 2s" not in done
    assert 'data-testid="overall-score"' in done


def test_failed_scoring_shows_the_reason_and_retry_scores_again(
    client, supplier_a, submitted_assessment, django_capture_on_commit_callbacks
):
    version = submitted_assessment.versions.get()
    AssessmentVersion.objects.filter(pk=version.pk).update(
        status=AssessmentVersion.Status.FAILED, error="OperationalError: the database went away"
    )
    client.force_login(supplier_a)

    html = client.get(url("assessment-detail", submitted_assessment.pk)).content.decode()
    assert "Scoring version 1 failed." in html
    assert "OperationalError: the database went away" in html
    assert 'data-testid="retry-scoring"' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("assessment-scoring-retry", submitted_assessment.pk))

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == AssessmentVersion.Status.DONE
    assert version.error == ""


def test_retrying_scoring_that_did_not_fail_is_refused_with_a_message(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)

    response = client.post(url("assessment-scoring-retry", submitted_assessment.pk), follow=True)

    assert "Only failed scoring can be retried." in response.content.decode()


def test_the_overview_costs_a_fixed_number_of_queries(
    client, supplier_a, submitted_assessment, django_assert_num_queries
):
    client.force_login(supplier_a)
    client.get(url("assessment-detail", submitted_assessment.pk))

    with django_assert_num_queries(14):
        response = client.get(url("assessment-detail", submitted_assessment.pk))
    assert response.status_code == 200


# --- criterion pages ----------------------------------------------------------------------------


def test_the_criterion_page_shows_each_question_with_its_guidance_and_widget(
    client, supplier_a, assessment
):
    client.force_login(supplier_a)

    response = client.get(url("assessment-criterion", assessment.pk, "1"))

    html = response.content.decode()
    assert response.status_code == 200
    for code in ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8"):
        assert f'data-question="{code}"' in html
    status = block(html, "q-1-1")
    for value, label in (
        ("yes", "Yes"),
        ("partial", "Partially"),
        ("no", "No"),
        ("na", "Not applicable"),
    ):
        assert f'name="1.1-status" id="q-1-1-status-{value}" value="{value}"' in status
        assert f">{label}</label>" in status
    assert '<details class="guidance">' in status
    assert (
        'name="1.1-text"' in status and 'hx-trigger="keyup changed delay:800ms, change"' in status
    )
    assert f'hx-post="{url("assessment-answer", assessment.pk, "1.1")}"' in status
    assert 'inputmode="decimal"' in block(html, "q-1-3") and 'name="1.3-number"' in block(
        html, "q-1-3"
    )
    choices = block(html, "q-1-6")
    assert choices.count('type="checkbox" name="1.6-choices"') == 5
    assert 'hx-params="1.6-choices,1.6-choices-sent"' in choices
    assert "<textarea" in block(html, "q-1-8") and "Optional" in block(html, "q-1-8")
    assert 'enctype="multipart/form-data"' in status  # upload evidence
    assert 'name="url"' in status  # add a link
    assert url("assessment-criterion", assessment.pk, "2") in html  # next criterion


def test_the_criterion_page_shows_saved_answers_and_evidence(client, supplier_a, assessment):
    save(assessment, supplier_a, "1.1", status="partial", text="Precision & recall per class")
    save(assessment, supplier_a, "1.3", number=12.5)
    save(assessment, supplier_a, "1.6", choices=["Quarterly"])
    services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        url="https://example.com/evaluation",
        title="Evaluation report",
    )
    client.force_login(supplier_a)

    html = client.get(url("assessment-criterion", assessment.pk, "1")).content.decode()

    assert re.search(
        r'id="q-1-1-status-partial" value="partial" autocomplete="off"\s+checked', html
    )
    assert "Precision &amp; recall per class</textarea>" in html
    assert 'value="12.5"' in html
    assert re.search(r'value="Quarterly" id="q-1-6-choice-2"\s+checked', html)
    assert 'href="https://example.com/evaluation"' in html and "Evaluation report" in html


def test_the_criterion_page_costs_the_same_queries_whatever_the_number_of_questions(
    client, supplier_a, assessment, django_assert_num_queries
):
    for code in ("1.1", "8.1", "8.2"):
        save(assessment, supplier_a, code, status="yes")
        services.evidence_add(
            assessment=assessment,
            question=question(assessment, code),
            user=supplier_a,
            url=f"https://example.com/{code}",
        )
    client.force_login(supplier_a)
    client.get(url("assessment-criterion", assessment.pk, "1"))

    assert assessment.framework.criteria.get(code="8").questions.count() == 10
    assert assessment.framework.criteria.get(code="5").questions.count() == 8
    for code in ("1", "5", "8"):
        with django_assert_num_queries(10):
            assert client.get(url("assessment-criterion", assessment.pk, code)).status_code == 200


def test_an_unknown_criterion_is_404(client, supplier_a, assessment):
    client.force_login(supplier_a)

    assert client.get(url("assessment-criterion", assessment.pk, "99")).status_code == 404


def test_a_submitted_assessment_is_read_only_and_says_which_version(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)

    html = client.get(url("assessment-criterion", submitted_assessment.pk, "1")).content.decode()

    assert 'data-testid="read-only"' in html
    assert "submitted as version 1" in html
    assert "hx-post" not in html
    assert 'id="criterion-form"' not in html
    assert html.count("disabled") >= 8 * 3
    assert "Add evidence" not in html


def test_reviewers_read_the_submitted_version_not_a_new_draft(
    client, supplier_a, reviewer, buyer, review_team
):
    assessment = review_team[0].assessment
    services.assessment_reopen(assessment=assessment, user=supplier_a)
    save(assessment, supplier_a, "1.1", text="A secret change made in the new draft")
    services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        url="https://example.com/draft-only",
        title="Draft-only link",
    )

    for person in (reviewer, buyer):
        client.force_login(person)
        html = client.get(url("assessment-criterion", assessment.pk, "1")).content.decode()
        assert "A secret change made in the new draft" not in html
        assert "Draft-only link" not in html
        assert "We do this routinely under a documented, reviewed and audited process." in html
        assert "in version 1" in html
        assert "hx-post" not in html


def test_an_assigned_reviewer_must_declare_no_conflict_before_reading(
    client, submitted_assessment, reviewer
):
    services.reviewer_assign(assessment=submitted_assessment, reviewer=reviewer)
    client.force_login(reviewer)

    for page_url in (
        url("assessment-detail", submitted_assessment.pk),
        url("assessment-criterion", submitted_assessment.pk, "1"),
    ):
        response = client.get(page_url)
        assert response.status_code == 302
        assert response["Location"] == url("review-declaration", submitted_assessment.pk)


# --- autosave -----------------------------------------------------------------------------------


def test_autosave_saves_a_status_and_answers_with_a_saved_fragment(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-answer", assessment.pk, "1.1"), {"1.1-status": "yes"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert re.match(r'\s*<span class="save-ok" data-testid="saved">Saved \d\d:\d\d</span>', html)
    assert '<div class="criterion-progress card mb-4" id="criterion-progress"' in html
    assert 'hx-swap-oob="true"' in html
    assert counts(1, 7) + " required questions answered" in html
    assert 'id="answered-q-1-1" hx-swap-oob="true">Answered<' in html
    assert "<html" not in html
    answer = answer_of(assessment, "1.1")
    assert answer.status == "yes"
    assert answer.updated_by == supplier_a


@pytest.mark.parametrize(
    ("code", "data", "field", "expected"),
    [
        ("1.1", {"1.1-text": "We report recall per class."}, "text", "We report recall per class."),
        ("1.3", {"1.3-number": "1,250.5"}, "number", 1250.5),
        ("1.3", {"1.3-number": ""}, "number", None),
        (
            "1.6",
            {"1.6-choices": ["Quarterly", "Annually"], "1.6-choices-sent": "1"},
            "choices",
            ["Quarterly", "Annually"],
        ),
        ("1.8", {"1.8-text": "We retrained after drift."}, "text", "We retrained after drift."),
    ],
)
def test_autosave_saves_each_answer_type(
    client, supplier_a, assessment, code, data, field, expected
):
    client.force_login(supplier_a)

    response = client.post(url("assessment-answer", assessment.pk, code), data, **HTMX)

    assert 'data-testid="saved"' in response.content.decode()
    assert getattr(answer_of(assessment, code), field) == expected


def test_unticking_the_last_choice_clears_the_choices(client, supplier_a, assessment):
    save(assessment, supplier_a, "1.6", choices=["Quarterly"])
    client.force_login(supplier_a)

    client.post(url("assessment-answer", assessment.pk, "1.6"), {"1.6-choices-sent": "1"}, **HTMX)

    assert answer_of(assessment, "1.6").choices == []


def test_autosave_saves_only_the_field_it_carries(client, supplier_a, assessment):
    save(assessment, supplier_a, "1.1", status="partial", text="Kept as it was")
    client.force_login(supplier_a)

    client.post(url("assessment-answer", assessment.pk, "1.1"), {"1.1-status": "yes"}, **HTMX)

    answer = answer_of(assessment, "1.1")
    assert (answer.status, answer.text) == ("yes", "Kept as it was")


def test_a_validation_error_is_shown_in_red_and_nothing_typed_is_sent_back(
    client, supplier_a, assessment
):
    save(assessment, supplier_a, "1.3", number=12)
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-answer", assessment.pk, "1.3"), {"1.3-number": "twelve"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in
    error = "Question 1.3: &#x27;twelve&#x27; is not a number."
    assert f'<span class="save-error" data-testid="save-error">{error}' in html
    # The field itself is not in the reply, so what the person typed stays in it.
    assert 'name="1.3-number"' not in html
    assert answer_of(assessment, "1.3").number == 12


def test_an_unknown_choice_is_refused(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-answer", assessment.pk, "1.6"),
        {"1.6-choices": ["Every full moon"], "1.6-choices-sent": "1"},
        **HTMX,
    )

    assert "Every full moon is not one of the choices" in response.content.decode()
    assert answer_of(assessment, "1.6") is None


def test_autosave_without_htmx_redirects_to_the_question(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(url("assessment-answer", assessment.pk, "2.1"), {"2.1-status": "no"})

    assert response.status_code == 302
    assert response["Location"] == url("assessment-criterion", assessment.pk, "2") + "#q-2-1"
    assert answer_of(assessment, "2.1").status == "no"


def test_text_typed_just_before_leaving_the_page_is_saved_by_a_beacon(
    client, supplier_a, assessment
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-answer", assessment.pk, "1.1"),
        {"1.1-text": "Typed, then left", "beacon": "1"},
    )

    assert response.status_code == 204
    assert answer_of(assessment, "1.1").text == "Typed, then left"
    follow = client.get(url("assessment-criterion", assessment.pk, "1")).content.decode()
    assert "saved." not in follow  # no stray message on the next page


def test_an_unknown_question_is_404(client, supplier_a, assessment):
    client.force_login(supplier_a)

    assert (
        client.post(
            url("assessment-answer", assessment.pk, "9.99"), {"9.99-status": "yes"}, **HTMX
        ).status_code
        == 404
    )


def test_saving_na_on_5_1_hides_5_2_to_5_8_live_and_out_of_progress(client, supplier_a, assessment):
    client.force_login(supplier_a)
    page = client.get(url("assessment-criterion", assessment.pk, "5")).content.decode()
    assert 'name="5.2-status"' in page

    response = client.post(
        url("assessment-answer", assessment.pk, "5.1"), {"5.1-status": "na"}, **HTMX
    )

    html = response.content.decode()
    for number in range(2, 9):
        swapped = block(html, f"q-5-{number}")
        assert 'hx-swap-oob="true"' in swapped.split(">", 1)[0]
        assert "Not applicable: hidden because of the answer to question 5.1." in swapped
        assert f'name="5.{number}-' not in swapped
    assert counts(1, 1) + " required question answered" in html

    page = client.get(url("assessment-criterion", assessment.pk, "5")).content.decode()
    assert 'name="5.2-status"' not in page
    assert page.count('data-testid="hidden-note"') == 7
    assert [q.code for q in services.missing_answers(assessment) if q.code.startswith("5.")] == []


def test_answering_5_1_again_shows_5_2_with_its_kept_answer(client, supplier_a, assessment):
    save(assessment, supplier_a, "5.2", status="partial", text="Kept while hidden")
    save(assessment, supplier_a, "5.1", status="na")
    client.force_login(supplier_a)

    html = client.post(
        url("assessment-answer", assessment.pk, "5.1"), {"5.1-status": "yes"}, **HTMX
    ).content.decode()

    swapped = block(html, "q-5-2")
    assert 'hx-swap-oob="true"' in swapped.split(">", 1)[0]
    assert re.search(
        r'id="q-5-2-status-partial" value="partial" autocomplete="off"\s+checked', swapped
    )
    assert "Kept while hidden</textarea>" in swapped


def test_2_4_is_shown_only_when_2_3_is_yes_or_partial(client, supplier_a, assessment):
    client.force_login(supplier_a)
    page = client.get(url("assessment-criterion", assessment.pk, "2")).content.decode()
    assert "Not applicable: hidden because of the answer to question 2.3." in block(page, "q-2-4")

    shown = client.post(
        url("assessment-answer", assessment.pk, "2.3"), {"2.3-status": "partial"}, **HTMX
    )
    assert 'name="2.4-number"' in block(shown.content.decode(), "q-2-4")

    still_shown = client.post(
        url("assessment-answer", assessment.pk, "2.3"), {"2.3-status": "yes"}, **HTMX
    )
    assert 'id="q-2-4"' not in still_shown.content.decode()  # no change, no swap

    hidden = client.post(
        url("assessment-answer", assessment.pk, "2.3"), {"2.3-status": "no"}, **HTMX
    )
    assert "Not applicable: hidden because of the answer to question 2.3." in block(
        hidden.content.decode(), "q-2-4"
    )


def test_only_questions_whose_visibility_changed_are_swapped(client, supplier_a, assessment):
    client.force_login(supplier_a)

    html = client.post(
        url("assessment-answer", assessment.pk, "5.2"), {"5.2-status": "yes"}, **HTMX
    ).content.decode()

    assert '<section id="q-' not in html


def test_a_submitted_assessment_refuses_autosave_with_a_message(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-answer", submitted_assessment.pk, "1.1"), {"1.1-status": "no"}, **HTMX
    )

    assert "This assessment has been submitted and is read-only." in response.content.decode()
    assert answer_of(submitted_assessment, "1.1").status == "yes"


# --- the whole criterion without JavaScript -----------------------------------------------------


def test_without_javascript_the_whole_criterion_is_saved_in_one_post(
    client, supplier_a, assessment
):
    save(assessment, supplier_a, "1.6", choices=["Quarterly"])
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-criterion", assessment.pk, "1"),
        {
            **{f"1.{n}-present": "1" for n in range(1, 9)},
            "1.1-status": "yes",
            "1.1-text": "Per-class recall and calibration.",
            "1.2-status": "partial",
            "1.2-text": "",
            "1.3-number": "40",
            "1.6-choices-sent": "1",  # every box unticked
            "1.8-text": "We retired a model that lost to the baseline.",
            "go": "next",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("assessment-criterion", assessment.pk, "2")
    assert answer_of(assessment, "1.1").text == "Per-class recall and calibration."
    assert answer_of(assessment, "1.2").status == "partial"
    assert answer_of(assessment, "1.3").number == 40
    assert answer_of(assessment, "1.6").choices == []
    assert answer_of(assessment, "1.8").text == "We retired a model that lost to the baseline."
    assert answer_of(assessment, "1.4") is None  # nothing chosen, nothing stored


def test_without_javascript_an_error_re_renders_the_page_with_everything_typed(
    client, supplier_a, assessment
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-criterion", assessment.pk, "1"),
        {
            **{f"1.{n}-present": "1" for n in range(1, 9)},
            "1.1-status": "no",
            "1.1-text": "Typed and kept",
            "1.3-number": "about forty",
            "1.6-choices": ["Annually"],
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in html
    q13 = block(html, "q-1-3")
    assert 'value="about forty"' in q13
    assert "Question 1.3: &#x27;about forty&#x27; is not a number." in q13
    assert "is-invalid" in q13
    assert "Typed and kept</textarea>" in html
    assert re.search(r'value="Annually" id="q-1-6-choice-3"\s+checked', html)
    assert answer_of(assessment, "1.1").status == "no"  # the valid fields were saved
    assert answer_of(assessment, "1.3") is None


def test_without_javascript_a_submitted_assessment_is_not_changed(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-criterion", submitted_assessment.pk, "1"),
        {"1.1-present": "1", "1.1-status": "no"},
        follow=True,
    )

    assert "This assessment has been submitted and is read-only." in response.content.decode()
    assert answer_of(submitted_assessment, "1.1").status == "yes"


# --- summary, submit, reopen --------------------------------------------------------------------


def test_the_summary_lists_the_missing_answers_with_links_to_each_question(
    client, supplier_a, assessment
):
    save(assessment, supplier_a, "1.1", status="yes")
    save(assessment, supplier_a, "5.1", status="na")
    client.force_login(supplier_a)

    html = client.get(url("assessment-summary", assessment.pk)).content.decode()

    missing = services.missing_answers(assessment)
    assert f"{len(missing)} required questions still to answer" in html
    assert url("assessment-criterion", assessment.pk, "1") + "#q-1-2" in html
    assert "#q-1-1" not in html
    assert "#q-1-8" not in html  # optional
    assert "#q-5-2" not in html  # hidden by 5.1
    assert "#q-2-4" not in html  # hidden until 2.3 is yes or partial
    assert 'data-testid="submit"' in html


def test_submitting_with_missing_answers_is_refused_and_lists_them(client, supplier_a, assessment):
    save(assessment, supplier_a, "1.1", status="yes")
    client.force_login(supplier_a)

    response = client.post(url("assessment-submit", assessment.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="submit-error"' in html
    assert "required question(s) are not answered: 1.2, 1.3" in html
    assert url("assessment-criterion", assessment.pk, "1") + "#q-1-2" in html
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT
    assert not assessment.versions.exists()


def test_submitting_creates_a_scored_version_and_the_overview_shows_it(
    client, supplier_a, assessment, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    save(assessment, supplier_a, "5.2", status="no")
    client.force_login(supplier_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("assessment-submit", assessment.pk))

    assert response.status_code == 302
    assert response["Location"] == url("assessment-detail", assessment.pk)
    assessment.refresh_from_db()
    version = assessment.versions.get()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert version.status == AssessmentVersion.Status.DONE
    html = client.get(response["Location"]).content.decode()
    assert "Submitted as version 1." in html
    assert f'data-testid="overall-score">{round(version.scorecard.score * 100)}%<' in html
    assert f"Level {version.scorecard.level} · {version.scorecard.level_name}" in html
    assert "Access to personal data is not restricted" in html


def test_submitting_twice_creates_one_version(
    client, supplier_a, assessment, django_capture_on_commit_callbacks
):
    answer_everything(assessment, supplier_a)
    client.force_login(supplier_a)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("assessment-submit", assessment.pk))
    second = client.post(url("assessment-submit", assessment.pk), follow=True)

    assert assessment.versions.count() == 1
    assert "This assessment has been submitted and is read-only." in second.content.decode()


def test_starting_a_new_draft_keeps_the_submitted_version(client, supplier_a, submitted_assessment):
    client.force_login(supplier_a)

    response = client.post(url("assessment-reopen", submitted_assessment.pk), follow=True)

    submitted_assessment.refresh_from_db()
    assert submitted_assessment.status == Assessment.Status.DRAFT
    assert submitted_assessment.versions.count() == 1
    html = response.content.decode()
    assert "A new draft has been started from your last submission." in html
    assert 'data-testid="submit"' in html
    page = client.get(url("assessment-criterion", submitted_assessment.pk, "1")).content.decode()
    assert "hx-post" in page and 'data-testid="read-only"' not in page


def test_the_summary_of_a_submitted_assessment_has_no_submit_button(
    client, supplier_a, submitted_assessment
):
    client.force_login(supplier_a)

    html = client.get(url("assessment-summary", submitted_assessment.pk)).content.decode()

    assert 'data-testid="read-only"' in html
    assert 'data-testid="submit"' not in html


# --- evidence -----------------------------------------------------------------------------------


def test_uploading_evidence_lists_it_under_the_question(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {
            "kind": "file",
            "title": "Evaluation report",
            "file": SimpleUploadedFile("report.pdf", PDF, "application/pdf"),
        },
        **HTMX,
    )

    evidence = Evidence.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="evidence" id="evidence-q-1-1">')
    assert "Evaluation report" in html and "report.pdf" in html
    assert url("assessment-evidence-download", assessment.pk, evidence.pk) in html
    assert evidence.question.code == "1.1"
    assert evidence.title == "Evaluation report"
    assert evidence.size == len(PDF)
    assert evidence.uploaded_by == supplier_a


def test_adding_a_link_as_evidence(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {"kind": "link", "url": "https://example.com/policy", "title": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == url("assessment-criterion", assessment.pk, "1") + "#q-1-1"
    evidence = Evidence.objects.get()
    assert (evidence.url, evidence.title, evidence.file.name) == (
        "https://example.com/policy",
        "https://example.com/policy",
        "",
    )


def test_a_file_over_10_mb_is_refused_next_to_the_question(
    client, supplier_a, assessment, settings
):
    client.force_login(supplier_a)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {"kind": "file", "title": "Too big to keep", "file": big},
        **HTMX,
    )

    html = response.content.decode()
    assert 'data-testid="evidence-error"' in html
    assert "big.pdf: the file is larger than 10 MB." in html
    assert 'value="Too big to keep"' in html
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "report.pdf",
            b"\x89PNG\r\n\x1a\n....",
            "report.pdf: the content does not match its .pdf extension.",
        ),
        (
            "notes.txt",
            b"\xff\xfe\x00\x00 not text" * 20,
            "notes.txt: the content is not UTF-8 text.",
        ),
        ("tool.exe", b"MZ\x90\x00", "tool.exe: files of this type are not accepted."),
    ],
)
def test_a_file_whose_type_or_content_is_wrong_is_refused(
    client, supplier_a, assessment, name, content, message
):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {"kind": "file", "file": SimpleUploadedFile(name, content)},
        **HTMX,
    )

    assert message in response.content.decode()
    assert not Evidence.objects.exists()


def test_without_javascript_a_refused_upload_re_renders_the_page_keeping_the_rest(
    client, supplier_a, assessment
):
    save(assessment, supplier_a, "1.1", text="My explanation stays")
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {"kind": "file", "title": "My title", "file": SimpleUploadedFile("x.pdf", b"GIF89a")},
    )

    html = response.content.decode()
    assert response.status_code == 200
    q11 = block(html, "q-1-1")
    assert "x.pdf: the content does not match its .pdf extension." in q11
    assert 'value="My title"' in q11
    assert "My explanation stays</textarea>" in q11


def test_a_link_that_is_not_a_web_address_is_refused(client, supplier_a, assessment):
    client.force_login(supplier_a)

    response = client.post(
        url("assessment-evidence-add", assessment.pk, "1.1"),
        {"kind": "link", "url": "javascript:alert(1)", "title": "x"},
        **HTMX,
    )

    assert "Give a full web address" in response.content.decode()
    assert not Evidence.objects.exists()


def test_removing_evidence(client, supplier_a, assessment):
    evidence = services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        file=SimpleUploadedFile("report.pdf", PDF),
    )
    stored = evidence.file.path
    client.force_login(supplier_a)

    response = client.post(url("assessment-evidence-delete", assessment.pk, evidence.pk), **HTMX)

    assert response.status_code == 200
    assert "No evidence attached" in response.content.decode()
    assert not Evidence.objects.exists()
    import os

    assert not os.path.exists(stored)


def test_the_respondent_downloads_evidence_as_an_attachment(client, supplier_a, assessment):
    evidence = services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        file=SimpleUploadedFile("report.pdf", PDF),
    )
    client.force_login(supplier_a)

    response = client.get(url("assessment-evidence-download", assessment.pk, evidence.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


def test_evidence_files_are_not_served_from_a_public_media_url(
    client, supplier_a, assessment, settings
):
    evidence = services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        file=SimpleUploadedFile("report.pdf", PDF),
    )
    client.force_login(supplier_a)

    assert client.get("/" + settings.MEDIA_URL + evidence.file.name).status_code == 404


@pytest.fixture
def shared(assessment, supplier_a, django_capture_on_commit_callbacks):
    """Supplier A's assessment with one evidence file, submitted and scored."""
    evidence = services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.1"),
        user=supplier_a,
        file=SimpleUploadedFile("report.pdf", PDF),
    )
    answer_everything(assessment, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=assessment, user=supplier_a)
    assessment.refresh_from_db()
    return assessment, evidence


def test_reviewers_and_the_buyer_download_submitted_evidence_but_not_a_new_drafts(
    client, shared, supplier_a, reviewer, buyer
):
    assessment, evidence = shared
    services.conflict_declare(
        assignment=services.reviewer_assign(assessment=assessment, reviewer=reviewer)
    )
    for person in (reviewer, buyer):
        client.force_login(person)
        assert (
            client.get(url("assessment-evidence-download", assessment.pk, evidence.pk)).status_code
            == 200
        )

    services.assessment_reopen(assessment=assessment, user=supplier_a)
    draft_only = services.evidence_add(
        assessment=assessment,
        question=question(assessment, "1.2"),
        user=supplier_a,
        file=SimpleUploadedFile("new.pdf", PDF),
    )
    for person in (reviewer, buyer):
        client.force_login(person)
        assert (
            client.get(
                url("assessment-evidence-download", assessment.pk, draft_only.pk)
            ).status_code
            == 404
        )
        assert (
            client.get(url("assessment-evidence-download", assessment.pk, evidence.pk)).status_code
            == 200
        )


def test_evidence_of_another_assessment_cannot_be_fetched_through_mine(
    client, shared, supplier_b, supplier_b_org, framework
):
    _, evidence = shared
    mine = services.assessment_create(
        framework=framework, organisation=supplier_b_org, user=supplier_b
    )
    client.force_login(supplier_b)

    assert client.get(url("assessment-evidence-download", mine.pk, evidence.pk)).status_code == 404


# --- who may see and change what ----------------------------------------------------------------


def every_url(assessment: Assessment, evidence: Evidence) -> list[tuple[str, str, dict]]:
    pk = assessment.pk
    return [
        ("get", url("assessment-detail", pk), {}),
        ("get", url("assessment-scoring-status", pk), {}),
        ("post", url("assessment-scoring-retry", pk), {}),
        ("get", url("assessment-criterion", pk, "1"), {}),
        ("post", url("assessment-criterion", pk, "1"), {"1.1-present": "1", "1.1-status": "no"}),
        ("post", url("assessment-answer", pk, "1.1"), {"1.1-status": "no"}),
        (
            "post",
            url("assessment-evidence-add", pk, "1.1"),
            {"kind": "link", "url": "https://example.com/x"},
        ),
        ("get", url("assessment-evidence-download", pk, evidence.pk), {}),
        ("post", url("assessment-evidence-delete", pk, evidence.pk), {}),
        ("get", url("assessment-summary", pk), {}),
        ("post", url("assessment-submit", pk), {}),
        ("post", url("assessment-reopen", pk), {}),
    ]


def assert_nothing_changed(assessment: Assessment, evidence: Evidence) -> None:
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.versions.count() == 1
    assert answer_of(assessment, "1.1").status == "yes"
    assert list(Evidence.objects.filter(assessment=assessment)) == [evidence]


@pytest.mark.parametrize("who", ["supplier_b", "outsider", "unassigned_reviewer"])
def test_supplier_b_outsiders_and_unassigned_reviewers_get_404_everywhere(
    client, shared, who, request
):
    assessment, evidence = shared
    person = request.getfixturevalue("reviewer" if who == "unassigned_reviewer" else who)
    client.force_login(person)

    for method, target, data in every_url(assessment, evidence):
        response = (
            getattr(client, method)(target, data, **HTMX)
            if method == "post"
            else client.get(target)
        )
        assert response.status_code == 404, (method, target)
    assert_nothing_changed(assessment, evidence)


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client, shared):
    assessment, evidence = shared
    targets = [(m, t, d) for m, t, d in every_url(assessment, evidence)]
    targets += [("get", url("assessment-list"), {}), ("get", url("assessment-create"), {})]

    for method, target, data in targets:
        response = getattr(client, method)(target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert_nothing_changed(assessment, evidence)


def test_readers_who_are_not_respondents_cannot_write(client, shared, reviewer, buyer):
    assessment, evidence = shared
    services.conflict_declare(
        assignment=services.reviewer_assign(assessment=assessment, reviewer=reviewer)
    )
    writes = [
        (m, t, d)
        for m, t, d in every_url(assessment, evidence)
        if m == "post" and "scoring" not in t
    ] + [("get", url("assessment-summary", assessment.pk), {})]

    for person in (reviewer, buyer):
        client.force_login(person)
        for method, target, data in writes:
            response = getattr(client, method)(target, data, **HTMX)
            assert response.status_code == 403, (person, target)
        assert client.get(url("assessment-detail", assessment.pk)).status_code == 200
        assert client.get(url("assessment-criterion", assessment.pk, "1")).status_code == 200
    assert_nothing_changed(assessment, evidence)


def test_the_buyer_sees_nothing_of_a_draft_never_submitted(client, assessment, buyer, reviewer):
    for person in (buyer, reviewer):
        client.force_login(person)
        assert client.get(url("assessment-detail", assessment.pk)).status_code == 404
        assert client.get(url("assessment-criterion", assessment.pk, "1")).status_code == 404


def test_reviewers_and_the_buyer_get_a_read_only_overview_with_a_way_to_the_review(
    client, review_team, reviewer, buyer
):
    assessment = review_team[0].assessment

    client.force_login(reviewer)
    html = client.get(url("assessment-detail", assessment.pk)).content.decode()
    assert f'href="{url("review-overview", assessment.pk)}"' in html
    assert 'data-testid="overall-score"' in html
    assert 'data-testid="submit"' not in html and 'data-testid="reopen"' not in html

    client.force_login(buyer)
    html = client.get(url("assessment-detail", assessment.pk)).content.decode()
    assert f'href="{url("review-team", assessment.pk)}"' in html
    assert 'data-testid="reopen"' not in html
