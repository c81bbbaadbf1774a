"""Health of the parts the application needs: the database and the broker."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "down"; say which
        return {"ok": False, "vendor": connection.vendor, "error": str(error)[:200]}
    return {"ok": True, "vendor": connection.vendor}


def broker_status() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "eager", "detail": "no broker configured; tasks run in-process"}
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as error:  # connection refused, DNS, auth: all mean "down"
        return {"ok": False, "mode": "redis", "error": str(error)[:200]}
    return {"ok": True, "mode": "redis"}


def health() -> dict:
    database = database_status()
    broker = broker_status()
    return {
        "status": "ok" if database["ok"] and broker["ok"] else "degraded",
        "database": database,
        "broker": broker,
    }
