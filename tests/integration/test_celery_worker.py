"""A real Celery worker (tests/integration/conftest.py), fed through Redis, using the test
PostgreSQL database, runs the e-mail tasks."""

from __future__ import annotations

import uuid

import pytest

from core.tasks import send_notification_email, send_user_notification
from tests.factories import UserFactory
from tests.integration.conftest import result_of

pytestmark = pytest.mark.services


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_an_email_through_the_configured_backend(worker):
    subject = f"Clarification answered {uuid.uuid4().hex[:8]}"

    result = result_of(
        worker, send_notification_email, subject, "The buyer answered.", ["supplier@example.org"]
    )

    with worker.output_on_failure():
        assert result == {"sent": ["supplier@example.org"], "refused": {}}
        written = worker.mail()
        assert subject in written, f"the e-mail files hold:\n{written}"
        assert "To: supplier@example.org" in written
        assert "The buyer answered." in written


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_what_the_test_wrote_to_the_test_database(worker):
    # The user exists only in the test database, committed by this transactional test.
    user = UserFactory(username="worker-reader", email=f"reader-{uuid.uuid4().hex[:8]}@example.org")

    result = result_of(
        worker, send_user_notification, user.pk, "You are invited", "Please answer the RFI."
    )

    with worker.output_on_failure():
        assert result == {"sent": [user.email], "refused": {}}
        assert f"To: {user.email}" in worker.mail()
