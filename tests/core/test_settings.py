"""Settings come from the environment (STYLE: one settings module, `.env.example` lists all).

Each test imports the settings in a fresh interpreter with a controlled
environment, because settings are read once per process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

BASE_DIR = settings.BASE_DIR

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name, None) for name in %r}, default=str))
"""

PRODUCTION = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "ALLOWED_HOSTS": "procurement.example.org",
}


def environment(**variables: str) -> dict[str, str]:
    """Only what a process needs to start, plus the variables under test: nothing leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **variables,
    }


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(*names: str, **variables: str) -> dict:
    completed = run(["-c", PRINT_SETTINGS % (names,)], **variables)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def random_key() -> str:
    return secrets.token_urlsafe(60)


def test_the_defaults_run_on_a_laptop_with_sqlite_eager_tasks_and_console_mail():
    values = read_settings(
        "DEBUG",
        "DATABASES",
        "REDIS_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "EMAIL_BACKEND",
        "MEDIA_ROOT",
        "ALLOWED_HOSTS",
        "CACHES",
        "STORAGES",
        "SECRET_KEY",
        DEBUG="1",
    )

    assert values["DEBUG"] is True
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert values["REDIS_URL"] == ""
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CELERY_BROKER_URL"].startswith("memory://")
    assert values["CELERY_RESULT_BACKEND"] is None
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["MEDIA_ROOT"] == str(BASE_DIR / "var" / "media")
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]", "testserver"]
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert values["SECRET_KEY"] == "dev-only-insecure-key-do-not-use-in-production"


def test_without_debug_and_without_a_secret_key_start_up_fails_with_a_clear_message():
    completed = run(["manage.py", "check"], DEBUG="0")

    assert completed.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Set SECRET_KEY (or "
        "SECRET_KEY_FILE) to a long random value, or set DEBUG=1 for local development."
    ) in completed.stderr


def test_debug_is_off_unless_asked_for():
    key = random_key()

    assert read_settings("DEBUG", "SECRET_KEY", SECRET_KEY=key) == {
        "DEBUG": False,
        "SECRET_KEY": key,
    }


def test_the_secret_key_is_read_from_the_file_named_by_secret_key_file(tmp_path):
    key = random_key()
    key_file = tmp_path / "django_secret_key"
    key_file.write_text(f"{key}\n", encoding="utf-8")

    assert read_settings("SECRET_KEY", DEBUG="0", SECRET_KEY_FILE=str(key_file)) == {
        "SECRET_KEY": key
    }


def test_a_secret_key_file_that_cannot_be_read_stops_start_up_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "key"

    completed = run(["manage.py", "check"], DEBUG="0", SECRET_KEY_FILE=str(missing))

    assert completed.returncode != 0
    assert f"SECRET_KEY_FILE points at {str(missing)!r}, which cannot be read" in completed.stderr


def test_database_url_is_parsed():
    values = read_settings(
        "DATABASES",
        DEBUG="1",
        DATABASE_URL="postgres://procurement:s3cret@db.internal:6543/procurement",
    )

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (
        database["NAME"],
        database["USER"],
        database["PASSWORD"],
        database["HOST"],
        database["PORT"],
    ) == (
        "procurement",
        "procurement",
        "s3cret",
        "db.internal",
        6543,
    )
    assert database["CONN_MAX_AGE"] == 60


def test_redis_url_turns_on_the_broker_the_result_backend_and_the_redis_cache():
    url = "redis://cache.internal:6380/2"

    values = read_settings(
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CELERY_TASK_ALWAYS_EAGER",
        "CACHES",
        DEBUG="1",
        REDIS_URL=url,
    )

    assert values["REDIS_URL"] == url
    assert values["CELERY_BROKER_URL"] == url
    assert values["CELERY_RESULT_BACKEND"] == url
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
    }


def test_an_smtp_email_url_is_parsed():
    values = read_settings(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "DEFAULT_FROM_EMAIL",
        DEBUG="1",
        EMAIL_URL="smtp://mailer:p4ss@mail.example.org:587/?tls=True",
        DEFAULT_FROM_EMAIL="procurement@example.org",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "p4ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "procurement@example.org",
    }


def test_a_file_email_url_keeps_an_absolute_path_absolute(tmp_path):
    values = read_settings(
        "EMAIL_BACKEND", "EMAIL_FILE_PATH", DEBUG="1", EMAIL_URL=f"file://{tmp_path}/mail"
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": f"{tmp_path}/mail",
    }


def test_an_email_url_with_an_unknown_scheme_stops_start_up_with_the_schemes_it_knows():
    completed = run(["manage.py", "check"], DEBUG="1", EMAIL_URL="carrier-pigeon://loft")

    assert completed.returncode != 0
    assert (
        "EMAIL_URL has an unknown scheme; use smtp://, smtps://, console://, file://"
        in completed.stderr
    )


def test_allowed_hosts_media_root_and_csrf_origins_are_read(tmp_path):
    values = read_settings(
        "ALLOWED_HOSTS",
        "MEDIA_ROOT",
        "CSRF_TRUSTED_ORIGINS",
        DEBUG="1",
        ALLOWED_HOSTS="procurement.example.org,admin.example.org",
        MEDIA_ROOT=str(tmp_path / "media"),
        CSRF_TRUSTED_ORIGINS="https://procurement.example.org",
    )

    assert values == {
        "ALLOWED_HOSTS": ["procurement.example.org", "admin.example.org"],
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CSRF_TRUSTED_ORIGINS": ["https://procurement.example.org"],
    }


def test_a_bucket_name_switches_uploads_to_s3_storage_with_its_settings():
    values = read_settings(
        "STORAGES",
        "AWS_STORAGE_BUCKET_NAME",
        "AWS_S3_ENDPOINT_URL",
        DEBUG="1",
        AWS_STORAGE_BUCKET_NAME="procurement",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
    )

    assert values["STORAGES"]["default"] == {"BACKEND": "storages.backends.s3.S3Storage"}
    assert values["AWS_STORAGE_BUCKET_NAME"] == "procurement"
    assert values["AWS_S3_ENDPOINT_URL"] == "https://s3.example.org"


def test_production_settings_are_secure_by_default_with_debug_off():
    values = read_settings(
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "STORAGES",
        SECRET_KEY=random_key(),
        **PRODUCTION,
    )

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert (
        values["STORAGES"]["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_the_deploy_check_is_clean_with_production_variables():
    completed = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=random_key(),
        **PRODUCTION,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "System check identified no issues" in completed.stdout


def test_the_deploy_check_fails_with_a_weak_secret_key():
    completed = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="short",
        **PRODUCTION,
    )

    assert completed.returncode != 0
    assert "security.W009" in completed.stderr


def variables_read_by_settings() -> set[str]:
    source = (BASE_DIR / "config" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""\benv\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    for name in re.findall(r"""\bsecret\(\s*["']([A-Z][A-Z0-9_]*)["']""", source):
        names |= {name, f"{name}_FILE"}
    return names


def variables_named_in_env_example() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_env_example_names_every_variable_the_settings_read():
    read = variables_read_by_settings()

    assert {
        "DEBUG",
        "SECRET_KEY",
        "SECRET_KEY_FILE",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
    } <= read
    assert sorted(read - variables_named_in_env_example()) == []


def test_env_example_names_no_variable_the_settings_ignore():
    assert sorted(variables_named_in_env_example() - variables_read_by_settings()) == []
