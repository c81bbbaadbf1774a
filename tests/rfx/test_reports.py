"""The comparison scorecard PDF: content, PDF/A, the job's life and who may see it."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Membership
from rfx import reports, services
from rfx.models import ComparisonReport, RFxReviewer
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture
def roles(closed_rfx, buyer, reviewer, supplier_a, supplier_b, outsider, buyer_org) -> dict:
    """Everyone the permission matrix asks about; None is the anonymous visitor."""
    undeclared = MembershipFactory(
        user=UserFactory(username="grace"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    RFxReviewer.objects.create(rfx=closed_rfx, reviewer=undeclared)
    unassigned = MembershipFactory(
        user=UserFactory(username="henry"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    return {
        "procurement manager": buyer,
        "reviewer assigned and declared": reviewer,
        "reviewer not declared": undeclared,
        "reviewer not assigned": unassigned,
        "supplier A": supplier_a,
        "supplier B": supplier_b,
        "outsider": outsider,
        "anonymous": None,
    }


ALLOWED = {"procurement manager", "reviewer assigned and declared"}


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


def _render(rfx, user, django_capture_on_commit_callbacks) -> ComparisonReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.scorecard_request(rfx=rfx, user=user)
    report.refresh_from_db()
    return report


def _text(report: ComparisonReport) -> tuple[str, str]:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    return text, xmp


def test_the_scorecard_pdf_shows_names_totals_sensitivity_and_is_pdfa(
    closed_rfx, buyer, django_capture_on_commit_callbacks
):
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    report = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)

    assert report.status == ComparisonReport.Status.DONE, report.error
    assert report.with_prices and report.with_names
    assert report.size > 1000
    text, xmp = _text(report)
    data = reports.comparison_data(closed_rfx, with_prices=True, with_names=True)
    assert "Acme Analytics" in text and "Blue Heron AI" in text
    for row in data["rows"]:
        assert f"{row['total']:.1f}" in text
    assert "Sensitivity of the top rank" in text
    assert "Maturity 40 0 70" in text and "Cost 30 0 70" in text  # weight, current, low, high
    assert "90000.00" in text and "Cost (K)" in text
    assert "Weighted breakdown" in text and "Divergence markers" in text
    assert "Competition results" not in text  # only when given
    assert "pdfaid:part" in xmp or "pdfaid" in xmp


def test_a_blind_reviewer_before_the_lock_gets_pseudonyms_and_no_prices(
    closed_rfx, reviewer, django_capture_on_commit_callbacks
):
    closed_rfx.blind_grading = True
    closed_rfx.save(update_fields=["blind_grading"])
    report = _render(closed_rfx, reviewer, django_capture_on_commit_callbacks)

    assert report.status == ComparisonReport.Status.DONE, report.error
    assert not report.with_prices and not report.with_names
    text, _ = _text(report)
    assert "Supplier A" in text and "Supplier B" in text
    assert "Acme" not in text and "Heron" not in text
    assert "90000" not in text and "120000" not in text
    assert reports.NO_PRICE_NOTE in text.replace("\n", " ")


def test_an_rfx_without_a_competition_has_no_competition_section(closed_rfx, buyer):
    # The section itself is tested in tests/rfx/test_competition_reports.py.
    assert reports.competition_section(closed_rfx, names={}, with_names=True) is None
    data = reports.comparison_data(closed_rfx, with_prices=False, with_names=True)
    assert "Tender competition" not in reports.render_html(reports.build_context(closed_rfx, data))


def test_rendering_twice_keeps_one_file(closed_rfx, buyer, django_capture_on_commit_callbacks):
    report = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    assert reports.comparison_render(report_id=report.pk) is None  # already done: not claimed
    first_name = report.file.name
    ComparisonReport.objects.filter(pk=report.pk).update(status=ComparisonReport.Status.FAILED)
    reports.comparison_render(report_id=report.pk)
    report.refresh_from_db()
    _, files = default_storage.listdir(f"rfx/{closed_rfx.pk}/scorecards")
    assert files == [report.file.name.rsplit("/", 1)[-1]]
    assert report.attempts == 2
    assert not default_storage.exists(first_name) or first_name == report.file.name


def test_a_failure_is_recorded_with_its_reason_and_a_retry_finishes(
    closed_rfx, buyer, client, django_capture_on_commit_callbacks
):
    with mock.patch("rfx.reports.render_pdf", side_effect=RuntimeError("fonts missing")):
        report = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    assert report.status == ComparisonReport.Status.FAILED
    assert "fonts missing" in report.error and not report.file

    client.force_login(buyer)
    page = client.get(reverse("rfx-scorecard-status", args=[closed_rfx.pk, report.pk]))
    assert b"fonts missing" in page.content and b'data-testid="scorecard-retry"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rfx-scorecard-retry", args=[closed_rfx.pk, report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ComparisonReport.Status.DONE and report.error == ""
    download = client.get(reverse("rfx-scorecard-download", args=[closed_rfx.pk, report.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_retrying_a_scorecard_that_did_not_fail_is_refused(
    closed_rfx, buyer, client, django_capture_on_commit_callbacks
):
    report = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    client.force_login(buyer)
    response = client.post(reverse("rfx-scorecard-retry", args=[closed_rfx.pk, report.pk]))
    assert response.status_code == 400 and b"Only a scorecard that failed" in response.content


def test_the_status_fragment_polls_every_2_seconds_only_while_pending(closed_rfx, buyer, client):
    client.force_login(buyer)
    response = client.post(reverse("rfx-scorecard", args=[closed_rfx.pk]), HTTP_HX_REQUEST="true")
    report = ComparisonReport.objects.get(rfx=closed_rfx)  # on_commit not run: still queued
    assert report.status == ComparisonReport.Status.QUEUED
    assert b'hx-trigger="every 2s"' in response.content and b"Queued" in response.content
    again = client.post(reverse("rfx-scorecard", args=[closed_rfx.pk]), HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert ComparisonReport.objects.filter(rfx=closed_rfx).count() == 1  # one pending at a time

    ComparisonReport.objects.filter(pk=report.pk).update(status=ComparisonReport.Status.RUNNING)
    url = reverse("rfx-scorecard-status", args=[closed_rfx.pk, report.pk])
    assert b"Rendering" in client.get(url, HTTP_HX_REQUEST="true").content
    reports.comparison_render(report_id=report.pk)  # fresh "running" is not claimed
    ComparisonReport.objects.filter(pk=report.pk).update(status=ComparisonReport.Status.QUEUED)
    reports.comparison_render(report_id=report.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert b"every 2s" not in done.content and b"Scorecard ready" in done.content


def test_the_scorecard_is_not_available_before_the_rfx_closes(published_rfx, buyer, client):
    client.force_login(buyer)
    assert client.get(reverse("rfx-scorecard", args=[published_rfx.pk])).status_code == 404
    assert client.post(reverse("rfx-scorecard", args=[published_rfx.pk])).status_code == 404
    assert not ComparisonReport.objects.exists()


def test_a_reviewer_cannot_download_a_scorecard_with_prices_before_the_lock(
    closed_rfx, buyer, reviewer, client, django_capture_on_commit_callbacks
):
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    priced = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    closed_rfx.technical_scores_locked_at = None
    closed_rfx.save(update_fields=["technical_scores_locked_at"])
    client.force_login(reviewer)
    url = reverse("rfx-scorecard-download", args=[closed_rfx.pk, priced.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "role",
    [
        "procurement manager",
        "reviewer assigned and declared",
        "reviewer not declared",
        "reviewer not assigned",
        "supplier A",
        "supplier B",
        "outsider",
        "anonymous",
    ],
)
def test_scorecard_pages_permission_matrix(
    role, roles, closed_rfx, buyer, client, django_capture_on_commit_callbacks
):
    done = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    with mock.patch("rfx.reports.render_pdf", side_effect=RuntimeError("boom")):
        failed = _render(closed_rfx, buyer, django_capture_on_commit_callbacks)
    client = _client(client, roles[role])
    pk = closed_rfx.pk
    requests = [
        ("get", reverse("rfx-scorecard", args=[pk])),
        ("get", reverse("rfx-scorecard-status", args=[pk, done.pk])),
        ("get", reverse("rfx-scorecard-download", args=[pk, done.pk])),
        ("post", reverse("rfx-scorecard-retry", args=[pk, failed.pk])),
        ("post", reverse("rfx-scorecard", args=[pk])),
    ]
    before = ComparisonReport.objects.count()
    with django_capture_on_commit_callbacks(execute=False):
        statuses = [getattr(client, method)(url).status_code for method, url in requests]
    failed.refresh_from_db()
    if role in ALLOWED:
        assert statuses == [200, 200, 200, 302, 302]
        # The retried one is pending again, so asking once more reuses it.
        assert ComparisonReport.objects.count() == before
        assert failed.status == ComparisonReport.Status.QUEUED
    elif role == "anonymous":
        assert statuses == [302] * 5
        assert all(
            "/accounts/login" in client.get(url).url for method, url in requests if method == "get"
        )
        assert ComparisonReport.objects.count() == before
        assert failed.status == ComparisonReport.Status.FAILED
    else:
        assert statuses == [404] * 5
        assert ComparisonReport.objects.count() == before
        assert failed.status == ComparisonReport.Status.FAILED
