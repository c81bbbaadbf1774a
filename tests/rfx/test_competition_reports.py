"""Where each party reads the tender competition's results (DESIGN §5, §6 award, §7):
the comparison scorecard PDF, an unsuccessful supplier's feedback (page and API) and the
supplier's maturity report. Supplier A's counted file is right on every machine; supplier
B's calls every machine OK, so it fails two of the three bars."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from assessments import services as assessment_services
from assessments.models import Report
from rfx import reports, selectors, services
from rfx.models import ComparisonReport, RFx
from tests.rfx.competition_data import (
    failing_predictions,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    set_up,
)
from tests.rfx.conftest import frozen
from tests.rfx.test_competition_results import close, upload

pytestmark = pytest.mark.usefixtures("media_root")

PASSED = "Passed the competition bar"
FAILED = "Did not pass the competition bar"
# Supplier B's figures: 27 of 40 machines are OK and it called them all OK.
B_ACCURACY = "67.5%"
B_MACRO_F1 = "40.3%"


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


@pytest.fixture
def files(published_rfx, proposal_a, proposal_b, supplier_a, supplier_b):
    return {
        "a": upload(published_rfx, proposal_a, supplier_a, predictions_csv()),
        "b": upload(published_rfx, proposal_b, supplier_b, failing_predictions()),
    }


@pytest.fixture
def closed(files, published_rfx, buyer, reviewer) -> RFx:
    return close(published_rfx, buyer, reviewer)


def pdf_text(file) -> str:
    with file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def award(rfx: RFx, buyer, winner) -> RFx:
    services.rfx_lock_technical_scores(rfx=rfx, user=buyer)
    services.rfx_mark_evaluated(rfx=rfx, user=buyer)
    services.rfx_award(rfx=rfx, proposal=winner, justification="Best value.", user=buyer)
    return RFx.objects.get(pk=rfx.pk)


# --- the comparison scorecard ---------------------------------------------------------------------


def render_scorecard(rfx, user, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.scorecard_request(rfx=rfx, user=user)
    report.refresh_from_db()
    assert report.status == ComparisonReport.Status.DONE, report.error
    return pdf_text(report.file)


def test_the_scorecard_has_the_leaderboard_and_each_suppliers_figures(
    closed, buyer, django_capture_on_commit_callbacks
):
    text = render_scorecard(closed, buyer, django_capture_on_commit_callbacks)

    section = text[text.index("Tender competition") :]
    assert "ranked by Macro F1" in section
    assert "1 of 2 suppliers passed" in section
    # The leaderboard by the primary metric, each bar's outcome in the pages' words.
    assert re.search(r"1 Acme Analytics \(file 1\) 100% .*" + PASSED, section)
    assert re.search(r"2 Blue Heron AI \(file 1\) " + re.escape(B_MACRO_F1), section)
    assert "Failed 67.5%" in section  # B's accuracy bar
    assert "Failed 0%" in section  # B's recall of MAINTENANCE
    assert "Passed 0 points" in section  # B's gap between sites: no maintenance found anywhere
    assert FAILED in section
    assert "Recall of “MAINTENANCE” must be at least 90%" in section
    # B's confusion matrix (rows are the truth) and its figures per site, with the gaps.
    assert "MAINTENANCE 0 13 13" in section and "OK 0 27 27" in section
    assert "north 20 70% " in section and "south 20 65% " in section
    assert "Largest gap 5 points" in section


def test_a_reviewer_grading_blind_reads_the_same_pseudonyms_in_both_sections(
    closed, reviewer, django_capture_on_commit_callbacks
):
    RFx.objects.filter(pk=closed.pk).update(blind_grading=True)
    rfx = RFx.objects.get(pk=closed.pk)
    names = selectors.supplier_pseudonyms(rfx)
    a_name = names[rfx.proposals.get(supplier__name="Acme Analytics").supplier_id]

    text = render_scorecard(rfx, reviewer, django_capture_on_commit_callbacks)

    assert "Acme" not in text and "Heron" not in text
    ranking, section = text.split("Tender competition", 1)
    assert f"1 {a_name} " in ranking
    assert f"1 {a_name} (file 1) 100%" in section


def test_the_section_names_suppliers_as_the_ranking_does(closed):
    section = reports.competition_section(closed, names={}, with_names=False)
    assert sorted(row["supplier"] for row in section["rows"]) == ["Supplier A", "Supplier B"]
    data = reports.comparison_data(closed, with_prices=False, with_names=True)
    names = {row["supplier_id"]: row["supplier"] for row in data["rows"]}
    section = reports.competition_section(closed, names=names, with_names=True)
    assert [(row["rank"], row["supplier"], row["verdict"]) for row in section["rows"]] == [
        (1, "Acme Analytics", "passed"),
        (2, "Blue Heron AI", "failed"),
    ]


# --- feedback to an unsuccessful supplier ---------------------------------------------------------


def test_the_feedback_page_shows_only_the_suppliers_own_results(
    closed, buyer, proposal_a, proposal_b, supplier_a, supplier_b, client
):
    award(closed, buyer, proposal_b)
    client.force_login(supplier_a)

    response = client.get(reverse("rfx-feedback", args=[closed.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your tender competition results" in html
    assert "passed every bar, so the competition let your proposal into the ranking" in html
    assert PASSED in html and "100%" in html
    assert "Recall of “MAINTENANCE” must be at least 90%" in html
    # Nothing of the winner's: not its name, nor its figures, nor a rank among the others.
    for other in ("Blue Heron", B_ACCURACY, B_MACRO_F1, "Supplier B", "leaderboard"):
        assert other not in html


def test_the_feedback_of_a_supplier_the_gate_stopped_says_so(
    closed, buyer, proposal_a, supplier_b, client
):
    award(closed, buyer, proposal_a)
    client.force_login(supplier_b)

    html = client.get(reverse("rfx-feedback", args=[closed.pk])).content.decode()

    assert "did not pass every bar, so your proposal was not ranked" in html
    assert FAILED in html and B_ACCURACY in html and B_MACRO_F1 in html
    assert "Acme" not in html


def test_the_feedback_api_gives_the_suppliers_own_results(
    closed, buyer, proposal_a, proposal_b, supplier_b
):
    award(closed, buyer, proposal_a)
    api = APIClient()
    api.force_login(supplier_b)

    response = api.get(f"/api/v1/rfx/{closed.pk}/feedback/")

    assert response.status_code == 200
    competition = response.json()["competition"]
    metrics = competition.pop("metrics")
    assert competition == {
        "file_number": 1,
        "verdict": "failed",
        "verdict_words": FAILED,
        "passed_gate": False,
        "gate_words": "Your predictions did not pass every bar, so your proposal was not ranked.",
        "primary_metric": "macro_f1",
    }
    assert metrics["accuracy"] == pytest.approx(0.675)
    assert metrics["passed"] is False
    assert [bar["passed"] for bar in metrics["bars"]] == [False, False, True]
    assert metrics["confusion_matrix"] == {
        "labels": ["MAINTENANCE", "OK"],
        "matrix": [[0, 13], [0, 27]],
    }
    assert metrics["gaps"]["site"]["accuracy"] == pytest.approx(0.05)
    text = response.content.decode()
    for other in ("Acme", "rank_among", "proposal_id", "supplier_id"):
        assert other not in text


def test_the_winners_feedback_has_no_competition_part(closed, buyer, proposal_a, supplier_a):
    award(closed, buyer, proposal_a)
    api = APIClient()
    api.force_login(supplier_a)
    assert api.get(f"/api/v1/rfx/{closed.pk}/feedback/").json()["competition"] is None


# --- the supplier's maturity report ---------------------------------------------------------------


def render_maturity_report(proposal, user, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        report = assessment_services.report_request(
            assessment=proposal.maturity_assessment, user=user
        )
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    return pdf_text(report.file)


def test_before_the_deadline_the_report_says_only_that_the_file_is_valid(
    files, proposal_a, supplier_a, django_capture_on_commit_callbacks
):
    text = render_maturity_report(proposal_a, supplier_a, django_capture_on_commit_callbacks)

    section = text[text.index("Tender competition") :]
    assert "Predictions file 1 is valid and is the one that counts so far." in section
    assert "shown in this report after the proposal deadline" in section
    for figure in ("Macro F1", "Confusion matrix", PASSED, "100%", "Reached"):
        assert figure not in section


def test_after_the_deadline_the_report_has_the_suppliers_own_results(
    closed, proposal_b, supplier_b, django_capture_on_commit_callbacks
):
    with frozen(closed.proposal_deadline + timedelta(hours=1)):
        text = render_maturity_report(proposal_b, supplier_b, django_capture_on_commit_callbacks)

    section = text[text.index("Tender competition") :]
    assert "Results of predictions file 1, the last valid one before the deadline." in section
    assert "did not pass every bar, so your proposal was not ranked" in section
    assert FAILED in section
    assert f"Accuracy {B_ACCURACY}" in section
    assert f"Macro F1 (orders the results) {B_MACRO_F1}" in section
    assert "Accuracy must be at least 80% 67.5% Failed" in section
    assert "Confusion matrix" in section and "By site" in section
    assert "Largest gap 5 points" in section
    assert "Acme" not in text and "100%" not in section.split("Per class")[0]


def test_a_questionnaire_outside_any_competition_has_no_section(
    published_rfx, proposal_a, django_capture_on_commit_callbacks
):
    RFx.objects.filter(pk=published_rfx.pk).update(has_competition=False)
    assert selectors.maturity_report_competition(proposal_a.maturity_assessment_id) is None


def test_a_report_made_before_the_deadline_can_be_made_again_after_it(
    files, proposal_a, supplier_a, client, django_capture_on_commit_callbacks
):
    render_maturity_report(proposal_a, supplier_a, django_capture_on_commit_callbacks)
    report = Report.objects.get(assessment=proposal_a.maturity_assessment)
    url = reverse("assessment-report-status", args=[proposal_a.maturity_assessment_id, report.pk])
    client.force_login(supplier_a)

    assert "competition-released" not in client.get(url).content.decode()
    with frozen(proposal_a.rfx.proposal_deadline + timedelta(minutes=1)):
        body = client.get(url).content.decode()
    assert "a new one has the supplier's own tender competition results" in body
    assert 'data-testid="report-request"' in body


def test_the_feedback_schema_describes_the_own_competition_results():
    import yaml
    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schemas = yaml.safe_load(out.getvalue())["components"]["schemas"]
    assert "competition" in schemas["Feedback"]["properties"]
    assert set(schemas["OwnCompetition"]["properties"]) == {
        "file_number",
        "verdict",
        "verdict_words",
        "passed_gate",
        "gate_words",
        "primary_metric",
        "metrics",
    }
    assert {"accuracy", "bars", "confusion_matrix", "gaps"} <= set(
        schemas["OwnCompetitionMetrics"]["properties"]
    )
