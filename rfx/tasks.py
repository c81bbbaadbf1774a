"""Celery tasks of the RFx app: thin wrappers around services."""

import logging

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, DatabaseError, ConnectionError, TimeoutError)


@shared_task(bind=True, max_retries=5, acks_late=True)
def close_due_rfx(self) -> list[int]:
    """Close every RFx whose proposal deadline has passed (beat); safe to run twice."""
    from rfx.services import rfx_close_due

    try:
        return rfx_close_due()
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error


@shared_task(bind=True, max_retries=3, acks_late=True)
def render_comparison_report(self, report_id: int) -> int | None:
    """Render one comparison scorecard PDF; a failure is recorded on it for the page to retry."""
    from rfx.models import ComparisonReport
    from rfx.reports import comparison_render

    try:
        report = comparison_render(report_id=report_id)
    except TRANSIENT as error:
        ComparisonReport.objects.filter(pk=report_id, status=ComparisonReport.Status.FAILED).update(
            status=ComparisonReport.Status.QUEUED
        )
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error
    except Exception:
        logger.exception("Rendering comparison scorecard %s failed", report_id)
        return None
    return report.pk if report else None


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_deadline_reminders(self) -> list[int]:
    """E-mail invited suppliers who have not submitted, 72 h and 24 h before the deadline (beat)."""
    from rfx.reminders import send_deadline_reminders as send

    try:
        return send()
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error


@shared_task(bind=True, max_retries=5, acks_late=True)
def score_prediction_submission(self, submission_id: int) -> int | None:
    """Score one supplier's predictions file; a failure is recorded on it for the page to retry."""
    from rfx.competition_services import prediction_score
    from rfx.models import PredictionSubmission

    try:
        submission = prediction_score(submission_id=submission_id)
    except TRANSIENT as error:
        PredictionSubmission.objects.filter(
            pk=submission_id, status=PredictionSubmission.Status.FAILED
        ).update(status=PredictionSubmission.Status.QUEUED, error="")
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error
    except Exception:
        logger.exception("Scoring predictions %s failed", submission_id)
        return None
    return submission.pk if submission else None


@shared_task
def sweep_unscored_predictions() -> list[int]:
    """Enqueue prediction files saved while the broker was down, or left by a dead worker (beat)."""
    from rfx.competition_services import prediction_sweep_unscored

    return prediction_sweep_unscored()
