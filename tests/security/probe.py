"""Sending one crafted request as one role, judging the answer, and seeing what it changed."""

from __future__ import annotations

import contextlib
import io
import logging
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.files import File
from django.db import connection, models, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.rfx.conftest import frozen
from tests.security.matrix import DENY, OK, REDIRECT, REFUSE, Check
from tests.security.world import ANONYMOUS, FORBIDDEN, Phase, World

# Every table a request could write to; sessions, content types and admin logs aside.
SNAPSHOT_APPS = ("accounts", "principles", "assessments", "rfx", "core", "authtoken")


# --- what a request changed -----------------------------------------------------------------------


def _column_probes(model: type[models.Model]) -> list[str]:
    """Aggregates that move when a row is added, removed or changed: the row count, the
    largest key, the latest of each time, and sums over every other column."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # Names from the models' own metadata, quoted: nothing here comes from a request.
    probes = [f"(SELECT COUNT(*) FROM {table})"]  # noqa: S608
    for column_field in model._meta.local_concrete_fields:
        column = quote(column_field.column)
        if isinstance(column_field, models.DateTimeField | models.DateField):
            expression = f"CAST(MAX({column}) AS TEXT)"
        elif isinstance(column_field, models.BooleanField):
            expression = f"SUM(CASE WHEN {column} THEN 1 ELSE 0 END)"
        elif isinstance(
            column_field,
            models.IntegerField | models.AutoField | models.FloatField | models.DecimalField,
        ) or (
            column_field.is_relation
            and column_field.target_field.get_internal_type() != "CharField"
        ):
            expression = f"SUM({column})"
        else:
            expression = f"SUM(LENGTH(CAST({column} AS TEXT)))"
        probes.append(f"(SELECT {expression} FROM {table})")  # noqa: S608
    return probes


def _snapshot_tables() -> dict[str, type[models.Model]]:
    """The tables a request must not change, by name."""
    return {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in SNAPSHOT_APPS and model._meta.managed and not model._meta.proxy
    }


_SNAPSHOT_SQL: dict[frozenset[str] | None, str] = {}


def _snapshot_sql(tables: frozenset[str] | None) -> str:
    if tables not in _SNAPSHOT_SQL:
        probes = []
        for table, model in sorted(_snapshot_tables().items()):
            if tables is None or table in tables:
                probes += _column_probes(model)
        _SNAPSHOT_SQL[tables] = "SELECT " + ", ".join(probes)
    return _SNAPSHOT_SQL[tables]


def writes() -> dict[str, int] | None:
    """How many rows this connection has written so far, rolled-back savepoints included, by
    table where the database can say (PostgreSQL) or under "*" for all tables (SQLite); None
    where it cannot say. Cheap, so a request that wrote nothing needs no snapshot, and one
    that wrote needs a snapshot of the tables it wrote only: a snapshot of every table grows
    slower with every request the world's long transaction has rolled back."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT total_changes()")
            return {"*": int(cursor.fetchone()[0])}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            )
            return {name: int(count) for name, count in cursor.fetchall()}
    return None


def written_tables(
    before: dict[str, int] | None, after: dict[str, int] | None
) -> frozenset[str] | None:
    """The watched tables written between two `writes()`: None for "maybe any of them"."""
    if before is None or after is None or "*" in after:
        return None if before != after else frozenset()
    watched = _snapshot_tables()
    return frozenset(
        name for name, count in after.items() if name in watched and count != before.get(name, 0)
    )


def snapshot(tables: frozenset[str] | None = None) -> tuple[Any, ...]:
    """The state of the given tables (all of them by default), in one query."""
    if tables is not None and not tables:
        return ()
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(tables))
        return tuple(cursor.fetchone())


def queued() -> int:
    """E-mails sent, and work left for after the commit (e-mails, scoring, rendering): the
    services queue their tasks with `transaction.on_commit`, which never fires in a test."""
    return len(getattr(mail, "outbox", [])) + len(connection.run_on_commit)


class ChangeWatch:
    """Tells whether a request changed the database or queued an e-mail or a task.

    Each request runs in a savepoint that is rolled back (`undone`), so the world before a
    request is the world after the rollback: the baseline of the tables a request wrote is
    taken then, once per watch and set of tables.
    """

    def __init__(self) -> None:
        self._baselines: dict[frozenset[str] | None, tuple[Any, ...]] = {}

    def start(self) -> tuple[dict[str, int] | None, int]:
        """Before the request, inside its savepoint."""
        return writes(), queued()

    def after_request(
        self, started: tuple[dict[str, int] | None, int]
    ) -> tuple[tuple[frozenset[str] | None, tuple[Any, ...]] | None, bool]:
        """After the request, still inside its savepoint: the tables it wrote and their
        snapshot, if it wrote any, and whether it queued anything."""
        written, work = started
        tables = written_tables(written, writes())
        after = None if tables is not None and not tables else (tables, snapshot(tables))
        return after, queued() != work

    def changes(
        self, after: tuple[frozenset[str] | None, tuple[Any, ...]] | None, queued_work: bool
    ) -> list[str]:
        """Once the savepoint is rolled back: what the request left behind."""
        found = ["queued an e-mail or a background job"] if queued_work else []
        if after is not None:
            tables, state = after
            if tables not in self._baselines:
                self._baselines[tables] = snapshot(tables)
            if state != self._baselines[tables]:
                found.append("changed " + (", ".join(sorted(tables)) if tables else "the database"))
        return found


# --- sending --------------------------------------------------------------------------------------


def url_of(check: Check, phase: Phase) -> str:
    return reverse(check.route, kwargs=check.kwargs(phase))


def request(
    world: World,
    role: str,
    method: str,
    url: str,
    data: dict | None = None,
    *,
    api: bool = False,
    clock: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """One request as `role` (its own session, no cookie left by an earlier request), with
    the server's clock at `clock` if given. API bodies go as JSON, page bodies and bodies
    carrying a file (an API upload takes multipart) as a form."""
    client: Client = world.clients[role]
    client.cookies.clear()
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    method = method.lower()
    with frozen(clock) if clock else contextlib.nullcontext():
        if method == "get":
            return client.get(url, headers=headers)
        if api and not any(isinstance(value, File) for value in (data or {}).values()):
            return getattr(client, method)(
                url, data or {}, content_type="application/json", headers=headers
            )
        return getattr(client, method)(url, data or {}, headers=headers)


def send(world: World, role: str, check: Check, phase: Phase) -> HttpResponse:
    """The check's crafted request as `role`, with the server's clock at the phase's moment."""
    return request(
        world,
        role,
        check.method,
        url_of(check, phase),
        check.body(phase) if check.body else None,
        api=check.is_api,
        clock=phase.clock,
    )


@contextlib.contextmanager
def quiet_request_log() -> Iterator[None]:
    """Every denial logs a warning ("Forbidden", "Not Found"); thousands of them only slow the
    matrix down. Errors are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def undone() -> Iterator[None]:
    """Whatever happens inside is rolled back: each role meets the world as it was built."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- judging --------------------------------------------------------------------------------------


def _to_login(response: HttpResponse) -> bool:
    return urlsplit(response.get("Location", "")).path == reverse("login")


def verdict(method: str, role: str, expected: str, response: HttpResponse) -> str:
    """'' when the response is what the table says; otherwise what went wrong.

    A read that is let through shows the page (2xx); a write may answer with a redirect.
    """
    status = response.status_code
    redirect = 300 <= status < 400
    if status >= 500:
        return f"server error {status}"
    if expected == OK:
        if (200 <= status < 300) or (redirect and method != "GET" and not _to_login(response)):
            return ""
    elif expected == REDIRECT:
        if redirect and not _to_login(response):
            return ""
    elif expected == REFUSE:
        if not (redirect and _to_login(response)):
            return ""
    elif expected == DENY:
        if role == ANONYMOUS:
            if status in (401, 403, 404) or (redirect and _to_login(response)):
                return ""
        elif status in (403, 404):
            return ""
    where = f" to {response['Location']}" if redirect else ""
    return f"expected {expected}, got {status}{where}"


def text_of(response: HttpResponse) -> str:
    """The body as a person would read it: XLSX cells unzipped, files read whole."""
    if getattr(response, "streaming", False):
        # The test client closes the response once its content is read, with the signal that
        # would close the database connection (and the world's transaction) switched off.
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body.startswith(b"PK"):
        with contextlib.suppress(zipfile.BadZipFile):
            archive = zipfile.ZipFile(io.BytesIO(body))
            return "\n".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    return body.decode("utf-8", "replace")


def leaks(role: str, text: str) -> list[str]:
    return [secret.label for secret in FORBIDDEN[role] if secret.found_in(text)]
