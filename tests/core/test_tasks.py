"""core.tasks: e-mail through Django's backend, run eagerly with `.apply()` (in-process)."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from config.celery import app
from core.tasks import (
    MAX_RETRIES,
    is_transient,
    retry_countdown,
    send_notification_email,
    send_user_notification,
)
from tests.factories import UserFactory


class ScriptedBackend(EmailBackend):
    """The locmem backend, failing as scripted: each entry is an error to raise, or None to send."""

    script: list[Exception | None] = []
    attempts: list[list[str]] = []

    def send_messages(self, messages):
        ScriptedBackend.attempts.append([address for message in messages for address in message.to])
        outcome = ScriptedBackend.script.pop(0) if ScriptedBackend.script else None
        if outcome is not None:
            raise outcome
        return super().send_messages(messages)


class Stop(Exception):
    """Raised by a stand-in for `Task.retry`, to look at what the retry would have been."""


@pytest.fixture(autouse=True)
def retries_run_in_process(monkeypatch):
    """Let eager retries run as a worker runs them (with propagation, the first Retry escapes)."""
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


@pytest.fixture
def scripted_mail(settings):
    settings.EMAIL_BACKEND = "tests.core.test_tasks.ScriptedBackend"
    ScriptedBackend.script = []
    ScriptedBackend.attempts = []
    mail.outbox = []
    return ScriptedBackend


def send(subject="Clarification answered", body="The buyer answered your question.", recipients=()):
    return send_notification_email.apply(args=(subject, body, list(recipients))).get()


def test_it_sends_each_recipient_a_message_of_their_own(mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "procurement@example.org"

    result = send(recipients=["a@example.org", "b@example.org"])

    assert result == {"sent": ["a@example.org", "b@example.org"], "refused": {}}
    assert [(m.subject, m.body, m.from_email, m.to) for m in mailoutbox] == [
        (
            "Clarification answered",
            "The buyer answered your question.",
            "procurement@example.org",
            ["a@example.org"],
        ),
        (
            "Clarification answered",
            "The buyer answered your question.",
            "procurement@example.org",
            ["b@example.org"],
        ),
    ]


def test_it_drops_blank_and_repeated_addresses(mailoutbox):
    result = send(recipients=["a@example.org", " ", "", " a@example.org ", "b@example.org"])

    assert result["sent"] == ["a@example.org", "b@example.org"]
    assert len(mailoutbox) == 2


def test_no_recipients_sends_nothing(mailoutbox):
    assert send(recipients=[]) == {"sent": [], "refused": {}}
    assert mailoutbox == []


def test_a_dropped_connection_is_retried_for_the_recipients_not_yet_sent(scripted_mail):
    scripted_mail.script = [None, smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]

    result = send(recipients=["a@example.org", "b@example.org", "c@example.org"])

    assert scripted_mail.attempts == [
        ["a@example.org"],
        ["b@example.org"],
        ["b@example.org"],
        ["c@example.org"],
    ]
    assert [m.to for m in mail.outbox] == [["a@example.org"], ["b@example.org"], ["c@example.org"]]
    assert result == {
        "sent": ["b@example.org", "c@example.org"],
        "refused": {},
    }  # this attempt's work


def test_a_connection_refused_is_retried(scripted_mail):
    scripted_mail.script = [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
    ]

    send(recipients=["a@example.org"])

    assert len(scripted_mail.attempts) == 3
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


def test_a_permanent_failure_is_raised_at_once_without_retrying(scripted_mail):
    scripted_mail.script = [
        smtplib.SMTPAuthenticationError(535, b"Authentication credentials invalid")
    ]

    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(recipients=["a@example.org", "b@example.org"])

    assert scripted_mail.attempts == [["a@example.org"]]
    assert mail.outbox == []


def test_a_refused_recipient_is_reported_and_the_others_still_get_the_message(scripted_mail):
    scripted_mail.script = [
        smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"No such mailbox")})
    ]

    result = send(recipients=["a@example.org", "b@example.org"])

    assert result == {
        "sent": ["b@example.org"],
        "refused": {"a@example.org": "550 No such mailbox"},
    }
    assert [m.to for m in mail.outbox] == [["b@example.org"]]


def test_a_greylisted_recipient_is_retried(scripted_mail):
    scripted_mail.script = [
        smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"Greylisted, try later")})
    ]

    result = send(recipients=["a@example.org"])

    assert result == {"sent": ["a@example.org"], "refused": {}}
    assert len(scripted_mail.attempts) == 2


def test_it_gives_up_after_the_last_retry_with_the_original_error(scripted_mail):
    scripted_mail.script = [smtplib.SMTPServerDisconnected("gone")] * (MAX_RETRIES + 1)

    with pytest.raises(smtplib.SMTPServerDisconnected, match="gone"):
        send(recipients=["a@example.org"])

    assert len(scripted_mail.attempts) == MAX_RETRIES + 1
    assert mail.outbox == []


def test_a_retry_waits_longer_each_time(monkeypatch, scripted_mail):
    scripted_mail.script = [smtplib.SMTPServerDisconnected("gone")]
    calls = []

    def fake_retry(**kwargs):
        calls.append(kwargs)
        return Stop()

    monkeypatch.setattr(send_notification_email, "retry", fake_retry)

    with pytest.raises(Stop):
        send(subject="S", body="B", recipients=["a@example.org", "b@example.org"])

    assert calls[0]["countdown"] == 30
    assert calls[0]["args"] == ("S", "B", ["a@example.org", "b@example.org"])
    assert isinstance(calls[0]["exc"], smtplib.SMTPServerDisconnected)
    assert [retry_countdown(retries) for retries in range(7)] == [30, 60, 120, 240, 480, 600, 600]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPServerDisconnected("closed"), True),
        (smtplib.SMTPConnectError(421, b"Too busy"), True),
        (smtplib.SMTPDataError(451, b"Local error"), True),
        (smtplib.SMTPSenderRefused(553, b"Sender not allowed", "x@example.org"), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"unknown")}), False),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"later"), "b@x": (451, b"later")}), True),
        (smtplib.SMTPNotSupportedError("STARTTLS"), False),
        (ConnectionRefusedError(111, "refused"), True),
        (ConnectionResetError(104, "reset"), True),
        (TimeoutError("timed out"), True),
        (ValueError("bad header"), False),
    ],
)
def test_which_errors_are_worth_retrying(error, transient):
    assert is_transient(error) is transient


@pytest.mark.django_db
def test_a_user_notification_goes_to_the_users_address(mailoutbox):
    user = UserFactory(username="frank", email="frank@example.org")

    result = send_user_notification.apply(args=(user.pk, "Invitation", "You are invited.")).get()

    assert result == {"sent": ["frank@example.org"], "refused": {}}
    assert [(m.subject, m.to) for m in mailoutbox] == [("Invitation", ["frank@example.org"])]


@pytest.mark.django_db
def test_an_inactive_or_missing_user_or_one_without_an_address_gets_nothing(mailoutbox):
    inactive = UserFactory(username="gone", is_active=False)
    silent = UserFactory(username="silent", email="")

    for user_id in (inactive.pk, silent.pk, 987654):
        assert send_user_notification.apply(args=(user_id, "S", "B")).get() == {
            "sent": [],
            "refused": {},
        }
    assert mailoutbox == []


def test_the_worker_knows_the_tasks_by_their_module_names():
    app.loader.import_default_modules()

    assert {"core.tasks.send_notification_email", "core.tasks.send_user_notification"} <= set(
        app.tasks
    )
