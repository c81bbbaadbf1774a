"""docker-compose.yml (DESIGN §8): web, worker, beat, PostgreSQL and Redis together."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from django.conf import settings

from tests.services import unavailable

COMPOSE_FILE = settings.BASE_DIR / "docker-compose.yml"


def compose(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        unavailable("the docker-compose binary is not installed (apt-get install docker-compose)")
    return subprocess.run(
        [binary, "--file", str(COMPOSE_FILE), *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def command_of(service: dict) -> str:
    command = service["command"]  # docker-compose v1 keeps a string, v2 splits it into a list
    return command if isinstance(command, str) else " ".join(command)


@pytest.mark.services
def test_docker_compose_accepts_the_file_in_a_clean_clone():
    # The secret file is not committed; the check must pass without it.
    completed = compose("config", "--quiet")

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


@pytest.mark.services
def test_docker_compose_resolves_the_shared_settings_for_every_service():
    completed = compose("config")
    assert completed.returncode == 0, completed.stderr
    services = yaml.safe_load(completed.stdout)["services"]

    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert (
            environment["DATABASE_URL"]
            == "postgres://procurement:procurement@postgres:5432/procurement"
        )
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY_FILE"] == "/run/secrets/django_secret_key"
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
    assert command_of(services["worker"]).startswith("celery -A config worker")
    assert command_of(services["beat"]).startswith("celery -A config beat")
    assert "load_framework --bundled" in command_of(services["web"])


def test_the_compose_file_names_only_variables_the_settings_read():
    from tests.core.test_settings import variables_read_by_settings

    app = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["x-app"]

    assert sorted(set(app["environment"]) - variables_read_by_settings()) == []
