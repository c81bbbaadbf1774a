"""The comparison scorecard PDF and the evaluation-matrix exports through the API.

The same rules as the pages (tests/rfx/test_reports.py, test_exports.py): prices only after
the technical lock, pseudonyms for reviewers grading blind, and a scorecard made with more
than a person may see does not exist for them. Who may call each endpoint is in
tests/rfx/test_api_access.py.
"""

# The role and state fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from rfx import services
from rfx.models import ComparisonReport, RFx
from tests.rfx.test_api import (  # noqa: F401  (fixtures)
    API,
    bob,
    client_for,
    frank,
    locked_state,
    tasks_in_process,
    ts,
)

pytestmark = pytest.mark.django_db

PRICES = ("90000", "120000", "GBP")
NAMES = ("Acme", "Heron")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def scorecard_body(report: ComparisonReport, **changes) -> dict:
    report.refresh_from_db()
    done = report.status == "done"
    url = f"http://testserver{API}{report.rfx_id}/scorecards/{report.pk}/download/"
    return {
        "id": report.pk,
        "rfx": report.rfx_id,
        "status": report.status,
        "error": report.error,
        "with_prices": report.with_prices,
        "with_names": report.with_names,
        "size": report.size,
        "queued_at": ts(report.queued_at),
        "started_at": ts(report.started_at),
        "finished_at": ts(report.finished_at),
        "created_at": ts(report.created_at),
        "download_url": url if done else None,
        **changes,
    }


def request_scorecard(client, rfx: RFx, capture) -> tuple[dict, ComparisonReport]:
    """Ask for a scorecard; the worker (in process) renders it once the request commits."""
    with capture(execute=True):
        response = client.post(f"{API}{rfx.pk}/scorecards/")
    assert response.status_code == 202, response.content
    report = ComparisonReport.objects.get(pk=response.json()["id"])
    return response.json(), report


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_manager_asks_for_the_scorecard_polls_it_and_downloads_the_pdf(
    locked_state, buyer, django_capture_on_commit_callbacks
):
    rfx = locked_state["rfx"]
    client = client_for(buyer)
    body, report = request_scorecard(client, rfx, django_capture_on_commit_callbacks)
    # The answer is written before the worker runs: queued.
    assert body == scorecard_body(
        report,
        status="queued",
        size=0,
        started_at=None,
        finished_at=None,
        download_url=None,
    )
    assert (report.status, report.with_prices, report.with_names) == ("done", True, True)
    assert report.requested_by == buyer

    status = client.get(f"{API}{rfx.pk}/scorecards/{report.pk}/")
    assert status.status_code == 200
    assert status.json() == scorecard_body(report)
    assert status.json()["size"] > 1000
    assert client.get(f"{API}{rfx.pk}/scorecards/").json() == [scorecard_body(report)]

    download = client.get(status.json()["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert (
        f'filename="predictive-maintenance-comparison-scorecard-{report.pk}.pdf"'
        in download["Content-Disposition"]
    )
    text = pdf_text(b"".join(download.streaming_content))
    assert "Acme Analytics" in text and "Blue Heron AI" in text and "90000.00" in text


def test_asking_again_while_one_is_queued_returns_that_one(closed_rfx, buyer):
    client = client_for(buyer)
    first = client.post(f"{API}{closed_rfx.pk}/scorecards/")  # no commit: it stays queued
    second = client.post(f"{API}{closed_rfx.pk}/scorecards/")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert ComparisonReport.objects.count() == 1


def test_before_the_lock_no_scorecard_shows_a_price_even_to_the_manager(
    closed_rfx, buyer, bob, django_capture_on_commit_callbacks
):
    for user in (buyer, bob):
        client = client_for(user)
        body, report = request_scorecard(client, closed_rfx, django_capture_on_commit_callbacks)
        assert body["with_prices"] is False and report.status == "done"
        download = client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/download/")
        text = pdf_text(b"".join(download.streaming_content))
        assert not any(price in text for price in PRICES)


def test_a_scorecard_with_prices_does_not_exist_for_a_reviewer_before_the_lock(closed_rfx, bob):
    """Say one were made with prices (an earlier lock, since undone): bob never reaches it."""
    report = ComparisonReport.objects.create(
        rfx=closed_rfx, with_prices=True, with_names=True, status="done"
    )
    client = client_for(bob)
    assert client.get(f"{API}{closed_rfx.pk}/scorecards/").json() == []
    for path in ("", "download/"):
        response = client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/{path}")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such scorecard."}
    response = client.post(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/retry/")
    assert response.status_code == 404


def test_a_blind_reviewer_gets_pseudonyms_and_never_the_named_scorecard(
    closed_rfx, buyer, bob, django_capture_on_commit_callbacks
):
    RFx.objects.filter(pk=closed_rfx.pk).update(blind_grading=True)
    _, named = request_scorecard(client_for(buyer), closed_rfx, django_capture_on_commit_callbacks)
    assert named.with_names
    client = client_for(bob)
    body, report = request_scorecard(client, closed_rfx, django_capture_on_commit_callbacks)
    assert body["with_names"] is False
    download = client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/download/")
    text = pdf_text(b"".join(download.streaming_content))
    assert "Supplier A" in text and "Supplier B" in text
    assert not any(name in text for name in NAMES)
    assert [row["id"] for row in client.get(f"{API}{closed_rfx.pk}/scorecards/").json()] == [
        report.pk
    ]
    response = client.get(f"{API}{closed_rfx.pk}/scorecards/{named.pk}/download/")
    assert response.status_code == 404


def test_a_failed_scorecard_says_why_and_a_retry_finishes_it(
    closed_rfx, buyer, django_capture_on_commit_callbacks
):
    client = client_for(buyer)
    with mock.patch("rfx.reports.render_pdf", side_effect=RuntimeError("fonts missing")):
        _, report = request_scorecard(client, closed_rfx, django_capture_on_commit_callbacks)
    assert report.status == "failed"
    status = client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/")
    assert status.json() == scorecard_body(report)
    assert status.json()["error"] == (
        "The PDF could not be produced (RuntimeError: fonts missing). "
        "Retry; if it fails again, tell your administrator."
    )
    download = client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/download/")
    assert download.status_code == 404
    assert download.json() == {"detail": "This scorecard is not ready yet (its status is failed)."}

    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/retry/")
    assert retried.status_code == 202
    assert retried.json()["status"] == "queued" and retried.json()["error"] == ""
    report.refresh_from_db()
    assert (report.status, report.error, report.attempts) == ("done", "", 2)
    assert client.get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/download/").status_code == 200


def test_only_a_failed_scorecard_can_be_retried(
    closed_rfx, buyer, django_capture_on_commit_callbacks
):
    client = client_for(buyer)
    _, report = request_scorecard(client, closed_rfx, django_capture_on_commit_callbacks)
    response = client.post(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/retry/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Only a scorecard that failed can be retried."}
    report.refresh_from_db()
    assert report.status == "done" and report.attempts == 1


def test_a_scorecard_is_not_reached_through_another_rfx(
    closed_rfx, buyer, django_capture_on_commit_callbacks
):
    other = services.rfx_create(buyer=closed_rfx.buyer, user=buyer, title="Other")
    _, report = request_scorecard(client_for(buyer), closed_rfx, django_capture_on_commit_callbacks)
    response = client_for(buyer).get(f"{API}{other.pk}/scorecards/{report.pk}/")
    # The other RFx is a draft: nothing to compare yet, and the scorecard is not its own.
    assert response.status_code == 403
    assert ComparisonReport.objects.filter(rfx=other).count() == 0


def test_a_missing_file_is_a_404_that_says_to_ask_again(
    closed_rfx, buyer, django_capture_on_commit_callbacks
):
    _, report = request_scorecard(client_for(buyer), closed_rfx, django_capture_on_commit_callbacks)
    report.file.storage.delete(report.file.name)
    response = client_for(buyer).get(f"{API}{closed_rfx.pk}/scorecards/{report.pk}/download/")
    assert response.status_code == 404
    assert response.json() == {"detail": "The scorecard file is missing; ask for it again."}


# --- the evaluation matrix ----------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def page_csv(client, rfx: RFx) -> bytes:
    return client.get(reverse("rfx-export-csv", args=[rfx.pk])).content


def test_the_csv_is_the_pages_export_with_prices_after_the_lock(locked_state, buyer, bob):
    rfx = locked_state["rfx"]
    for user in (buyer, bob):
        client = client_for(user)
        response = client.get(f"{API}{rfx.pk}/evaluation-matrix.csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert (
            response["Content-Disposition"]
            == 'attachment; filename="predictive-maintenance-evaluation-matrix.csv"'
        )
        assert response.content == page_csv(client, rfx)
        header, *rows = rows_of(response)
        assert header[:10] == [
            "Supplier",
            "Rank",
            "Total (of 100)",
            "Maturity (M)",
            "Extra questionnaire (E)",
            "Licence and terms (L)",
            "Cost (K)",
            "Price",
            "Currency",
            "Not ranked because",
        ]
        assert [row[:2] for row in rows] == [["Blue Heron AI", "1"], ["Acme Analytics", "2"]]
        assert [row[7:9] for row in rows] == [["90000.00", "GBP"], ["120000.00", "GBP"]]


def test_before_the_lock_neither_export_has_a_price_or_cost(closed_rfx, buyer, bob):
    for user in (buyer, bob):
        client = client_for(user)
        response = client.get(f"{API}{closed_rfx.pk}/evaluation-matrix.csv")
        header, *rows = rows_of(response)
        assert "Price" not in header and "Cost (K)" not in header
        assert not any(price in response.content.decode() for price in PRICES)
        workbook = client.get(f"{API}{closed_rfx.pk}/evaluation-matrix.xlsx")
        assert workbook.status_code == 200
        values = [
            str(cell.value)
            for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows()
            for cell in row
        ]
        assert "Price" not in values and not any(p in value for p in PRICES for value in values)


def test_a_blind_reviewer_exports_pseudonyms(closed_rfx, bob):
    RFx.objects.filter(pk=closed_rfx.pk).update(blind_grading=True)
    response = client_for(bob).get(f"{API}{closed_rfx.pk}/evaluation-matrix.csv")
    assert sorted(row[0] for row in rows_of(response)[1:]) == ["Supplier A", "Supplier B"]
    assert not any(name in response.content.decode() for name in NAMES)


def test_the_xlsx_holds_the_same_matrix_with_formulas_neutralised(
    locked_state, buyer, supplier_a_org
):
    rfx = locked_state["rfx"]
    supplier_a_org.name = "=SUM(1)"
    supplier_a_org.save(update_fields=["name"])
    client = client_for(buyer)
    response = client.get(f"{API}{rfx.pk}/evaluation-matrix.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="predictive-maintenance-evaluation-matrix.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_rows = rows_of(client.get(f"{API}{rfx.pk}/evaluation-matrix.csv"))
    assert values[0] == csv_rows[0]
    assert [row[0] for row in values[1:]] == ["Blue Heron AI", "=SUM(1)"]
    assert [row[0] for row in csv_rows[1:]] == ["Blue Heron AI", "'=SUM(1)"]
    cell = sheet.cell(row=3, column=1)
    assert cell.data_type == "s" and cell.quotePrefix


def test_a_matrix_that_cannot_be_ranked_is_a_400_saying_why(locked_state, buyer):
    rfx = locked_state["rfx"]
    version = rfx.proposals.get(supplier__name="Acme Analytics").versions.get()
    type(version).objects.filter(pk=version.pk).update(
        snapshot={**version.snapshot, "price_currency": "EUR"}
    )
    for extension in ("csv", "xlsx"):
        response = client_for(buyer).get(f"{API}{rfx.pk}/evaluation-matrix.{extension}")
        assert response.status_code == 400
        assert "currenc" in response.json()["detail"].lower()


def test_a_client_may_ask_for_the_files_type(locked_state, buyer):
    rfx = locked_state["rfx"]
    client = client_for(buyer)
    assert (
        client.get(f"{API}{rfx.pk}/evaluation-matrix.csv", HTTP_ACCEPT="text/csv").status_code
        == 200
    )
    response = client.get(f"{API}{rfx.pk}/evaluation-matrix.csv", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 406
