"""Competition scoring on a real Celery worker, through Redis, on PostgreSQL: an upload is
scored by the worker, and an upload made while the broker was down is scored after the sweep."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from config.celery import app
from rfx import competition_services, services
from rfx.models import PredictionSubmission
from tests.integration.conftest import worker  # noqa: F401 — the real worker fixture
from tests.rfx.competition_data import (
    csv_file,
    failing_predictions,
    predictions_csv,
    release_time,
    set_up,
)
from tests.rfx.conftest import frozen

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 90
Job = PredictionSubmission.Status


@pytest.fixture(autouse=True)
def _tasks_go_to_the_worker(worker, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", worker.queue)


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    set_up(draft_rfx, buyer)
    return draft_rfx


def upload(rfx, proposal, user, content: str) -> PredictionSubmission:
    # The service checks the release time by this process's clock; the worker never does.
    with frozen(release_time(rfx) + timedelta(minutes=1)):
        return competition_services.prediction_submit(
            proposal=proposal, user=user, file=csv_file("predictions.csv", content)
        )


def finished(worker, submission: PredictionSubmission) -> PredictionSubmission:  # noqa: F811
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.status in (Job.DONE, Job.FAILED):
            return submission
        time.sleep(0.2)
    worker.fail(f"predictions {submission.pk} were not scored within {WAIT_SECONDS} s")


def test_the_worker_scores_an_uploaded_predictions_file(
    worker,  # noqa: F811
    published_rfx,
    supplier_a,
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    submission = upload(published_rfx, proposal, supplier_a, failing_predictions())
    assert (submission.valid, submission.status) == (True, Job.QUEUED)

    submission = finished(worker, submission)
    with worker.output_on_failure():
        assert (submission.status, submission.error, submission.attempts) == (Job.DONE, "", 1)
        assert submission.passed is False
        assert submission.metrics["accuracy"] == pytest.approx(27 / 40)
        assert [bar["passed"] for bar in submission.metrics["bars"]] == [False, False, True]


def test_a_file_saved_while_the_broker_was_down_is_scored_after_the_sweep(
    worker,  # noqa: F811
    published_rfx,
    supplier_a,
    monkeypatch,
):
    from kombu.exceptions import OperationalError

    from rfx.tasks import score_prediction_submission

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    with monkeypatch.context() as patched:
        patched.setattr(score_prediction_submission, "delay", broker_down)
        submission = upload(published_rfx, proposal, supplier_a, predictions_csv())
    time.sleep(1)
    submission.refresh_from_db()
    assert (submission.valid, submission.status) == (True, Job.QUEUED)

    # The broker is back; the beat's sweep a couple of minutes later enqueues it.
    with frozen(release_time(published_rfx) + timedelta(minutes=3)):
        assert competition_services.prediction_sweep_unscored() == [submission.pk]
    submission = finished(worker, submission)
    with worker.output_on_failure():
        assert (submission.status, submission.passed) == (Job.DONE, True)
        assert submission.metrics["accuracy"] == 1.0
