"""Reading configuration from the environment.

Every setting the deployment may change comes through here, so the list in
`.env.example` and the README stays the whole truth.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env

env = Env()


def secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and k8s secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which cannot be read: {error}"
            ) from error
    return default
