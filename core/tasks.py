"""E-mail sent by the worker, so a slow or absent mail server never holds up a page.

Each recipient gets a message of their own (no one sees the others' addresses).
A transient failure (network, server busy, 4xx) retries later with only the
recipients not yet sent to, so no one gets the same e-mail twice; a recipient
the server refuses for good is reported in the result, not retried.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable, Iterable

from celery import Task, shared_task

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def retry_countdown(retries: int) -> int:
    """Seconds before the next attempt: 30 s, then doubling, at most 10 minutes."""
    return min(600, 30 * 2**retries)


def is_transient(error: BaseException) -> bool:
    """Whether trying again later may succeed: the network or the server, not the message."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500  # 4xx: "try again later"; 5xx: refused
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Greylisting refuses with 4xx; an unknown mailbox with 5xx.
        return bool(error.recipients) and all(
            400 <= code < 500 for code, _ in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPException):
        return False
    # Connection refused or reset, timeouts, DNS failures. (smtplib errors are OSErrors too,
    # so they are sorted out above.)
    return isinstance(error, OSError)


def _addresses(recipients: Iterable[str]) -> list[str]:
    cleaned = (address.strip() for address in recipients if address and address.strip())
    return list(dict.fromkeys(cleaned))


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def _deliver(
    task: Task,
    subject: str,
    body: str,
    recipients: list[str],
    retry_args: Callable[[list[str]], tuple],
) -> dict:
    from django.core.mail import EmailMessage, get_connection

    sent: list[str] = []
    refused: dict[str, str] = {}
    connection = get_connection()
    try:
        connection.open()
        for address in recipients:
            try:
                EmailMessage(subject=subject, body=body, to=[address], connection=connection).send()
            except smtplib.SMTPRecipientsRefused as error:
                if is_transient(error):
                    raise
                refused[address] = "; ".join(
                    f"{code} {_text(message)}" for code, message in error.recipients.values()
                )
                logger.warning("E-mail %r to %s refused: %s", subject, address, refused[address])
                continue
            sent.append(address)
    except Exception as error:
        if not is_transient(error):
            raise
        remaining = [
            address for address in recipients if address not in sent and address not in refused
        ]
        logger.warning(
            "E-mail %r: %s; %d recipient(s) left, retrying", subject, error, len(remaining)
        )
        raise task.retry(
            args=retry_args(remaining), countdown=retry_countdown(task.request.retries), exc=error
        ) from error
    finally:
        # A failing QUIT must not hide the error that matters, or the retry.
        with contextlib.suppress(Exception):
            connection.close()
    return {"sent": sent, "refused": refused}


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def send_notification_email(self: Task, subject: str, body: str, recipients: list[str]) -> dict:
    """Send a plain-text e-mail to each address.

    Returns {"sent": [addresses], "refused": {address: reason}} for this attempt.
    """
    return _deliver(
        self, subject, body, _addresses(recipients), lambda remaining: (subject, body, remaining)
    )


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def send_user_notification(self: Task, user_id: int, subject: str, body: str) -> dict:
    """E-mail one user by id; an inactive user or one without an address gets nothing."""
    from accounts.models import User

    address = (
        User.objects.filter(pk=user_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .first()
    )
    if address is None:
        return {"sent": [], "refused": {}}
    return _deliver(self, subject, body, [address], lambda remaining: (user_id, subject, body))
