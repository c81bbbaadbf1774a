"""The assessments API (/api/v1/assessments/): answering, submitting, scorecards, reports, reviews.

Most tests use the small fixture questionnaire (tests/fixtures), whose
scores are worked out by hand below; the query-count tests compare it with
the bundled 66-question model.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

import pytest
import yaml
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Membership
from assessments import scoring, services
from assessments.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Report,
    ReviewerScore,
)
from assessments.selectors import dismissed_rule_codes, reviews_input
from principles.models import Framework
from principles.selectors import framework_spec
from tests.assessments.conftest import answer_everything
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/assessments/"
FAKE_PDF = b"%PDF-1.7\n% a stand-in report for the API tests\n%%EOF\n"
DECLARE_FIRST = (
    "Declare that you have no conflict of interest with this assessment before opening it."
)
NOT_THE_RESPONDENT = "Only the answering organisation can change this assessment."
READ_ONLY = "This assessment has been submitted and is read-only. Start a new draft to change it."
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}

VENDOR_ANSWERS = {
    "S1": {"status": "yes", "text": "AES-256 on every disk and backup."},
    "S2": {"choices": ["Cloud KMS"]},
    "S3": {"number": 1},
    "O1": {"text": "The on-call engineer is paged at once; customers hear from us within a day."},
    "O2": {"status": "no"},
    "O3": {"choices": ["ISO 27001"]},
}
# S1 yes → 2 (answer); S2, S3, O1, O3 wait for a reviewer; O2 no → 0.
# S = 2/(3·1); O = 0; M = (2·S + 1·O)/3 with the fixture's criterion weights 2 and 1.
VENDOR_SCORE = (2 * (2 / 3) + 1 * 0.0) / 3
EMPTY_ANSWER = {"status": "", "text": "", "number": None, "choices": [], "evidence_count": 0}


def ts(value) -> str | None:
    """A datetime as DRF writes it."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def answer_vendor(assessment: Assessment, user, answers: dict = VENDOR_ANSWERS) -> None:
    for code, fields in answers.items():
        question = assessment.framework.questions.get(code=code)
        services.answer_save(assessment=assessment, question=question, user=user, **fields)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """Scoring and rendering run in the test's process even when REDIS_URL names a broker.

    The real worker is tests/integration's business; here the API is under test.
    """
    from config.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def draft(vendor_framework, supplier_a, supplier_a_org, buyer_org) -> Assessment:
    """Supplier A's draft of the fixture questionnaire, shared with the buyer for review."""
    return services.assessment_create(
        framework=vendor_framework,
        organisation=supplier_a_org,
        user=supplier_a,
        title="Acme security answers",
        reviewing_organisation=buyer_org,
    )


@pytest.fixture
def submitted(draft, supplier_a, django_capture_on_commit_callbacks) -> Assessment:
    """VENDOR_ANSWERS submitted and scored."""
    answer_vendor(draft, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=draft, user=supplier_a)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def team(submitted, reviewer, reviewer2):
    """bob leads and frank reviews; both declared no conflict."""
    lead = services.reviewer_assign(assessment=submitted, reviewer=reviewer, is_lead=True)
    second = services.reviewer_assign(assessment=submitted, reviewer=reviewer2)
    services.conflict_declare(assignment=lead)
    services.conflict_declare(assignment=second)
    return lead, second


@pytest.fixture
def undeclared_reviewer(submitted, reviewer):
    """bob, assigned but not yet declared free of conflict."""
    services.reviewer_assign(assessment=submitted, reviewer=reviewer)
    return reviewer


def _install_renderer(monkeypatch, render: Callable) -> None:
    try:
        import assessments.reports as module
    except ImportError:  # the renderer is another engineer's; the API does not depend on it
        module = types.ModuleType("assessments.reports")
        monkeypatch.setitem(sys.modules, "assessments.reports", module)
    monkeypatch.setattr(module, "report_render", render, raising=False)
    if not hasattr(module, "report_filename"):
        monkeypatch.setattr(
            module,
            "report_filename",
            lambda report: f"report-v{report.version.number}.pdf",
            raising=False,
        )


@pytest.fixture
def fake_renderer(monkeypatch) -> list[int]:
    """A renderer that stores FAKE_PDF at once; returns the ids it rendered."""
    rendered: list[int] = []

    def render(*, report_id: int) -> Report:
        rendered.append(report_id)
        report = Report.objects.get(pk=report_id)
        report.file.save(f"report-{report_id}.pdf", ContentFile(FAKE_PDF), save=False)
        report.size = len(FAKE_PDF)
        report.status = Report.Status.DONE
        report.error = ""
        report.finished_at = timezone.now()
        report.save()
        return report

    _install_renderer(monkeypatch, render)
    return rendered


@pytest.fixture
def failing_renderer(monkeypatch) -> None:
    def render(*, report_id: int) -> None:
        Report.objects.filter(pk=report_id).update(
            status=Report.Status.FAILED,
            error="The PDF could not be produced (disk full).",
            finished_at=timezone.now(),
        )

    _install_renderer(monkeypatch, render)


@pytest.fixture
def report(submitted, supplier_a, fake_renderer, django_capture_on_commit_callbacks) -> Report:
    """A rendered report of version 1."""
    with django_capture_on_commit_callbacks(execute=True):
        created = services.report_request(assessment=submitted, user=supplier_a)
    created.refresh_from_db()
    return created


def expected_summary(assessment: Assessment, **changes) -> dict:
    body = {
        "id": assessment.pk,
        "title": "Acme security answers",
        "kind": "self",
        "status": "draft",
        "framework": {
            "slug": "vendor-security-questionnaire",
            "version": "1.0",
            "name": "Vendor Security Questionnaire",
        },
        "organisation": {"slug": "acme-analytics", "name": "Acme Analytics"},
        "reviewing_organisation": {"slug": "northwind-rail", "name": "Northwind Rail"},
        "version_count": 0,
        "scoring_status": None,
        "created_at": ts(assessment.created_at),
        "updated_at": ts(assessment.updated_at),
    }
    return {**body, **changes}


def expected_version(version: AssessmentVersion, **changes) -> dict:
    body = {
        "number": version.number,
        "submitted_at": ts(version.created_at),
        "status": version.status,
        "error": version.error,
        "queued_at": ts(version.queued_at),
        "started_at": ts(version.started_at),
        "finished_at": ts(version.finished_at),
        "score": None,
        "level": None,
    }
    return {**body, **changes}


def snapshot(assessment: Assessment) -> dict:
    """What any request might change, to show a refused one changed nothing."""
    assessment.refresh_from_db()
    return {
        "assessment": (assessment.title, assessment.status, assessment.updated_at),
        "answers": sorted(
            Answer.objects.filter(assessment=assessment).values_list(
                "question__code", "status", "text", "number", "updated_at"
            )
        ),
        "versions": sorted(
            AssessmentVersion.objects.filter(assessment=assessment).values_list(
                "number", "status", "queued_at"
            )
        ),
        "reports": sorted(
            Report.objects.filter(assessment=assessment).values_list("pk", "status", "queued_at")
        ),
        "reviews": ReviewerScore.objects.filter(assessment=assessment).count(),
    }


# --- who may call what: every endpoint ---------------------------------------------------------

ENDPOINTS = [
    ("get", "{a}/", None),
    ("patch", "{a}/", {"title": "Taken over"}),
    ("get", "{a}/answers/", None),
    ("patch", "{a}/answers/S1/", {"status": "no"}),
    ("post", "{a}/submit/", None),
    ("post", "{a}/reopen/", None),
    ("get", "{a}/scorecard/", None),
    ("post", "{a}/scorecard/retry/", None),
    ("post", "{a}/reports/", None),
    ("get", "{a}/reports/{r}/", None),
    ("post", "{a}/reports/{r}/retry/", None),
    ("get", "{a}/reports/{r}/download/", None),
    ("put", "{a}/reviews/S1/", {"score": 0, "comment": "Not convinced."}),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


def call(
    client: APIClient,
    method: str,
    path: str,
    body: dict | None,
    assessment_id: int,
    report_id: int = 0,
):
    url = API + path.format(a=assessment_id, r=report_id)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("role", ["outsider", "supplier_b", "reviewer"])
def test_people_outside_the_assessment_get_404_from_every_endpoint_and_change_nothing(
    request, report, method, path, body, role
):
    """reviewer: bob of the buyer organisation, not assigned to this assessment."""
    assessment = report.assessment
    before = snapshot(assessment)
    response = call(
        client_for(request.getfixturevalue(role)), method, path, body, assessment.pk, report.pk
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot(assessment) == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_an_anonymous_caller_is_refused_by_every_endpoint_and_changes_nothing(
    report, method, path, body
):
    assessment = report.assessment
    before = snapshot(assessment)
    response = call(client_for(None), method, path, body, assessment.pk, report.pk)
    assert response.status_code == 403
    assert response.json() == NOT_SIGNED_IN
    assert snapshot(assessment) == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_an_assigned_reviewer_who_has_not_declared_no_conflict_is_told_to_declare_first(
    report, undeclared_reviewer, method, path, body
):
    assessment = report.assessment
    before = snapshot(assessment)
    response = call(client_for(undeclared_reviewer), method, path, body, assessment.pk, report.pk)
    assert response.status_code == 403
    assert response.json() == {"detail": DECLARE_FIRST}
    assert snapshot(assessment) == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_buyer_sees_nothing_of_a_draft_that_was_never_submitted(
    draft, buyer, method, path, body
):
    before = snapshot(draft)
    response = call(client_for(buyer), method, path, body, draft.pk, 1)
    assert response.status_code == 404
    assert snapshot(draft) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "{a}/", {"title": "Taken over"}),
        ("patch", "{a}/answers/S1/", {"status": "no"}),
        ("post", "{a}/submit/", None),
        ("post", "{a}/reopen/", None),
    ],
)
@pytest.mark.parametrize("role", ["buyer", "reviewer"])
def test_the_buyer_and_reviewers_may_read_but_not_change_the_respondents_answers(
    request, team, method, path, body, role
):
    assessment = team[0].assessment
    before = snapshot(assessment)
    response = call(client_for(request.getfixturevalue(role)), method, path, body, assessment.pk)
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_THE_RESPONDENT}
    assert snapshot(assessment) == before


@pytest.mark.parametrize("role", ["buyer", "reviewer", "supplier_a"])
@pytest.mark.parametrize(
    "path",
    ["{a}/", "{a}/answers/", "{a}/scorecard/", "{a}/reports/{r}/", "{a}/reports/{r}/download/"],
)
def test_the_respondent_the_buyer_and_a_declared_reviewer_may_read_everything(
    request, team, report, role, path
):
    response = call(
        client_for(request.getfixturevalue(role)),
        "get",
        path,
        None,
        report.assessment_id,
        report.pk,
    )
    assert response.status_code == 200


def test_a_report_of_another_assessment_is_404_under_this_one(
    report, supplier_a, vendor_framework, supplier_a_org
):
    other = services.assessment_create(
        framework=vendor_framework, organisation=supplier_a_org, user=supplier_a
    )
    client = client_for(supplier_a)
    for suffix in ("", "download/"):
        response = client.get(f"{API}{other.pk}/reports/{report.pk}/{suffix}")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such report."}


def test_an_unknown_assessment_is_404(supplier_a, draft):
    response = client_for(supplier_a).get(f"{API}{draft.pk + 1000}/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# --- token authentication -------------------------------------------------------------------------


def test_a_token_authenticates_reads_and_writes(draft, supplier_a):
    token = Token.objects.create(user=supplier_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    listed = client.get(API)
    saved = client.patch(f"{API}{draft.pk}/answers/S1/", {"status": "partial"}, format="json")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [draft.pk]
    assert saved.status_code == 200
    assert Answer.objects.get(assessment=draft, question__code="S1").status == "partial"


def test_a_wrong_token_is_refused(draft, supplier_a):
    Token.objects.create(user=supplier_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.patch(f"{API}{draft.pk}/answers/S1/", {"status": "partial"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token."}
    assert not Answer.objects.filter(assessment=draft).exists()


# --- list -----------------------------------------------------------------------------------------


def test_the_list_shows_the_respondent_its_assessments_newest_first(
    draft, submitted, supplier_a, vendor_framework, supplier_a_org
):
    private = services.assessment_create(
        framework=vendor_framework,
        organisation=supplier_a_org,
        user=supplier_a,
        title="Private check",
    )
    submitted.refresh_from_db()
    version = submitted.versions.get()

    response = client_for(supplier_a).get(API)

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            expected_summary(private, title="Private check", reviewing_organisation=None),
            expected_summary(
                submitted, status="submitted", version_count=1, scoring_status=version.status
            ),
        ],
    }
    assert version.status == "done"


def test_the_list_is_empty_for_people_outside_the_assessment(
    submitted, outsider, supplier_b, reviewer
):
    for user in (outsider, supplier_b, reviewer):
        response = client_for(user).get(API)
        assert response.status_code == 200
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_list_shows_the_buyer_an_assessment_only_once_it_is_submitted(
    draft, buyer, supplier_a, django_capture_on_commit_callbacks
):
    assert client_for(buyer).get(API).json()["count"] == 0
    answer_vendor(draft, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(assessment=draft, user=supplier_a)
    assert [item["id"] for item in client_for(buyer).get(API).json()["results"]] == [draft.pk]


def test_the_list_refuses_an_anonymous_caller(draft):
    response = client_for(None).get(API)
    assert response.status_code == 403
    assert response.json() == NOT_SIGNED_IN


def _list_queries(client, django_assert_num_queries, count: int) -> None:
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(API)
    assert response.json()["count"] == count


# session, user, memberships (organisation ids), count, page.
LIST_QUERIES = 5


def test_the_list_query_count_does_not_grow_with_assessments_questions_or_versions(
    bundled,
    vendor_framework,
    supplier_a,
    supplier_a_org,
    buyer_org,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    client = client_for(supplier_a)
    services.assessment_create(
        framework=vendor_framework, organisation=supplier_a_org, user=supplier_a
    )
    _list_queries(client, django_assert_num_queries, 1)

    model = Framework.objects.get(slug="ml-maturity-model")
    for _ in range(3):
        big = services.assessment_create(
            framework=model,
            organisation=supplier_a_org,
            user=supplier_a,
            reviewing_organisation=buyer_org,
        )
        answer_everything(big, supplier_a)
        with django_capture_on_commit_callbacks(execute=True):
            services.assessment_submit(assessment=big, user=supplier_a)
    _list_queries(client, django_assert_num_queries, 4)


# --- create ---------------------------------------------------------------------------------------


def test_creating_an_assessment_answers_for_the_callers_organisation(
    vendor_framework, supplier_a, supplier_a_org, buyer_org
):
    response = client_for(supplier_a).post(
        API,
        {
            "framework": "vendor-security-questionnaire",
            "framework_version": "1.0",
            "title": "Acme security answers",
            "reviewing_organisation": "northwind-rail",
        },
        format="json",
    )

    assert response.status_code == 201
    assessment = Assessment.objects.get()
    assert response.json() == {
        **expected_summary(assessment),
        "versions": [],
        "progress": {"questions": 5, "answered": 0, "missing": ["S1", "O1", "O2"]},
    }
    assert (assessment.framework, assessment.organisation, assessment.reviewing_organisation) == (
        vendor_framework,
        supplier_a_org,
        buyer_org,
    )
    assert (assessment.created_by, assessment.kind, assessment.status) == (
        supplier_a,
        "self",
        "draft",
    )


def test_creating_without_a_version_or_title_takes_the_latest_version_and_a_default_title(
    vendor_framework, supplier_a
):
    response = client_for(supplier_a).post(
        API, {"framework": "vendor-security-questionnaire"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["title"] == "Acme Analytics: Vendor Security Questionnaire 1.0"
    assert response.json()["reviewing_organisation"] is None
    assert Assessment.objects.get().framework == vendor_framework


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"framework": ["This field is required."]}),
        (
            {"framework": "no-such-thing"},
            {"framework": ["There is no framework no-such-thing that you can use."]},
        ),
        (
            {"framework": "vendor-security-questionnaire", "framework_version": "9.9"},
            {
                "framework": [
                    "There is no framework vendor-security-questionnaire version 9.9 "
                    "that you can use."
                ]
            },
        ),
        (
            {"framework": "vendor-security-questionnaire", "reviewing_organisation": "nobody"},
            {"reviewing_organisation": ["There is no organisation nobody."]},
        ),
        (
            {
                "framework": "vendor-security-questionnaire",
                "reviewing_organisation": "blue-heron-ai",
            },
            {"detail": "Only a buyer organisation can review an assessment."},
        ),
        (
            {"framework": "vendor-security-questionnaire", "organisation": "blue-heron-ai"},
            {"organisation": ["You are not a member of blue-heron-ai."]},
        ),
        (
            {"framework": "vendor-security-questionnaire", "title": "x" * 201},
            {"title": ["Ensure this field has no more than 200 characters."]},
        ),
    ],
)
def test_creating_with_bad_input_is_a_400_naming_the_problem(
    vendor_framework, supplier_a, supplier_b_org, body, errors
):
    response = client_for(supplier_a).post(API, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Assessment.objects.exists()


def test_another_organisations_private_framework_cannot_be_used(
    private_framework, supplier_a, supplier_b
):
    body = {"framework": "acme-internal-review"}
    refused = client_for(supplier_b).post(API, body, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "framework": ["There is no framework acme-internal-review that you can use."]
    }
    assert not Assessment.objects.exists()
    assert client_for(supplier_a).post(API, body, format="json").status_code == 201


def test_someone_in_two_organisations_names_the_one_that_answers(
    vendor_framework, supplier_a, supplier_b_org
):
    MembershipFactory(user=supplier_a, organisation=supplier_b_org, role=Membership.Role.SUPPLIER)
    client = client_for(supplier_a)
    unnamed = client.post(API, {"framework": "vendor-security-questionnaire"}, format="json")
    named = client.post(
        API,
        {"framework": "vendor-security-questionnaire", "organisation": "blue-heron-ai"},
        format="json",
    )

    assert unnamed.status_code == 400
    assert unnamed.json() == {
        "organisation": [
            "You belong to several organisations; name the one that answers: "
            "acme-analytics, blue-heron-ai."
        ]
    }
    assert named.status_code == 201
    assert Assessment.objects.get().organisation == supplier_b_org


def test_someone_with_no_organisation_cannot_create_an_assessment(vendor_framework, outsider):
    response = client_for(outsider).post(
        API, {"framework": "vendor-security-questionnaire"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You are not a member of any organisation, so there is no one to "
        "answer for. Ask your administrator to add you to one."
    }
    assert not Assessment.objects.exists()


def test_creating_refuses_an_anonymous_caller(vendor_framework):
    response = client_for(None).post(
        API, {"framework": "vendor-security-questionnaire"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == NOT_SIGNED_IN
    assert not Assessment.objects.exists()


# --- detail ---------------------------------------------------------------------------------------


def test_the_detail_of_a_draft_shows_its_progress(draft, supplier_a):
    answer_vendor(
        draft, supplier_a, {"S1": {"status": "no"}, "O1": {"text": "We call the customer."}}
    )
    draft.refresh_from_db()

    response = client_for(supplier_a).get(f"{API}{draft.pk}/")

    assert response.status_code == 200
    # S1 "no" hides S2; S3 and O3 are optional, O2 is still to answer.
    assert response.json() == {
        **expected_summary(draft),
        "versions": [],
        "progress": {"questions": 5, "answered": 2, "missing": ["O2"]},
    }


def test_the_detail_of_a_submitted_assessment_lists_versions_with_their_scoring(
    submitted, buyer, supplier_a
):
    version = submitted.versions.get()
    scored = expected_version(version, score=VENDOR_SCORE, level={"level": 1, "name": "Weak"})
    summary = expected_summary(
        submitted, status="submitted", version_count=1, scoring_status="done"
    )

    for_buyer = client_for(buyer).get(f"{API}{submitted.pk}/")
    for_respondent = client_for(supplier_a).get(f"{API}{submitted.pk}/")

    assert version.status == "done"
    # The draft's progress is the respondent's business only.
    assert for_buyer.json() == {**summary, "versions": [scored], "progress": None}
    assert for_respondent.json() == {
        **summary,
        "versions": [scored],
        "progress": {"questions": 6, "answered": 6, "missing": []},
    }


def test_a_version_still_being_scored_shows_no_score(draft, supplier_a):
    answer_vendor(draft, supplier_a)
    services.assessment_submit(
        assessment=draft, user=supplier_a
    )  # scoring is queued, never run here
    version = draft.versions.get()
    response = client_for(supplier_a).get(f"{API}{draft.pk}/")
    assert response.json()["versions"] == [expected_version(version, status="queued")]
    assert response.json()["scoring_status"] == "queued"


def test_renaming_a_draft(draft, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{draft.pk}/", {"title": "  Security answers 2026  "}, format="json"
    )
    draft.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        **expected_summary(draft, title="Security answers 2026"),
        "versions": [],
        "progress": {"questions": 5, "answered": 0, "missing": ["S1", "O1", "O2"]},
    }
    assert draft.title == "Security answers 2026"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"title": ["This field is required."]}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"title": "x" * 201}, {"title": ["Ensure this field has no more than 200 characters."]}),
    ],
)
def test_renaming_with_a_bad_title_is_a_400(draft, supplier_a, body, errors):
    response = client_for(supplier_a).patch(f"{API}{draft.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    draft.refresh_from_db()
    assert draft.title == "Acme security answers"


def test_a_submitted_assessment_cannot_be_renamed(submitted, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{submitted.pk}/", {"title": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": READ_ONLY}
    submitted.refresh_from_db()
    assert submitted.title == "Acme security answers"


# --- answers --------------------------------------------------------------------------------------


def test_the_answers_of_a_draft_come_keyed_by_question_code_with_evidence_counts(draft, supplier_a):
    answer_vendor(
        draft,
        supplier_a,
        {"S1": {"status": "partial", "text": "Only backups."}, "S3": {"number": 4}},
    )
    s1 = draft.framework.questions.get(code="S1")
    for title in ("Policy", "Audit"):
        services.evidence_add(
            assessment=draft,
            question=s1,
            user=supplier_a,
            title=title,
            url="https://acme.example/security",
        )

    response = client_for(supplier_a).get(f"{API}{draft.pk}/answers/")

    assert response.status_code == 200
    assert response.json() == {
        "source": "draft",
        "version": None,
        "answers": {
            "S1": {
                **EMPTY_ANSWER,
                "status": "partial",
                "text": "Only backups.",
                "evidence_count": 2,
                "hidden": False,
            },
            "S2": {**EMPTY_ANSWER, "hidden": False},
            "S3": {**EMPTY_ANSWER, "number": 4.0, "hidden": False},
            "O1": {**EMPTY_ANSWER, "hidden": False},
            "O2": {**EMPTY_ANSWER, "hidden": False},
            "O3": {**EMPTY_ANSWER, "hidden": False},
        },
    }
    assert list(response.json()["answers"]) == ["S1", "S2", "S3", "O1", "O2", "O3"]


def test_a_question_hidden_by_its_show_if_is_marked_hidden(draft, supplier_a):
    answer_vendor(draft, supplier_a, {"S1": {"status": "no"}})
    answers = client_for(supplier_a).get(f"{API}{draft.pk}/answers/").json()["answers"]
    assert answers["S2"] == {**EMPTY_ANSWER, "hidden": True}
    assert [code for code, answer in answers.items() if answer["hidden"]] == ["S2"]


def test_reviewers_read_the_submitted_answers_not_the_reopened_draft(
    submitted, team, supplier_a, reviewer
):
    services.assessment_reopen(assessment=submitted, user=supplier_a)
    answer_vendor(submitted, supplier_a, {"S1": {"status": "no", "text": "Changed my mind."}})

    as_reviewer = client_for(reviewer).get(f"{API}{submitted.pk}/answers/").json()
    as_respondent = client_for(supplier_a).get(f"{API}{submitted.pk}/answers/").json()

    assert as_reviewer == {
        "source": "version",
        "version": 1,
        "answers": {
            "S1": {
                **EMPTY_ANSWER,
                "status": "yes",
                "text": "AES-256 on every disk and backup.",
                "hidden": False,
            },
            "S2": {**EMPTY_ANSWER, "choices": ["Cloud KMS"], "hidden": False},
            "S3": {**EMPTY_ANSWER, "number": 1.0, "hidden": False},
            "O1": {**EMPTY_ANSWER, "text": VENDOR_ANSWERS["O1"]["text"], "hidden": False},
            "O2": {**EMPTY_ANSWER, "status": "no", "hidden": False},
            "O3": {**EMPTY_ANSWER, "choices": ["ISO 27001"], "hidden": False},
        },
    }
    assert as_respondent["source"] == "draft"
    assert as_respondent["answers"]["S1"] == {
        **EMPTY_ANSWER,
        "status": "no",
        "text": "Changed my mind.",
        "hidden": False,
    }
    assert as_respondent["answers"]["S2"]["hidden"] is True


# session, user, the user's organisations, assessment, the draft's answers, its evidence counts.
ANSWERS_QUERIES = 6


def _fully_answered_draft(framework, user, organisation) -> Assessment:
    assessment = services.assessment_create(
        framework=framework, organisation=organisation, user=user
    )
    answer_everything(assessment, user)
    for question in framework.questions.all()[:3]:
        services.evidence_add(
            assessment=assessment, question=question, user=user, url="https://acme.example/e"
        )
    return assessment


def test_the_answers_query_count_is_the_same_for_six_questions_and_for_sixty_six(
    bundled, vendor_framework, supplier_a, supplier_a_org, django_assert_num_queries
):
    model = Framework.objects.get(slug="ml-maturity-model")
    assert model.questions.count() == 66
    client = client_for(supplier_a)
    for framework in (vendor_framework, model):
        assessment = _fully_answered_draft(framework, supplier_a, supplier_a_org)
        url = f"{API}{assessment.pk}/answers/"
        client.get(url)  # the framework's structure is cached per process after the first read
        with django_assert_num_queries(ANSWERS_QUERIES):
            response = client.get(url)
        assert len(response.json()["answers"]) == framework.questions.count()
        assert sum(answer["evidence_count"] for answer in response.json()["answers"].values()) == 3


def test_the_submitted_answers_query_count_is_the_same_for_six_questions_and_for_sixty_six(
    bundled,
    vendor_framework,
    supplier_a,
    supplier_a_org,
    buyer,
    buyer_org,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    model = Framework.objects.get(slug="ml-maturity-model")
    client = client_for(buyer)
    for framework in (vendor_framework, model):
        assessment = services.assessment_create(
            framework=framework,
            organisation=supplier_a_org,
            user=supplier_a,
            reviewing_organisation=buyer_org,
        )
        answer_everything(assessment, supplier_a)
        with django_capture_on_commit_callbacks(execute=True):
            services.assessment_submit(assessment=assessment, user=supplier_a)
        url = f"{API}{assessment.pk}/answers/"
        client.get(url)
        # session, user, the user's organisations, assessment; the permission: assignment,
        # management of the reviewing organisation, a submission exists; the latest version.
        with django_assert_num_queries(8):
            response = client.get(url)
        assert response.json()["source"] == "version"
        assert len(response.json()["answers"]) == framework.questions.count()


# session, user, the user's organisations, assessment, question; the service: savepoint, answer
# (locked), update, history row, assessment's updated_at, release; the evidence count.
SAVE_ANSWER_QUERIES = 12


def test_saving_an_answer_costs_the_same_queries_for_six_questions_and_for_sixty_six(
    bundled, vendor_framework, supplier_a, supplier_a_org, django_assert_num_queries
):
    model = Framework.objects.get(slug="ml-maturity-model")
    client = client_for(supplier_a)
    for framework in (vendor_framework, model):
        assessment = _fully_answered_draft(framework, supplier_a, supplier_a_org)
        code = framework.questions.filter(answer_type="status").first().code
        url = f"{API}{assessment.pk}/answers/{code}/"
        client.patch(url, {"status": "no"}, format="json")
        with django_assert_num_queries(SAVE_ANSWER_QUERIES):
            response = client.patch(url, {"status": "partial"}, format="json")
        assert response.json()["status"] == "partial"


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        ("S1", {"status": "partial"}, {"status": "partial"}),
        (
            "S1",
            {"status": "na", "text": "We store no customer data."},
            {"status": "na", "text": "We store no customer data."},
        ),
        (
            "O1",
            {"text": "  Paged within five minutes.  "},
            {"text": "  Paged within five minutes.  "},
        ),
        ("S3", {"number": 2.5}, {"number": 2.5}),
        ("S3", {"number": "7"}, {"number": 7.0}),
        (
            "S2",
            {"choices": ["Hardware security module", "Cloud KMS", "Cloud KMS"]},
            {"choices": ["Hardware security module", "Cloud KMS"]},
        ),
        ("O3", {"choices": []}, {}),
    ],
)
def test_saving_one_answer_of_each_type(draft, supplier_a, code, body, expected):
    response = client_for(supplier_a).patch(f"{API}{draft.pk}/answers/{code}/", body, format="json")

    assert response.status_code == 200
    assert response.json() == {"code": code, **EMPTY_ANSWER, **expected}
    answer = Answer.objects.get(assessment=draft, question__code=code)
    assert {**EMPTY_ANSWER, **answer.as_rule_input()} == {**EMPTY_ANSWER, **expected}
    assert answer.updated_by == supplier_a


def test_saving_one_field_keeps_the_others_and_clearing_works(draft, supplier_a):
    client = client_for(supplier_a)
    client.patch(
        f"{API}{draft.pk}/answers/S3/", {"number": 3, "text": "Two were minor."}, format="json"
    )
    response = client.patch(f"{API}{draft.pk}/answers/S3/", {"number": None}, format="json")
    assert response.json() == {"code": "S3", **EMPTY_ANSWER, "text": "Two were minor."}
    answer = Answer.objects.get(assessment=draft, question__code="S3")
    assert (answer.number, answer.text) == (None, "Two were minor.")


def test_the_saved_answer_counts_its_evidence(draft, supplier_a):
    s1 = draft.framework.questions.get(code="S1")
    services.evidence_add(
        assessment=draft, question=s1, user=supplier_a, url="https://acme.example/policy"
    )
    response = client_for(supplier_a).patch(
        f"{API}{draft.pk}/answers/S1/", {"status": "yes"}, format="json"
    )
    assert response.json() == {"code": "S1", **EMPTY_ANSWER, "status": "yes", "evidence_count": 1}


@pytest.mark.parametrize(
    ("code", "body", "errors"),
    [
        (
            "S1",
            {"status": "maybe"},
            {"status": ["Choose yes, partial, no or na (not applicable), or leave it empty."]},
        ),
        ("S3", {"number": "lots"}, {"number": ["A valid number is required."]}),
        (
            "S2",
            {"choices": ["Post-it note"]},
            {"choices": ["Question S2: Post-it note is not one of the choices."]},
        ),
        (
            "S1",
            {"choices": ["Cloud KMS"]},
            {"choices": ["Question S1: Cloud KMS is not one of the choices."]},
        ),
        (
            "S2",
            {"choices": "Cloud KMS"},
            {"choices": ['Expected a list of items but got type "str".']},
        ),
        (
            "O1",
            {"text": "x" * 20001},
            {"text": ["Ensure this field has no more than 20000 characters."]},
        ),
        ("S1", {}, {"non_field_errors": ["Send at least one of status, text, number or choices."]}),
        (
            "S1",
            {"status": "yes", "score": 3},
            {"score": ["Unknown field: an answer has status, text, number and choices."]},
        ),
        ("S1", {"status": "yes", "number": "many"}, {"number": ["A valid number is required."]}),
    ],
)
def test_an_answer_that_does_not_fit_its_question_is_a_400_naming_the_field(
    draft, supplier_a, code, body, errors
):
    response = client_for(supplier_a).patch(f"{API}{draft.pk}/answers/{code}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Answer.objects.filter(assessment=draft).exists()


def test_a_number_that_is_not_finite_is_refused(draft, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{draft.pk}/answers/S3/", data=b'{"number": NaN}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Answer.objects.filter(assessment=draft).exists()


def test_an_unknown_question_code_is_404(draft, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{draft.pk}/answers/Z9/", {"status": "yes"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "This assessment's framework has no question Z9."}


def test_answers_of_a_submitted_assessment_cannot_change(submitted, supplier_a):
    before = snapshot(submitted)
    response = client_for(supplier_a).patch(
        f"{API}{submitted.pk}/answers/S1/", {"status": "no"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": READ_ONLY}
    assert snapshot(submitted) == before


# --- submit and reopen ----------------------------------------------------------------------------


def test_submitting_saves_a_version_and_queues_its_scoring(
    draft, supplier_a, django_capture_on_commit_callbacks
):
    answer_vendor(draft, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(supplier_a).post(f"{API}{draft.pk}/submit/")

    assert response.status_code == 201
    version = draft.versions.get()
    assert response.json() == expected_version(
        version, status="queued", started_at=None, finished_at=None
    )
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert (version.status, version.submitted_by, version.answers["O2"]["status"]) == (
        "done",
        supplier_a,
        "no",
    )
    assert version.scorecard.score == VENDOR_SCORE


def test_submitting_with_required_answers_missing_lists_them(draft, supplier_a):
    answer_vendor(draft, supplier_a, {"S1": {"status": "yes"}})
    response = client_for(supplier_a).post(f"{API}{draft.pk}/submit/")
    assert response.status_code == 400
    # S2 is shown now that S1 is "yes", and required.
    assert response.json() == {
        "detail": "3 required question(s) are not answered: S2, O1, O2.",
        "missing": ["S2", "O1", "O2"],
    }
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not draft.versions.exists()


def test_submitting_twice_is_a_400(submitted, supplier_a):
    response = client_for(supplier_a).post(f"{API}{submitted.pk}/submit/")
    assert response.status_code == 400
    assert response.json() == {"detail": READ_ONLY}
    assert submitted.versions.count() == 1


def test_reopening_starts_a_new_draft_and_keeps_the_version(submitted, supplier_a):
    response = client_for(supplier_a).post(f"{API}{submitted.pk}/reopen/")
    submitted.refresh_from_db()
    version = submitted.versions.get()
    assert response.status_code == 200
    assert response.json() == {
        **expected_summary(submitted, version_count=1, scoring_status="done"),
        "versions": [
            expected_version(version, score=VENDOR_SCORE, level={"level": 1, "name": "Weak"})
        ],
        "progress": {"questions": 6, "answered": 6, "missing": []},
    }
    assert submitted.status == "draft"


def test_reopening_a_draft_is_a_400(draft, supplier_a):
    response = client_for(supplier_a).post(f"{API}{draft.pk}/reopen/")
    assert response.status_code == 400
    assert response.json() == {"detail": "This assessment is already a draft."}


# --- scorecard and reviews ------------------------------------------------------------------------


def test_the_scorecard_is_the_design_json_of_the_latest_version(submitted, supplier_a):
    response = client_for(supplier_a).get(f"{API}{submitted.pk}/scorecard/")
    assert response.status_code == 200
    assert response.json() == {
        "version": 1,
        "status": "done",
        "error": "",
        "score": VENDOR_SCORE,
        "level": {"level": 1, "name": "Weak"},
        "criteria": {
            "S": {"score": 2 / 3, "level": {"level": 2, "name": "Adequate"}},
            "O": {"score": 0.0, "level": {"level": 1, "name": "Weak"}},
        },
        "questions": {
            "S1": {"score": 2.0, "source": "answer", "hidden": False},
            "S2": {"score": None, "source": "unscored", "hidden": False},
            "S3": {"score": None, "source": "unscored", "hidden": False},
            "O1": {"score": None, "source": "unscored", "hidden": False},
            "O2": {"score": 0.0, "source": "answer", "hidden": False},
            "O3": {"score": None, "source": "unscored", "hidden": False},
        },
        "red_flags": [
            {
                "question": "S1",
                "code": "S1b",
                "severity": "minor",
                "message": "Encryption at rest is claimed without evidence.",
            }
        ],
        "divergences": [],
    }


def test_reviewer_scores_and_consensus_reach_the_scorecard_as_the_scoring_module_computes_them(
    submitted, team, reviewer, reviewer2, supplier_a, django_capture_on_commit_callbacks
):
    url = f"{API}{submitted.pk}/reviews/O1/"
    with django_capture_on_commit_callbacks(execute=True):
        bob = client_for(reviewer).put(url, {"score": 3, "comment": "Thorough."}, format="json")
        frank = client_for(reviewer2).put(url, {"score": "1"}, format="json")
        services.review_submit(assignment=team[0])
        services.consensus_set(
            assessment=submitted,
            question=submitted.framework.questions.get(code="S2"),
            user=reviewer,
            score=3,
        )

    assert (bob.status_code, frank.status_code) == (200, 200)
    score = ReviewerScore.objects.get(assessment=submitted, reviewer=reviewer)
    assert bob.json() == {
        "code": "O1",
        "reviewer": "bob",
        "score": 3,
        "comment": "Thorough.",
        "updated_at": ts(score.updated_at),
    }
    assert frank.json()["comment"] == ""

    body = client_for(supplier_a).get(f"{API}{submitted.pk}/scorecard/").json()

    # S: S1 2 (answer), S2 3 (consensus) → 5/6, Strong; O: O1 (3+1)/2 = 2, O2 0 → 2/6, Weak.
    assert body == {
        "version": 1,
        "status": "done",
        "error": "",
        "score": (2 * (5 / 6) + 1 * (2 / 6)) / 3,
        "level": {"level": 2, "name": "Adequate"},
        "criteria": {
            "S": {"score": 5 / 6, "level": {"level": 3, "name": "Strong"}},
            "O": {"score": 2 / 6, "level": {"level": 1, "name": "Weak"}},
        },
        "questions": {
            "S1": {"score": 2.0, "source": "answer", "hidden": False},
            "S2": {"score": 3.0, "source": "consensus", "hidden": False},
            "S3": {"score": None, "source": "unscored", "hidden": False},
            "O1": {"score": 2.0, "source": "reviewers", "hidden": False},
            "O2": {"score": 0.0, "source": "answer", "hidden": False},
            "O3": {"score": None, "source": "unscored", "hidden": False},
        },
        "red_flags": [
            {
                "question": "S1",
                "code": "S1b",
                "severity": "minor",
                "message": "Encryption at rest is claimed without evidence.",
            }
        ],
        "divergences": ["O1"],
    }
    version = submitted.versions.get()
    answers = {
        code: {k: v for k, v in answer.items() if k != "evidence"}
        for code, answer in version.answers.items()
    }
    card = scoring.score(
        framework_spec(submitted.framework),
        answers,
        reviews_input(submitted),
        dismissed_rule_codes(submitted),
    )
    assert body == {"version": 1, "status": "done", "error": "", **card.as_dict()}


def test_the_scorecard_of_the_bundled_model_matches_the_scoring_module(
    submitted_assessment, supplier_a
):
    body = client_for(supplier_a).get(f"{API}{submitted_assessment.pk}/scorecard/").json()
    version = submitted_assessment.versions.get()
    answers = {
        code: {k: v for k, v in answer.items() if k != "evidence"}
        for code, answer in version.answers.items()
    }
    card = scoring.score(framework_spec(submitted_assessment.framework), answers)
    assert body == {"version": 1, "status": "done", "error": "", **card.as_dict()}
    assert len(body["questions"]) == 66


def test_while_scoring_runs_the_scorecard_shows_the_status_and_no_figures(draft, supplier_a):
    answer_vendor(draft, supplier_a)
    services.assessment_submit(assessment=draft, user=supplier_a)  # queued; the worker has not run
    response = client_for(supplier_a).get(f"{API}{draft.pk}/scorecard/")
    assert response.status_code == 200
    assert response.json() == {
        "version": 1,
        "status": "queued",
        "error": "",
        "score": None,
        "level": None,
        "criteria": None,
        "questions": None,
        "red_flags": None,
        "divergences": None,
    }


def test_before_any_submission_there_is_no_scorecard(draft, supplier_a):
    response = client_for(supplier_a).get(f"{API}{draft.pk}/scorecard/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Nothing has been submitted yet, so there is no scorecard."
    }


def test_failed_scoring_shows_its_reason_and_can_be_retried(
    draft, supplier_a, django_capture_on_commit_callbacks
):
    def broken(version):
        raise RuntimeError("the rules engine is unavailable")

    answer_vendor(draft, supplier_a)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "version_scorecard_data", broken)
        with django_capture_on_commit_callbacks(execute=True):
            services.assessment_submit(assessment=draft, user=supplier_a)
    client = client_for(supplier_a)

    failed = client.get(f"{API}{draft.pk}/scorecard/").json()
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"{API}{draft.pk}/scorecard/retry/")
    done = client.get(f"{API}{draft.pk}/scorecard/").json()

    nothing = {
        "score": None,
        "level": None,
        "criteria": None,
        "questions": None,
        "red_flags": None,
        "divergences": None,
    }
    assert failed == {
        "version": 1,
        "status": "failed",
        "error": "RuntimeError: the rules engine is unavailable",
        **nothing,
    }
    assert retried.status_code == 202
    assert retried.json() == {"version": 1, "status": "queued", "error": "", **nothing}
    assert (done["status"], done["score"]) == ("done", VENDOR_SCORE)


def test_scoring_that_did_not_fail_cannot_be_retried(submitted, supplier_a):
    response = client_for(supplier_a).post(f"{API}{submitted.pk}/scorecard/retry/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Only failed scoring can be retried."}
    assert submitted.versions.get().status == "done"


def test_a_reviewer_score_outside_0_to_3_is_a_400(team, reviewer):
    assessment = team[0].assessment
    for value in (5, -1, "high", None):
        response = client_for(reviewer).put(
            f"{API}{assessment.pk}/reviews/O1/", {"score": value}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "score": [
                "A score is 0 (not met), 1 (partially met), 2 (met) or 3 (exceeds)."
                if value is not None
                else "This field may not be null."
            ]
        }
    assert not ReviewerScore.objects.exists()


@pytest.mark.parametrize("role", ["buyer", "supplier_a"])
def test_only_assigned_reviewers_score(request, team, role):
    assessment = team[0].assessment
    response = client_for(request.getfixturevalue(role)).put(
        f"{API}{assessment.pk}/reviews/O1/", {"score": 3}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Only an assigned reviewer can score this assessment."}
    assert not ReviewerScore.objects.exists()


def test_a_reviewer_cannot_change_scores_after_submitting_the_review(
    team, reviewer, django_capture_on_commit_callbacks
):
    assessment = team[0].assessment
    url = f"{API}{assessment.pk}/reviews/O1/"
    with django_capture_on_commit_callbacks(execute=True):
        client_for(reviewer).put(url, {"score": 2}, format="json")
    services.review_submit(assignment=team[0])

    response = client_for(reviewer).put(url, {"score": 0}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("You have submitted your review")
    assert ReviewerScore.objects.get(assessment=assessment, reviewer=reviewer).score == 2


def test_a_review_of_an_unknown_question_is_404(team, reviewer):
    response = client_for(reviewer).put(
        f"{API}{team[0].assessment_id}/reviews/Z9/", {"score": 3}, format="json"
    )
    assert response.status_code == 404
    assert not ReviewerScore.objects.exists()


# --- reports --------------------------------------------------------------------------------------


def test_asking_for_a_report_queues_it_then_it_can_be_downloaded(
    submitted, supplier_a, fake_renderer, django_capture_on_commit_callbacks
):
    client = client_for(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        requested = client.post(f"{API}{submitted.pk}/reports/")

    report = Report.objects.get()
    assert requested.status_code == 202
    assert requested.json() == {
        "id": report.pk,
        "version": 1,
        "status": "queued",
        "error": "",
        "size": 0,
        "created_at": ts(report.created_at),
        "finished_at": None,
        "download_url": None,
    }
    assert fake_renderer == [report.pk]

    status = client.get(f"{API}{submitted.pk}/reports/{report.pk}/")
    download_url = f"http://testserver{API}{submitted.pk}/reports/{report.pk}/download/"
    assert status.json() == {
        "id": report.pk,
        "version": 1,
        "status": "done",
        "error": "",
        "size": len(FAKE_PDF),
        "created_at": ts(report.created_at),
        "finished_at": ts(report.finished_at),
        "download_url": download_url,
    }

    downloaded = client.get(download_url, HTTP_ACCEPT="application/pdf")
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"].startswith("attachment; filename=")
    assert downloaded["Content-Disposition"].endswith('-v1.pdf"')
    assert b"".join(downloaded.streaming_content) == FAKE_PDF


def test_asking_again_while_a_report_renders_returns_the_same_report(
    submitted, supplier_a, fake_renderer
):
    client = client_for(supplier_a)
    first = client.post(
        f"{API}{submitted.pk}/reports/"
    )  # on_commit never runs here: it stays queued
    second = client.post(f"{API}{submitted.pk}/reports/")
    assert first.json()["id"] == second.json()["id"]
    assert Report.objects.count() == 1
    assert fake_renderer == []


def test_a_report_not_rendered_yet_cannot_be_downloaded(submitted, supplier_a):
    report = services.report_request(assessment=submitted, user=supplier_a)
    response = client_for(supplier_a).get(f"{API}{submitted.pk}/reports/{report.pk}/download/")
    assert response.status_code == 404
    assert response.json() == {"detail": "This report is not ready yet (its status is queued)."}


def test_a_failed_report_shows_its_reason_and_can_be_retried(
    submitted, supplier_a, monkeypatch, failing_renderer, django_capture_on_commit_callbacks
):
    client = client_for(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        report_id = client.post(f"{API}{submitted.pk}/reports/").json()["id"]
    failed = client.get(f"{API}{submitted.pk}/reports/{report_id}/").json()
    not_ready = client.get(f"{API}{submitted.pk}/reports/{report_id}/download/")

    assert (failed["status"], failed["error"], failed["download_url"]) == (
        "failed",
        "The PDF could not be produced (disk full).",
        None,
    )
    assert not_ready.status_code == 404

    rendered = []
    _install_renderer(monkeypatch, lambda *, report_id: rendered.append(report_id))
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"{API}{submitted.pk}/reports/{report_id}/retry/")
    assert retried.status_code == 202
    assert (retried.json()["id"], retried.json()["status"], retried.json()["error"]) == (
        report_id,
        "queued",
        "",
    )
    assert rendered == [report_id]
    assert Report.objects.get().status == "queued"


def test_a_report_that_did_not_fail_cannot_be_retried(report, supplier_a):
    response = client_for(supplier_a).post(
        f"{API}{report.assessment_id}/reports/{report.pk}/retry/"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Only a failed report can be retried."}


def test_a_draft_never_submitted_has_no_report(draft, supplier_a):
    response = client_for(supplier_a).post(f"{API}{draft.pk}/reports/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Submit the assessment before asking for its report."}
    assert not Report.objects.exists()


def test_the_buyer_and_a_declared_reviewer_may_ask_for_the_report(
    team, buyer, reviewer, fake_renderer
):
    assessment = team[0].assessment
    for user in (buyer, reviewer):
        assert client_for(user).post(f"{API}{assessment.pk}/reports/").status_code == 202


def test_the_real_renderer_produces_a_pdf_the_api_serves(
    submitted, supplier_a, django_capture_on_commit_callbacks
):
    pytest.importorskip("assessments.reports", reason="the report renderer is not in the tree yet")
    client = client_for(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        report_id = client.post(f"{API}{submitted.pk}/reports/").json()["id"]
    status = client.get(f"{API}{submitted.pk}/reports/{report_id}/").json()
    assert (status["status"], status["error"]) == ("done", "")
    pdf = b"".join(client.get(status["download_url"]).streaming_content)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) == status["size"]


# --- schema ---------------------------------------------------------------------------------------


def test_the_openapi_schema_describes_every_assessments_endpoint(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    base = "/api/v1/assessments/{assessment_id}/"
    expected = {
        "/api/v1/assessments/": {"get", "post"},
        base: {"get", "patch"},
        base + "answers/": {"get"},
        base + "answers/{code}/": {"patch"},
        base + "submit/": {"post"},
        base + "reopen/": {"post"},
        base + "scorecard/": {"get"},
        base + "scorecard/retry/": {"post"},
        base + "reports/": {"post"},
        base + "reports/{report_id}/": {"get"},
        base + "reports/{report_id}/retry/": {"post"},
        base + "reports/{report_id}/download/": {"get"},
        base + "reviews/{code}/": {"put"},
    }
    documented = {
        path: {method for method in operations if method != "parameters"}
        for path, operations in paths.items()
        if path.startswith("/api/v1/assessments/")
    }
    assert documented == expected
    download = paths[base + "reports/{report_id}/download/"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"application/pdf"}
    missing_error = paths[base + "submit/"]["post"]["responses"]["400"]["content"][
        "application/json"
    ]["schema"]
    assert missing_error == {"$ref": "#/components/schemas/MissingAnswersError"}
    assert set(schema["components"]["schemas"]["MissingAnswersError"]["properties"]) == {
        "detail",
        "missing",
    }
