"""Celery tasks: thin wrappers that take ids and call a service."""

import logging

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, DatabaseError, ConnectionError, TimeoutError)


@shared_task(bind=True, max_retries=5, acks_late=True)
def score_version(self, version_id: int) -> int | None:
    from assessments.services import version_score

    try:
        scorecard = version_score(version_id=version_id)
    except TRANSIENT as error:
        _requeue(version_id)
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error
    except Exception:
        # The version is marked failed with the reason, for the page to show and retry.
        logger.exception("Scoring version %s failed", version_id)
        return None
    return scorecard.pk if scorecard else None


@shared_task(bind=True, max_retries=3, acks_late=True)
def render_report(self, report_id: int) -> int | None:
    from assessments.reports import report_render

    try:
        report = report_render(report_id=report_id)
    except TRANSIENT as error:
        from assessments.models import Report

        Report.objects.filter(pk=report_id, status=Report.Status.FAILED).update(
            status=Report.Status.QUEUED
        )
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries * 5)) from error
    except Exception:
        logger.exception("Rendering report %s failed", report_id)
        return None
    return report.pk if report else None


@shared_task
def sweep_unscored() -> list[int]:
    from assessments.services import sweep_unscored as sweep

    return sweep()


def _requeue(version_id: int) -> None:
    from assessments.models import AssessmentVersion

    AssessmentVersion.objects.filter(pk=version_id, status=AssessmentVersion.Status.FAILED).update(
        status=AssessmentVersion.Status.QUEUED
    )


@shared_task
def sweep_reports() -> list[int]:
    from assessments.services import sweep_reports as sweep

    return sweep()
