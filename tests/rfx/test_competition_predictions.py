"""Suppliers' prediction files (DESIGN §5, §9): kept whatever they hold, checked against the
hidden labels, counted against the limit when valid, scored by the worker, retried, swept."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone

from core.exceptions import ApplicationError
from rfx import competition_services, services
from rfx.models import PredictionSubmission, RFx
from rfx.tasks import score_prediction_submission, sweep_unscored_predictions
from tests.rfx.competition_data import (
    IDS,
    TRUTH,
    csv_file,
    failing_predictions,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")
Job = PredictionSubmission.Status


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    """The conftest's draft RFP with a ready competition: 3 valid files each, bars, release."""
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


@pytest.fixture
def proposal(published_rfx, supplier_a):
    return services.proposal_start(rfx=published_rfx, user=supplier_a)


@pytest.fixture
def released(published_rfx):
    """The server's clock an hour after the evaluation inputs were released."""
    moment = release_time(published_rfx) + timedelta(hours=1)
    with frozen(moment):
        yield moment


def submit(proposal, user, content: str | bytes, name: str = "predictions.csv"):
    return competition_services.prediction_submit(
        proposal=proposal, user=user, file=csv_file(name, content)
    )


def refusal(proposal, user, content: str | bytes = "") -> str:
    with pytest.raises(ApplicationError) as caught:
        submit(proposal, user, content or predictions_csv())
    return caught.value.message


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y, %H:%M")


# --- uploading ----------------------------------------------------------------------------------


def test_a_valid_file_is_kept_counted_and_queued_for_scoring_on_commit(
    proposal, supplier_a, released, django_capture_on_commit_callbacks
):
    content = predictions_csv()
    with django_capture_on_commit_callbacks() as callbacks:
        submission = submit(proposal, supplier_a, content, name="our-predictions.csv")
    submission.refresh_from_db()
    assert (
        submission.number,
        submission.valid,
        submission.problems,
        submission.status,
        submission.queued_at,
        submission.original_name,
        submission.size,
        submission.sha256,
        submission.uploaded_by,
        submission.metrics,
        submission.passed,
    ) == (
        1,
        True,
        [],
        Job.QUEUED,
        timezone.now(),
        "our-predictions.csv",
        len(content),
        hashlib.sha256(content.encode()).hexdigest(),
        supplier_a,
        None,
        None,
    )
    assert Path(submission.file.path).read_text() == content
    assert len(callbacks) == 1

    callbacks[0]()  # the commit: the task runs in-process in tests
    submission.refresh_from_db()
    assert (submission.status, submission.passed, submission.attempts, submission.error) == (
        Job.DONE,
        True,
        1,
        "",
    )
    assert submission.metrics["accuracy"] == 1.0
    assert [bar["passed"] for bar in submission.metrics["bars"]] == [True, True, True]


def test_a_refused_file_is_kept_with_its_problems_is_not_scored_and_does_not_count(
    proposal, supplier_a, released, django_capture_on_commit_callbacks
):
    rows = [*zip(IDS[:38], TRUTH[:38], strict=True), ("m777", "OK"), ("m001", "BROKEN")]
    content = "id,prediction\n" + "".join(f"{i},{label}\n" for i, label in rows)
    with django_capture_on_commit_callbacks() as callbacks:
        submission = submit(proposal, supplier_a, content)
    submission.refresh_from_db()
    assert submission.problems == [
        "1 row has a prediction outside the known labels (“MAINTENANCE”, “OK”), e.g. row 41 "
        "(“BROKEN”).",
        "1 id appears more than once in the predictions, e.g. “m001” (rows 2, 41). Each id must "
        "appear exactly once.",
        "1 row has an id that is not in the evaluation set, e.g. row 40 (“m777”).",
        "2 ids of the evaluation set are missing from the predictions, e.g. “m039”, “m040”.",
    ]
    assert (submission.valid, submission.status, submission.error, submission.metrics) == (
        False,
        Job.FAILED,
        competition_services.REFUSED,
        None,
    )
    assert submission.finished_at == timezone.now()
    assert Path(submission.file.path).read_text() == content  # the raw upload is kept
    assert callbacks == []  # never scored

    # It did not count: three valid files are still allowed, numbered after it.
    numbers = [submit(proposal, supplier_a, predictions_csv()).number for _ in range(3)]
    assert numbers == [2, 3, 4]


def test_a_big_upload_in_a_temporary_file_is_kept_and_checked(proposal, supplier_a, released):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    content = predictions_csv().encode()
    upload = TemporaryUploadedFile("big.csv", "text/csv", len(content), "utf-8")
    upload.write(content)
    upload.seek(0)
    submission = competition_services.prediction_submit(
        proposal=proposal, user=supplier_a, file=upload
    )
    upload.close()  # as the request does; its temporary file was moved into the storage
    assert (submission.valid, submission.problems, submission.size) == (True, [], len(content))
    assert Path(submission.file.path).read_bytes() == content


def test_an_empty_or_unreadable_file_is_kept_and_refused(proposal, supplier_a, released):
    empty = submit(proposal, supplier_a, b"")
    latin = submit(proposal, supplier_a, "id,prédiction\n".encode("latin-1"))
    assert (empty.valid, empty.problems) == (False, ["The predictions file is empty."])
    assert (latin.valid, latin.problems) == (
        False,
        ["Row 1 of the predictions file is not UTF-8 text. Save the file as “CSV UTF-8”."],
    )
    assert Path(latin.file.path).read_bytes() == "id,prédiction\n".encode("latin-1")


def test_beyond_the_limit_of_valid_files_an_upload_is_refused_and_nothing_is_stored(
    proposal, supplier_a, released, tmp_path
):
    for _ in range(2):
        submit(proposal, supplier_a, predictions_csv())
    submit(proposal, supplier_a, "id,prediction\nm001,OK\n")  # refused: does not count
    submit(proposal, supplier_a, failing_predictions())  # the third valid file
    stored = sorted(path.name for path in (tmp_path / "media").rglob("*.csv"))
    message = (
        "You have used all 3 valid prediction files this competition allows; the last one counts."
    )
    assert refusal(proposal, supplier_a) == message
    assert refusal(proposal, supplier_a, "not even a header") == message
    assert list(proposal.prediction_submissions.values_list("number", "valid")) == [
        (4, True),
        (3, False),
        (2, True),
        (1, True),
    ]
    assert sorted(path.name for path in (tmp_path / "media").rglob("*.csv")) == stored


def test_the_uploads_of_a_proposal_are_capped_refused_ones_included(
    proposal, supplier_a, released, monkeypatch
):
    monkeypatch.setattr(competition_services, "MAX_UPLOADS", 2)
    submit(proposal, supplier_a, "id,prediction\n")
    submit(proposal, supplier_a, "id,prediction\n")
    assert refusal(proposal, supplier_a) == (
        "You have uploaded 2 prediction files, the most we keep for a proposal. Ask the buyer "
        "if you need to send another."
    )
    assert proposal.prediction_submissions.count() == 2


def test_a_file_over_the_size_limit_is_refused_and_not_stored(
    proposal, supplier_a, released, monkeypatch
):
    monkeypatch.setattr("rfx.competition.MAX_BYTES", 100)
    with pytest.raises(ApplicationError) as caught:
        submit(proposal, supplier_a, predictions_csv())
    assert caught.value.extra["errors"] == {
        "file": f"The predictions file is {len(predictions_csv())} bytes; the limit is 100 bytes."
    }
    assert not proposal.prediction_submissions.exists()


def test_uploads_open_at_the_release_and_close_at_the_deadline_by_the_server_clock(
    proposal, supplier_a, published_rfx
):
    release = release_time(published_rfx)
    expected = (
        f"The evaluation inputs are released on {when(release)}; predictions are accepted from "
        "then."
    )
    with frozen(release - timedelta(seconds=1)):
        assert refusal(proposal, supplier_a) == expected
    with frozen(release):
        assert submit(proposal, supplier_a, predictions_csv()).valid
    deadline = published_rfx.proposal_deadline
    with frozen(deadline - timedelta(seconds=1)):
        assert submit(proposal, supplier_a, predictions_csv()).valid
    # The status still says published: the clock decides.
    assert RFx.objects.get(pk=published_rfx.pk).status == RFx.Status.PUBLISHED
    with frozen(deadline):
        assert refusal(proposal, supplier_a) == (
            f"The proposal deadline passed on {when(deadline)}; nothing more can be sent."
        )
    assert proposal.prediction_submissions.count() == 2


@pytest.mark.parametrize("who", ["supplier_b", "buyer", "reviewer", "outsider"])
def test_only_a_member_of_the_proposals_supplier_uploads(proposal, released, who, request):
    user = request.getfixturevalue(who)
    assert refusal(proposal, user) == "Only a member of the invited supplier can do this."
    assert not PredictionSubmission.objects.exists()


def test_an_rfx_without_a_competition_takes_no_predictions(
    proposal, supplier_a, released, published_rfx
):
    RFx.objects.filter(pk=published_rfx.pk).update(has_competition=False)
    assert refusal(proposal, supplier_a) == (
        "This RFx has no competition, so there is nothing to predict."
    )


# --- scoring ------------------------------------------------------------------------------------


@pytest.fixture
def queued(proposal, supplier_a, released, django_capture_on_commit_callbacks):
    """A valid file saved but not yet scored (its task not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        return submit(proposal, supplier_a, failing_predictions())


def test_scoring_writes_the_metrics_and_the_bars_verdict(queued):
    submission = competition_services.prediction_score(submission_id=queued.pk)
    assert (submission.status, submission.passed, submission.attempts) == (Job.DONE, False, 1)
    assert submission.finished_at == timezone.now()
    metrics = submission.metrics
    assert metrics["accuracy"] == pytest.approx(TRUTH.count("OK") / 40, abs=1e-12)
    assert metrics["per_class"]["MAINTENANCE"]["recall"] == 0.0
    assert [(bar["metric"], bar["passed"]) for bar in metrics["bars"]] == [
        ("accuracy", False),
        ("recall", False),
        ("recall_gap", True),
    ]
    assert set(metrics["groups"]["site"]) == {"north", "south"}


def test_scoring_claims_the_job_once_and_a_second_run_does_nothing(queued):
    first = competition_services.prediction_score(submission_id=queued.pk)
    assert first.status == Job.DONE
    before = PredictionSubmission.objects.values().get(pk=queued.pk)
    assert competition_services.prediction_score(submission_id=queued.pk) is None
    assert PredictionSubmission.objects.values().get(pk=queued.pk) == before
    # A job another worker is running is left to it.
    PredictionSubmission.objects.filter(pk=queued.pk).update(status=Job.RUNNING)
    assert competition_services.prediction_score(submission_id=queued.pk) is None


def test_a_refused_file_is_never_scored(proposal, supplier_a, released):
    refused = submit(proposal, supplier_a, "id,prediction\nm001,OK\n")
    assert competition_services.prediction_score(submission_id=refused.pk) is None
    refused.refresh_from_db()
    assert (refused.status, refused.metrics) == (Job.FAILED, None)


def test_a_failure_is_recorded_with_a_sentence_and_a_retry_scores_it(
    queued, supplier_a, supplier_b, buyer, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ValueError("the numbers went wrong")

    with monkeypatch.context() as patched:
        patched.setattr(competition_services.scorer, "score", broken)
        submission = competition_services.prediction_score(submission_id=queued.pk)
    assert (submission.status, submission.attempts, submission.metrics, submission.error) == (
        Job.FAILED,
        1,
        None,
        "Scoring stopped because of an unexpected problem on our side (ValueError). Retry; if "
        "it fails again, tell the buyer.",
    )

    for user in (supplier_b, reviewer):
        with pytest.raises(ApplicationError) as caught:
            competition_services.prediction_retry(submission=submission, user=user)
        assert caught.value.message == (
            "Only the supplier that sent the file or a procurement manager of the buyer can "
            "retry its scoring."
        )
    with django_capture_on_commit_callbacks(execute=True):
        competition_services.prediction_retry(submission=submission, user=supplier_a)
    submission.refresh_from_db()
    assert (submission.status, submission.error, submission.attempts) == (Job.DONE, "", 2)
    with pytest.raises(ApplicationError, match=r"^Only failed scoring can be retried\.$"):
        competition_services.prediction_retry(submission=submission, user=buyer)


def test_the_buyers_manager_can_retry_a_failed_scoring(
    queued, buyer, django_capture_on_commit_callbacks
):
    PredictionSubmission.objects.filter(pk=queued.pk).update(status=Job.FAILED, error="x")
    with django_capture_on_commit_callbacks(execute=True):
        competition_services.prediction_retry(submission=queued, user=buyer)
    queued.refresh_from_db()
    assert queued.status == Job.DONE


def test_a_refused_file_cannot_be_retried(proposal, supplier_a, released):
    refused = submit(proposal, supplier_a, "id,prediction\nm001,OK\n")
    with pytest.raises(ApplicationError) as caught:
        competition_services.prediction_retry(submission=refused, user=supplier_a)
    assert caught.value.message == (
        "This file was refused, so there is nothing to score; upload a corrected file."
    )


def test_a_missing_labels_file_fails_with_a_sentence(queued, published_rfx):
    Path(published_rfx.competition.labels_file.path).unlink()
    submission = competition_services.prediction_score(submission_id=queued.pk)
    assert submission.status == Job.FAILED
    assert submission.error == (
        "The predictions could not be scored: The labels file cannot be read: No such file or "
        "directory."
    )


def test_a_transient_database_error_is_raised_again_and_the_task_retries_it(queued, monkeypatch):
    real_score = competition_services.scorer.score
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_score(*args, **kwargs)

    monkeypatch.setattr(competition_services.scorer, "score", flaky)
    with pytest.raises(OperationalError):
        competition_services.prediction_score(submission_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.error) == (
        Job.FAILED,
        "Scoring was interrupted by a connection problem; it is tried again shortly.",
    )

    # Through the task: the failure is put back in the queue and retried.
    calls.clear()
    PredictionSubmission.objects.filter(pk=queued.pk).update(status=Job.QUEUED, attempts=0)
    score_prediction_submission.apply(args=[queued.pk], throw=False)  # as a worker runs it
    queued.refresh_from_db()
    assert (queued.status, queued.error, queued.attempts, len(calls)) == (Job.DONE, "", 2, 2)


# --- the task and the sweep ---------------------------------------------------------------------


def test_the_task_scores_through_the_service_and_returns_the_id(queued):
    assert score_prediction_submission.apply(args=[queued.pk]).get() == queued.pk
    assert score_prediction_submission.apply(args=[queued.pk]).get() is None  # already done
    queued.refresh_from_db()
    assert queued.status == Job.DONE


def test_the_beat_runs_the_sweep_every_minute(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-unscored-predictions"]
    assert (entry["task"], entry["schedule"]) == ("rfx.tasks.sweep_unscored_predictions", 60.0)
    assert app.tasks[entry["task"]].name == sweep_unscored_predictions.name


def test_the_sweep_scores_valid_files_left_queued_for_over_a_minute(
    queued, proposal, supplier_a, released
):
    refused = submit(proposal, supplier_a, "id,prediction\n")
    assert competition_services.prediction_sweep_unscored() == []  # a fresh job is left alone
    with frozen(released + timedelta(seconds=61)):
        assert sweep_unscored_predictions.apply().get() == [queued.pk]
    queued.refresh_from_db()
    refused.refresh_from_db()
    assert queued.status == Job.DONE
    assert (refused.status, refused.metrics) == (Job.FAILED, None)
    with frozen(released + timedelta(minutes=5)):
        assert competition_services.prediction_sweep_unscored() == []


def test_the_sweep_revives_a_job_whose_worker_died(queued, released):
    PredictionSubmission.objects.filter(pk=queued.pk).update(
        status=Job.RUNNING, started_at=released
    )
    with frozen(released + timedelta(minutes=10)):
        assert competition_services.prediction_sweep_unscored() == []
    with frozen(released + timedelta(minutes=16)):
        assert competition_services.prediction_sweep_unscored() == [queued.pk]
    queued.refresh_from_db()
    assert queued.status == Job.DONE


def test_a_broker_outage_at_upload_never_loses_a_file(
    proposal, supplier_a, released, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerError

    def broker_down(*args, **kwargs):
        raise BrokerError("[Errno 111] Connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(score_prediction_submission, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            submission = submit(proposal, supplier_a, predictions_csv())
    submission.refresh_from_db()
    assert (submission.valid, submission.status) == (True, Job.QUEUED)
    assert Path(submission.file.path).read_text() == predictions_csv()

    # The broker is back: the sweep gets it scored.
    with frozen(released + timedelta(minutes=2)):
        assert competition_services.prediction_sweep_unscored() == [submission.pk]
    submission.refresh_from_db()
    assert (submission.status, submission.passed) == (Job.DONE, True)
