"""The project's route inventory: every named URL pattern, walked from the root resolver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # as `reverse` takes it, with its namespace: "admin:index"
    pattern: str  # the path, e.g. "api/v1/rfx/<int:rfx_id>/"
    callback: object

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, prefix + str(entry.pattern), entry.callback)


def all_routes() -> list[Route]:
    """Every named route of the project, in the order the resolver tries them."""
    return list(_walk(get_resolver().url_patterns))


def unnamed_routes() -> list[str]:
    """Patterns without a name: the matrix could not refer to them."""
    found = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif not entry.name:
                found.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns)
    return found
