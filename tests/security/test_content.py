"""What the content checks of the matrix look for, and the rules they stand for.

The matrix searches every response for what its role must never read (world.FORBIDDEN). A
search that can never match proves nothing, so the first test shows each kind of secret
where it is allowed to appear, rendered as the pages and the API really render it. The
others pin the rules of DESIGN §6 in the exact shapes the API gives them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.probe import request, text_of
from tests.security.world import (
    A_NAME,
    CLOSED,
    DUE,
    LOCKED,
    MANAGER,
    PRICES,
    PRIVATE_FRAMEWORK_NAME,
    REVIEWER,
    SEALED,
    SELF,
    SELF_ANSWER,
    SUPPLIER_A,
    SUPPLIER_B,
    World,
    answer_text,
    licence_text,
    price_pattern,
    private_question,
    published_answer,
    published_question,
    service_text,
)

pytestmark = pytest.mark.django_db


def read(world: World, role: str, route: str, phase: str = SEALED, **kwargs) -> str:
    """The body of a GET as `role`, at the phase's moment; it must succeed."""
    response = request(
        world,
        role,
        "GET",
        reverse(route, kwargs=kwargs),
        api=route.startswith("api-"),
        clock=world.phase(phase).clock,
    )
    assert response.status_code == 200, (route, role, response.status_code)
    return text_of(response)


def rfx_pk(world: World, phase: str) -> dict:
    return {"pk": world.phase(phase).rfx.pk}


def rfx_id(world: World, phase: str) -> dict:
    return {"rfx_id": world.phase(phase).rfx.pk}


# (who may read it, the page or endpoint, its phase, kwargs, what must be found)
SHOWN_WHERE_ALLOWED = [
    pytest.param(
        SUPPLIER_A,
        "rfx-proposal",
        SEALED,
        rfx_pk,
        lambda: [licence_text("Acme", SEALED), service_text("Acme", SEALED)],
        [price_pattern(PRICES[SEALED][0])],
        id="A reads its own terms and price",
    ),
    pytest.param(
        MANAGER,
        "rfx-evaluation",
        CLOSED,
        rfx_pk,
        lambda: [licence_text("Acme", CLOSED), licence_text("Heron", CLOSED), A_NAME],
        [],
        id="the manager reads the terms once the RFx has closed",
    ),
    pytest.param(
        REVIEWER,
        "rfx-evaluation",
        LOCKED,
        rfx_pk,
        lambda: [service_text("Acme", LOCKED)],
        [price_pattern(PRICES[LOCKED][0]), price_pattern(PRICES[LOCKED][1])],
        id="the reviewer reads the prices once the technical scores are locked",
    ),
    pytest.param(
        MANAGER,
        "api-rfx-proposal-list",
        LOCKED,
        rfx_id,
        lambda: [licence_text("Acme", LOCKED)],
        [price_pattern(PRICES[LOCKED][0])],
        id="the API gives the prices after the lock",
    ),
    pytest.param(
        MANAGER,
        "rfx-export-csv",
        LOCKED,
        rfx_pk,
        lambda: [A_NAME],
        [price_pattern(PRICES[LOCKED][0])],
        id="the CSV export shows the prices after the lock",
    ),
    pytest.param(
        REVIEWER,
        "rfx-export-xlsx",
        LOCKED,
        rfx_pk,
        lambda: [A_NAME],
        [price_pattern(PRICES[LOCKED][1])],
        id="the XLSX export is read cell by cell",
    ),
    pytest.param(
        SUPPLIER_A,
        "rfx-supplier-detail",
        SEALED,
        rfx_pk,
        lambda: [private_question(SEALED), published_question(SEALED)],
        [],
        id="A reads its own questions",
    ),
    pytest.param(
        MANAGER,
        "rfx-clarifications",
        SEALED,
        rfx_pk,
        lambda: [private_question(SEALED), A_NAME],
        [],
        id="the manager reads every question and who asked",
    ),
    pytest.param(
        SUPPLIER_B,
        "rfx-supplier-detail",
        SEALED,
        rfx_pk,
        lambda: [published_question(SEALED), published_answer(SEALED)],
        [],
        id="B reads the published clarification",
    ),
    pytest.param(
        SUPPLIER_A,
        "api-answer-list",
        SEALED,
        lambda world, phase: {"assessment_id": world.phase(phase).assessment.pk},
        lambda: [answer_text("Acme", SEALED)],
        [],
        id="A reads its own answers",
    ),
    pytest.param(
        REVIEWER,
        "review-criterion",
        CLOSED,
        lambda world, phase: {"pk": world.phase(phase).assessment.pk, "code": "S"},
        lambda: [answer_text("Acme", CLOSED)],
        [],
        id="the reviewer reads A's answers once the RFx has closed",
    ),
    pytest.param(
        MANAGER,
        "assessment-criterion",
        SELF,
        lambda world, phase: {"pk": world.phase(phase).assessment.pk, "code": "S"},
        lambda: [SELF_ANSWER],
        [],
        id="the buyer reads the self-assessment shared with it",
    ),
    pytest.param(
        SUPPLIER_A,
        "assessment-criterion",
        SEALED,
        lambda world, phase: {"pk": world.phase(phase).assessment.pk, "code": "O"},
        lambda: ["Acme penetration test of the sealed RFx"],
        [],
        id="A reads its evidence",
    ),
    pytest.param(
        SUPPLIER_A,
        "framework-list",
        SEALED,
        lambda world, phase: {},
        lambda: [PRIVATE_FRAMEWORK_NAME],
        [],
        id="A reads its private framework",
    ),
]


@pytest.mark.parametrize(
    ("role", "route", "phase", "kwargs", "texts", "patterns"), SHOWN_WHERE_ALLOWED
)
def test_each_secret_the_matrix_looks_for_shows_where_it_is_allowed(
    world, role, route, phase, kwargs, texts, patterns
):
    body = read(world, role, route, phase, **kwargs(world, phase))
    for text in texts():
        assert text in body
    for pattern in patterns:
        assert pattern.search(body), pattern.pattern


def test_supplier_b_reads_a_published_clarification_without_who_asked(world):
    rows = {
        row["question"]: row
        for row in request(
            world,
            SUPPLIER_B,
            "GET",
            reverse("api-rfx-clarification-list", kwargs=rfx_id(world, SEALED)),
            api=True,
        ).json()
    }
    assert set(rows) == {published_question(SEALED)}
    published = rows[published_question(SEALED)]
    assert (published["supplier"], published["asked_by"], published["mine"]) == (None, None, False)
    assert published["answer"] == published_answer(SEALED)


def test_the_manager_reads_who_asked_and_supplier_a_reads_its_own_questions_as_its_own(world):
    url = reverse("api-rfx-clarification-list", kwargs=rfx_id(world, SEALED))
    for row in request(world, MANAGER, "GET", url, api=True).json():
        assert (row["supplier"]["slug"], row["asked_by"]) == ("acme-analytics", "charlie")
    mine = {
        row["question"]: row["mine"]
        for row in request(world, SUPPLIER_A, "GET", url, api=True).json()
    }
    assert mine == {published_question(SEALED): True, private_question(SEALED): True}


@pytest.mark.parametrize("phase", [SEALED, DUE])
def test_before_closing_the_buyer_learns_who_submitted_and_when_and_nothing_else(world, phase):
    url = reverse("api-rfx-submission-list", kwargs=rfx_id(world, phase))
    for role in (MANAGER, REVIEWER):
        rows = request(world, role, "GET", url, api=True, clock=world.phase(phase).clock).json()
        assert [sorted(row) for row in rows] == [["submitted_at", "supplier"]] * 2
        assert sorted(row["supplier"] for row in rows) == [A_NAME, "Blue Heron AI"]


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


@pytest.mark.parametrize("role", [MANAGER, REVIEWER])
def test_before_the_lock_no_price_or_cost_field_reaches_the_evaluation_team(world, role):
    for route in ("api-rfx-proposal-list", "api-rfx-ranking"):
        body = request(
            world, role, "GET", reverse(route, kwargs=rfx_id(world, CLOSED)), api=True
        ).json()
        priced = {
            key for key in _keys(body) if "price" in key or "currency" in key or key == "cost"
        }
        assert priced <= {"price_visible"}, (route, priced)
