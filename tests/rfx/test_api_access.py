"""Who may call the RFx API's team, questionnaire, reopen, feedback, award, scorecard and export
endpoints: every role in every state that matters, in the style of tests/rfx/test_api.py.

A 404 for what the person may not see, a 403 for what they see but may not do; anonymous
callers are asked to sign in; a refused call changes nothing.
"""

# The role and state fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

import io

import pytest
import yaml
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from assessments.models import Assessment, ReviewerAssignment
from principles.models import Framework
from rfx.models import ComparisonReport, Invitation, RFx, RFxReviewer, SupplierFeedback
from tests.frameworks import to_yaml, vendor_data
from tests.rfx.test_api import (  # noqa: F401  (fixtures)
    API,
    NO_PROPOSAL,
    NOT_FOUND,
    NOT_SIGNED_IN,
    ROLES,
    anonymous,
    bob,
    client_for,
    closed_state,
    draft_state,
    evaluated_state,
    frank,
    locked_state,
    people,
    published_state,
    tasks_in_process,
    undeclared_state,
)
from tests.rfx.test_api import snapshot as rfx_snapshot
from tests.rfx.test_api_reports import media  # noqa: F401  (fixture)
from tests.rfx.test_api_supplier import NO_DECISION, awarded_state  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

NOT_FOUND_DETAILS = {
    NOT_FOUND["detail"],
    NO_PROPOSAL,
    NO_DECISION,
    "This RFx has not been awarded.",
}
QUESTIONNAIRE = "<the buyer's extra questionnaire, uploaded as a file>"


@pytest.fixture
def scorecard_state(closed_state, buyer) -> dict:
    """Closed, with a rendered scorecard (no prices, names) and a failed one, both the manager's."""
    rfx = closed_state["rfx"]
    report = ComparisonReport(rfx=rfx, requested_by=buyer, status="done", size=8)
    report.file.save("scorecard.pdf", ContentFile(b"%PDF-1.7"), save=True)
    failed = ComparisonReport.objects.create(
        rfx=rfx, requested_by=buyer, status="failed", error="The worker stopped."
    )
    return {**closed_state, "report": report, "failed": failed}


def snapshot(rfx: RFx) -> dict:
    """Everything these endpoints could change, on top of what tests/rfx/test_api.py watches."""
    return {
        **rfx_snapshot(rfx),
        "team": list(
            RFxReviewer.objects.filter(rfx=rfx).values("reviewer_id", "is_lead", "criterion_codes")
        ),
        "assignments": list(
            ReviewerAssignment.objects.order_by("pk").values("assessment_id", "reviewer_id")
        ),
        "frameworks": Framework.objects.count(),
        "questionnaires": list(Assessment.objects.order_by("pk").values("status")),
        "tokens": list(Invitation.objects.filter(rfx=rfx).values("token_hash", "token_sent_at")),
        "scorecards": list(
            ComparisonReport.objects.filter(rfx=rfx).values("status", "error", "attempts")
        ),
        "feedback": SupplierFeedback.objects.filter(award__rfx=rfx).count(),
    }


#          buyer, bob, frank, supplier A, supplier B, outsider, anonymous
# frank, a reviewer of the buyer on no evaluation team, sees none of its RFx: 404 throughout.
MATRIX = [
    # The evaluation team
    ("draft", "get", "{rfx}/team/", None, (200, 200, 404, 404, 404, 404, 403)),
    ("draft", "post", "{rfx}/team/", {"username": "frank"}, (201, 403, 404, 404, 404, 404, 403)),
    (
        "draft",
        "patch",
        "{rfx}/team/{bob}/",
        {"criterion_codes": ["1"]},
        (200, 403, 404, 404, 404, 404, 403),
    ),
    ("draft", "delete", "{rfx}/team/{bob}/", None, (204, 403, 404, 404, 404, 404, 403)),
    ("published", "get", "{rfx}/team/", None, (200, 200, 404, 403, 403, 404, 403)),
    (
        "published",
        "post",
        "{rfx}/team/",
        {"username": "frank"},
        (201, 403, 404, 403, 403, 404, 403),
    ),
    ("closed", "delete", "{rfx}/team/{bob}/", None, (204, 403, 404, 403, 403, 404, 403)),
    # The extra questionnaire
    (
        "draft",
        "post",
        "{rfx}/extra-questionnaire/",
        QUESTIONNAIRE,
        (200, 403, 404, 404, 404, 404, 403),
    ),
    (
        "published",
        "post",
        "{rfx}/extra-questionnaire/",
        QUESTIONNAIRE,
        (400, 403, 404, 403, 403, 404, 403),
    ),
    # Resending an invitation
    (
        "published",
        "post",
        "{rfx}/invitations/{invitation}/resend/",
        None,
        (200, 403, 404, 403, 403, 404, 403),
    ),
    # Reopening the proposal's questionnaires: supplier A submitted, B has not started
    ("published", "post", "{rfx}/proposal/reopen/", None, (404, 404, 404, 200, 404, 404, 403)),
    ("closed", "post", "{rfx}/proposal/reopen/", None, (404, 404, 404, 400, 400, 404, 403)),
    # Feedback and the award decision
    ("evaluated", "get", "{rfx}/feedback/", None, (404, 404, 404, 404, 404, 404, 403)),
    ("awarded", "get", "{rfx}/feedback/", None, (404, 404, 404, 200, 200, 404, 403)),
    ("evaluated", "get", "{rfx}/award/", None, (404, 403, 404, 403, 403, 404, 403)),
    ("awarded", "get", "{rfx}/award/", None, (200, 403, 404, 403, 403, 404, 403)),
    # The comparison scorecard
    ("published", "post", "{rfx}/scorecards/", None, (403, 403, 404, 403, 403, 404, 403)),
    ("undeclared", "post", "{rfx}/scorecards/", None, (202, 403, 404, 403, 403, 404, 403)),
    ("closed", "post", "{rfx}/scorecards/", None, (202, 202, 404, 403, 403, 404, 403)),
    ("scorecard", "get", "{rfx}/scorecards/", None, (200, 200, 404, 403, 403, 404, 403)),
    (
        "scorecard",
        "get",
        "{rfx}/scorecards/{report}/",
        None,
        (200, 200, 404, 403, 403, 404, 403),
    ),
    (
        "scorecard",
        "get",
        "{rfx}/scorecards/{report}/download/",
        None,
        (200, 200, 404, 403, 403, 404, 403),
    ),
    (
        "scorecard",
        "post",
        "{rfx}/scorecards/{failed}/retry/",
        None,
        (202, 202, 404, 403, 403, 404, 403),
    ),
    # The evaluation matrix
    ("published", "get", "{rfx}/evaluation-matrix.csv", None, (403, 403, 404, 403, 403, 404, 403)),
    ("closed", "get", "{rfx}/evaluation-matrix.csv", None, (200, 200, 404, 403, 403, 404, 403)),
    ("locked", "get", "{rfx}/evaluation-matrix.xlsx", None, (200, 200, 404, 403, 403, 404, 403)),
]
MATRIX_CASES = [
    pytest.param(state, method, path, body, role, expected[i], id=f"{state}-{method}-{path}-{role}")
    for state, method, path, body, expected in MATRIX
    for i, role in enumerate(ROLES)
]


def _questionnaire_file() -> SimpleUploadedFile:
    data = vendor_data()
    data.update(slug="northwind-extra", name="Northwind extra questions", kind="questionnaire")
    return SimpleUploadedFile("extra.yaml", to_yaml(data).encode())


@pytest.mark.parametrize(("state", "method", "path", "body", "role", "expected"), MATRIX_CASES)
def test_who_may_call_each_endpoint(
    request, people, state, method, path, body, role, expected, django_capture_on_commit_callbacks
):
    world = request.getfixturevalue(f"{state}_state")
    rfx = world["rfx"]
    ids = {
        "rfx": rfx.pk,
        "bob": people["bob"].pk,
        "invitation": rfx.invitations.order_by("pk").values_list("pk", flat=True).first() or 0,
        "report": world["report"].pk if "report" in world else 0,
        "failed": world["failed"].pk if "failed" in world else 0,
    }
    client = client_for(people[role])
    url = API + path.format(**ids)
    before = snapshot(rfx)
    with django_capture_on_commit_callbacks(execute=True):
        if body == QUESTIONNAIRE:
            response = client.post(url, {"file": _questionnaire_file()}, format="multipart")
        else:
            response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected, response.content
    if role == "anonymous":
        assert response.json() == NOT_SIGNED_IN
    elif expected == 404:
        assert response.json()["detail"] in NOT_FOUND_DETAILS
    elif expected == 403:
        assert response.json()["detail"]  # says why
    if expected >= 400:
        assert snapshot(rfx) == before


def test_supplier_b_never_reaches_supplier_a_s_feedback_or_a_scorecard(
    awarded_state, proposal_a, proposal_b, supplier_a, supplier_b
):
    """Winner or not, each reads only its own outcome; neither reaches the buyer's scorecards."""
    rfx = awarded_state["rfx"]
    SupplierFeedback.objects.create(
        award=rfx.award, proposal=proposal_b, data={"ranked": True, "price": "90000.00"}
    )
    report = ComparisonReport.objects.create(rfx=rfx, status="done", with_prices=True)
    for user, other in ((supplier_a, "90000"), (supplier_b, "120000")):
        client = client_for(user)
        text = client.get(f"{API}{rfx.pk}/feedback/").content.decode()
        assert other not in text
        for path in ("", f"{report.pk}/", f"{report.pk}/download/"):
            assert client.get(f"{API}{rfx.pk}/scorecards/{path}").status_code == 403
        assert client.get(f"{API}{rfx.pk}/evaluation-matrix.csv").status_code == 403
    assert "120000" in client_for(supplier_a).get(f"{API}{rfx.pk}/feedback/").content.decode()


NEW_OPERATIONS = [
    ("/api/v1/rfx/{rfx_id}/team/", "get"),
    ("/api/v1/rfx/{rfx_id}/team/", "post"),
    ("/api/v1/rfx/{rfx_id}/team/{reviewer_id}/", "patch"),
    ("/api/v1/rfx/{rfx_id}/team/{reviewer_id}/", "delete"),
    ("/api/v1/rfx/{rfx_id}/extra-questionnaire/", "post"),
    ("/api/v1/rfx/{rfx_id}/invitations/{invitation_id}/resend/", "post"),
    ("/api/v1/rfx/{rfx_id}/proposal/reopen/", "post"),
    ("/api/v1/rfx/{rfx_id}/feedback/", "get"),
    ("/api/v1/rfx/{rfx_id}/award/", "get"),
    ("/api/v1/rfx/{rfx_id}/scorecards/", "get"),
    ("/api/v1/rfx/{rfx_id}/scorecards/", "post"),
    ("/api/v1/rfx/{rfx_id}/scorecards/{report_id}/", "get"),
    ("/api/v1/rfx/{rfx_id}/scorecards/{report_id}/retry/", "post"),
    ("/api/v1/rfx/{rfx_id}/scorecards/{report_id}/download/", "get"),
    ("/api/v1/rfx/{rfx_id}/evaluation-matrix.csv", "get"),
    ("/api/v1/rfx/{rfx_id}/evaluation-matrix.xlsx", "get"),
]


def test_every_new_endpoint_is_in_the_schema_with_a_summary_and_its_errors():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    for path, method in NEW_OPERATIONS:
        operation = paths[path][method]
        assert operation["tags"] == ["rfx"], path
        assert operation["summary"], path
        assert {"403", "404"} <= set(operation["responses"]), (path, method)
