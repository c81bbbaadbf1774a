"""/healthz (DESIGN §8): 200 with the database and broker status as JSON."""

from __future__ import annotations

import socket

import pytest
from django.db import connection

from tests.services import redis_url

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_without_a_broker_reports_eager_mode_and_a_working_database(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "vendor": connection.vendor},
        "broker": {
            "ok": True,
            "mode": "eager",
            "detail": "no broker configured; tasks run in-process",
        },
    }


def test_healthz_with_an_unreachable_broker_is_degraded_but_still_answers_200(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    error = body["broker"].pop("error")
    assert body == {
        "status": "degraded",
        "database": {"ok": True, "vendor": connection.vendor},
        "broker": {"ok": False, "mode": "redis"},
    }
    assert "refused" in error.lower() or "connect" in error.lower()


def test_healthz_needs_no_login_and_refuses_writes(client, settings):
    settings.REDIS_URL = ""

    assert client.post("/healthz").status_code == 405
    assert client.get("/healthz").status_code == 200


@pytest.mark.services
def test_healthz_reports_a_live_redis_broker(client, settings):
    settings.REDIS_URL = redis_url()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "vendor": connection.vendor},
        "broker": {"ok": True, "mode": "redis"},
    }
