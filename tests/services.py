"""Finding the real services the integration tests need.

A test that needs PostgreSQL, Redis, a Celery worker or Chromium skips with
the reason when the service is absent, unless REQUIRE_SERVICES=1, where the
absence is a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        unavailable("PostgreSQL is not configured (set DATABASE_URL=postgres://...)")


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        unavailable("Redis is not configured (set REDIS_URL=redis://127.0.0.1:6379/0)")
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2
        ):
            pass
    except OSError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    return url


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM
