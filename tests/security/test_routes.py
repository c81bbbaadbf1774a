"""The route inventory against the matrix: no route without an entry, no entry without a route.

A branch that adds a page or an endpoint fails here until its matrix entry is written, and a
branch that removes one fails until its entry goes too.
"""

from __future__ import annotations

import sys
import types

from django.http import HttpResponse
from django.urls import include, path

from tests.security.matrix import EXCLUDED, GET, MATRIX, OK, Check, roles
from tests.security.routes import all_routes, unnamed_routes
from tests.security.world import WORLD

HOW_TO = (
    "add it to tests/security/matrix.py, one Check per method it answers to, with who may do "
    "what in each phase (a route that must stay out of the matrix goes in EXCLUDED there, "
    "with the reason)"
)


def _excluded(name: str) -> bool:
    return name in EXCLUDED or any(
        pattern.endswith(":*") and name.startswith(pattern[:-1]) for pattern in EXCLUDED
    )


def routes_without_an_entry(matrix: list[Check]) -> list[str]:
    covered = {check.route for check in matrix}
    return [
        f"{route.name} ({route.pattern})"
        for route in all_routes()
        if route.name not in covered and not _excluded(route.name)
    ]


def entries_without_a_route(matrix: list[Check]) -> list[str]:
    names = {route.name for route in all_routes()}
    gone = {check.route for check in matrix} - names
    gone |= {name for name in EXCLUDED if not name.endswith(":*") and name not in names}
    return sorted(gone)


def methods_without_an_entry(matrix: list[Check]) -> list[str]:
    """For class-based views (the API, the sign-in pages), whose methods can be read off the
    class: every method they implement needs its own entry. Function views state theirs with
    `require_http_methods`, which the matrix entries mirror."""
    tested = {(check.route, check.method) for check in matrix}
    missing = []
    for route in all_routes():
        view = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
        if view is None or _excluded(route.name):
            continue
        for method in view.http_method_names:
            if method in ("options", "head", "trace") or not hasattr(view, method):
                continue
            if (route.name, method.upper()) not in tested:
                missing.append(f"{method.upper()} {route.name} ({route.pattern})")
    return missing


def test_every_route_of_the_project_has_an_entry_in_the_matrix():
    missing = routes_without_an_entry(MATRIX)
    assert not missing, (
        "These routes have no entry in the permission matrix: "
        + HOW_TO
        + ".\n  "
        + "\n  ".join(missing)
    )


def test_every_method_of_an_api_view_has_an_entry_in_the_matrix():
    missing = methods_without_an_entry(MATRIX)
    assert not missing, (
        "These methods have no entry in the permission matrix: "
        + HOW_TO
        + ".\n  "
        + "\n  ".join(missing)
    )


def test_every_route_the_matrix_names_still_exists():
    gone = entries_without_a_route(MATRIX)
    assert not gone, (
        "tests/security/matrix.py names routes that no longer exist; remove or rename their "
        "entries: " + ", ".join(gone)
    )


def test_every_route_has_a_name_the_matrix_can_refer_to():
    unnamed = [pattern for pattern in unnamed_routes() if not pattern.startswith("admin/")]
    assert not unnamed, (
        "These URL patterns have no name, so the permission matrix cannot cover them; name "
        "them and add them to tests/security/matrix.py:\n  " + "\n  ".join(unnamed)
    )


# --- the inventory notices what other branches add or remove -------------------------------------


def test_a_route_added_without_an_entry_is_named(settings, monkeypatch):
    urls = types.ModuleType("tests.security.urls_with_a_new_route")
    urls.urlpatterns = [
        path("", include("config.urls")),
        path("rfx/<int:pk>/secret/", lambda request, pk: HttpResponse(), name="rfx-secret"),
    ]
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    settings.ROOT_URLCONF = urls.__name__
    assert "rfx-secret (rfx/<int:pk>/secret/)" in routes_without_an_entry(MATRIX)


def test_an_entry_whose_route_is_gone_is_named():
    gone = Check("rfx-retired", GET, {WORLD: roles(ok=("manager",))})
    assert gone.expected[WORLD]["manager"] == OK
    assert "rfx-retired" in entries_without_a_route([*MATRIX, gone])
