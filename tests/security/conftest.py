"""One world for the whole package: built once through the services, rolled back at the end.

The world lives in a transaction opened here and never committed; each test runs in a
savepoint inside it (pytest-django's `db`), and the matrix undoes each request in a savepoint
of its own, so every role meets the world exactly as it was built.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from tests.security.world import World, build_world


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory, _hidden_root) -> World:
    media = tmp_path_factory.mktemp("security-media")
    # Test passwords need no slow hashing (as tests/conftest.py's `_test_settings`).
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The competitions' hidden labels go where every test reads them (tests/conftest.py).
    storages = {
        **settings.STORAGES,
        "hidden": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(_hidden_root)},
        },
    }
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=hashers, STORAGES=storages),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)
