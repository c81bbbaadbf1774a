"""Every page and endpoint × every role × the phases where access differs (matrix.py).

One test per route, method and phase; inside it each role sends the crafted request in a
savepoint that is rolled back, so the roles do not see each other's writes. A test fails
with every role whose answer contradicts the table, and every response that shows a role
something it must never read (world.FORBIDDEN).
"""

from __future__ import annotations

import pytest

from tests.security.matrix import DENY, REFUSE, Check, cases
from tests.security.probe import (
    ChangeWatch,
    leaks,
    quiet_request_log,
    send,
    text_of,
    undone,
    url_of,
    verdict,
)
from tests.security.world import ROLES, World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("check", "phase_name"),
    [pytest.param(check, phase, id=check.id(phase)) for check, phase in cases()],
)
def test_each_role_gets_what_the_matrix_says_and_reads_nothing_it_must_not(
    world: World, check: Check, phase_name: str
):
    phase = world.phase(phase_name)
    watch = ChangeWatch()
    problems = []
    for role in ROLES:
        expected = check.expected[phase_name][role]
        with undone(), quiet_request_log():
            started = watch.start()
            response = send(world, role, check, phase)
            after, queued_work = watch.after_request(started)
        problem = verdict(check.method, role, expected, response)
        if not problem and expected in (DENY, REFUSE):
            changes = watch.changes(after, queued_work)
            if changes:
                problem = f"{expected} as expected, but the request {' and '.join(changes)}"
        if problem:
            problems.append(f"{role}: {problem}")
        problems += [
            f"{role}: the response shows {label}" for label in leaks(role, text_of(response))
        ]
    assert not problems, (
        f"{check.method} {url_of(check, phase)} ({check.route}, phase {phase_name}):\n  "
        + "\n  ".join(problems)
    )
