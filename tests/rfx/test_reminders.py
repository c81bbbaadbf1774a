"""Deadline reminders (72 h and 24 h before, once each) and the closing notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from rfx import tasks
from rfx.models import Invitation
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _run(moment, capture) -> list[int]:
    with frozen(moment), capture(execute=True):
        return tasks.send_deadline_reminders.delay().get()


def _recipients(subject_part: str) -> set[str]:
    return {
        address
        for message in mail.outbox
        if subject_part in message.subject
        for address in message.to
    }


def test_each_reminder_goes_once_and_only_to_suppliers_who_have_not_submitted(
    published_rfx, proposal_a, supplier_b, django_capture_on_commit_callbacks
):
    deadline = published_rfx.proposal_deadline
    mail.outbox.clear()

    assert _run(deadline - 73 * HOUR, django_capture_on_commit_callbacks) == []
    assert mail.outbox == []

    assert _run(deadline - 71 * HOUR, django_capture_on_commit_callbacks) == [published_rfx.pk]
    assert _recipients("72 hours left") == {"bids@heron.test", supplier_b.email} - {""}
    assert "bids@acme.test" not in _recipients("")  # supplier A has submitted
    published_rfx.refresh_from_db()
    assert published_rfx.reminded_72h_at is not None and published_rfx.reminded_24h_at is None

    assert _run(deadline - 70 * HOUR, django_capture_on_commit_callbacks) == []
    assert _run(deadline - 30 * HOUR, django_capture_on_commit_callbacks) == []
    sent_72 = len(mail.outbox)

    assert _run(deadline - 23 * HOUR, django_capture_on_commit_callbacks) == [published_rfx.pk]
    assert _recipients("24 hours left") == {"bids@heron.test", supplier_b.email} - {""}
    assert _run(deadline - 2 * HOUR, django_capture_on_commit_callbacks) == []
    assert len(mail.outbox) == sent_72 + len(_recipients("24 hours left"))
    assert len([m for m in mail.outbox if "72 hours left" in m.subject]) == sent_72
    published_rfx.refresh_from_db()
    assert published_rfx.reminded_24h_at is not None
    message = next(m for m in mail.outbox if "24 hours left" in m.subject)
    assert f"/rfx/{published_rfx.pk}/" in message.body and "Predictive maintenance" in message.body


def test_a_late_first_run_sends_only_the_24_hour_reminder(
    published_rfx, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    deadline = published_rfx.proposal_deadline
    assert _run(deadline - 10 * HOUR, django_capture_on_commit_callbacks) == [published_rfx.pk]
    assert _recipients("24 hours left") == _recipients("")  # no 72 h one sent late
    assert {"bids@acme.test", "bids@heron.test"} <= _recipients("24 hours left")
    published_rfx.refresh_from_db()
    assert published_rfx.reminded_72h_at is not None and published_rfx.reminded_24h_at is not None
    assert _run(deadline - 9 * HOUR, django_capture_on_commit_callbacks) == []


def test_no_reminder_after_the_deadline_or_to_a_declined_supplier(
    published_rfx, supplier_a_org, django_capture_on_commit_callbacks
):
    Invitation.objects.filter(rfx=published_rfx, supplier=supplier_a_org).update(
        status=Invitation.Status.DECLINED, decline_reason="Too busy."
    )
    mail.outbox.clear()
    deadline = published_rfx.proposal_deadline
    assert _run(deadline + HOUR, django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    _run(deadline - 5 * HOUR, django_capture_on_commit_callbacks)
    assert "bids@acme.test" not in _recipients("") and "bids@heron.test" in _recipients("")


def test_closing_tells_every_invited_supplier(published_rfx, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    moment = published_rfx.proposal_deadline + timedelta(minutes=1)
    with frozen(moment), django_capture_on_commit_callbacks(execute=True):
        tasks.close_due_rfx.delay()
    published_rfx.refresh_from_db()
    assert published_rfx.status == "closed"
    assert {"bids@acme.test", "bids@heron.test"} <= _recipients("has closed")
    message = next(m for m in mail.outbox if "has closed" in m.subject)
    assert "no more proposals or changes are accepted" in message.body


def test_the_beat_runs_the_reminders():
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "rfx.tasks.send_deadline_reminders" in entries
