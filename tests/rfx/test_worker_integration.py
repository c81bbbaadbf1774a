"""The RFx background jobs on a real Celery worker, through Redis, on PostgreSQL: the beat job
that closes RFx whose deadline passed, and the comparison scorecard rendering."""

from __future__ import annotations

import time

import pytest
from pypdf import PdfReader

from assessments.models import Assessment
from config.celery import app
from rfx import reports
from rfx.models import RFx
from tests.integration.conftest import (
    result_of,
    worker,  # noqa: F401 — the real worker fixture
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 90


@pytest.fixture(autouse=True)
def _tasks_go_to_the_worker(worker, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", worker.queue)


def test_the_beat_job_closes_a_due_rfx_on_the_worker(
    worker,  # noqa: F811
    published_rfx,
    proposal_a,
    proposal_b,
    buyer_org,
):
    from django.utils import timezone

    from rfx.tasks import close_due_rfx

    # The deadline passes (the worker reads the real clock, so move the deadline instead).
    past = timezone.now() - timezone.timedelta(minutes=1)
    minute = timezone.timedelta(minutes=1)
    RFx.objects.filter(pk=published_rfx.pk).update(
        issue_date=past - 2 * minute, clarification_deadline=past - minute, proposal_deadline=past
    )

    closed = result_of(worker, close_due_rfx)

    published_rfx.refresh_from_db()
    with worker.output_on_failure():
        assert published_rfx.pk in closed
        assert published_rfx.status == RFx.Status.CLOSED
        handed = Assessment.objects.filter(pk=proposal_a.maturity_assessment_id).get()
        assert handed.reviewing_organisation == buyer_org


def test_the_worker_renders_the_comparison_scorecard(
    worker,  # noqa: F811
    closed_rfx,
    buyer,
):
    report = reports.scorecard_request(rfx=closed_rfx, user=buyer)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (report.Status.DONE, report.Status.FAILED):
            break
        time.sleep(0.2)
    with worker.output_on_failure():
        assert (report.status, report.error) == (report.Status.DONE, "")
        with report.file.open("rb") as handle:
            text = "\n".join(page.extract_text() for page in PdfReader(handle).pages)
        assert "Acme Analytics" in text
        assert "Blue Heron AI" in text
