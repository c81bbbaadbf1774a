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
