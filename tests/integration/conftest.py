"""A real Celery worker for integration tests: a subprocess on a queue of its own,
fed through Redis, using the test PostgreSQL database. Its log is shown whenever
a test that uses it fails.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from kombu import Connection

from config.celery import app
from tests.services import redis_url, require_postgres, unavailable

START_TIMEOUT = 60
RESULT_TIMEOUT = 60
STOP_TIMEOUT = 30


@dataclass
class Worker:
    process: subprocess.Popen
    node: str
    queue: str
    log: Path
    mail_dir: Path
    # A connection of our own: the app's pooled one may have been made by a test that
    # pointed the broker elsewhere.
    broker: Connection

    def output(self) -> str:
        return (
            self.log.read_text(encoding="utf-8", errors="replace")
            if self.log.exists()
            else "(no output)"
        )

    def fail(self, reason: str) -> None:
        pytest.fail(f"{reason}\n--- worker {self.node} output ---\n{self.output()}", pytrace=False)

    @contextlib.contextmanager
    def output_on_failure(self) -> Iterator[None]:
        try:
            yield
        except AssertionError as error:
            self.fail(str(error))

    def mail(self) -> str:
        return "".join(path.read_text(encoding="utf-8") for path in sorted(self.mail_dir.glob("*")))


def worker_database_url() -> str:
    """The database pytest-django created for this run, as a URL the worker's settings can read."""
    config = connection.settings_dict
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = f"{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{config['NAME']}"


def wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            worker.fail(
                f"the worker exited with status {worker.process.returncode} before it was ready"
            )
        if app.control.ping(destination=[worker.node], timeout=1.0, connection=worker.broker):
            return
    worker.fail(f"the worker did not answer a ping within {START_TIMEOUT} s")


def stop(worker: Worker) -> None:
    worker.process.terminate()  # warm shutdown: finish the current task, then exit
    try:
        worker.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def worker(request, tmp_path_factory) -> Iterator[Worker]:
    broker = redis_url()
    require_postgres()
    if not app.conf.broker_url.startswith("redis"):
        unavailable(f"the Celery app is not configured for Redis (broker {app.conf.broker_url!r})")
    request.getfixturevalue(
        "django_db_setup"
    )  # the test database must exist before the worker connects

    directory = tmp_path_factory.mktemp("celery-worker")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    node = f"{queue}@pytest"
    mail_dir = directory / "mail"
    log = directory / "worker.log"
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key-not-for-production"),
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": broker,
        "EMAIL_URL": f"file://{mail_dir}",
        # The files the tests store, where the worker reads them.
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "HIDDEN_MEDIA_ROOT": str(request.getfixturevalue("_hidden_root")),
    }
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--queues",
        queue,
        "--hostname",
        node,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[2],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = Worker(
        process=process,
        node=node,
        queue=queue,
        log=log,
        mail_dir=mail_dir,
        broker=app.connection_for_write(url=broker),
    )
    try:
        wait_until_ready(running)
        yield running
    finally:
        stop(running)
        running.broker.release()
        # The queue was this module's alone: leave nothing of it in Redis.
        redis.Redis.from_url(broker).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


def result_of(worker: Worker, task, *args):
    """Send a task through Redis to the worker and wait for what it returns."""
    async_result = task.apply_async(args=args, queue=worker.queue, connection=worker.broker)
    try:
        return async_result.get(timeout=RESULT_TIMEOUT)
    except Exception as error:
        worker.fail(f"{task.name}{args!r} did not complete: {error!r}")
    finally:
        async_result.forget()
