"""The RFx API (/api/v1/rfx/): who may do what, sealed proposals, the price envelope, ranking.

Roles, as in every RFx test: alice (procurement manager of Northwind Rail), bob (reviewer
of the buyer, on the RFx's evaluation team, no conflict declared), frank (reviewer of the
buyer, not on the team), charlie (supplier A, Acme Analytics), dana (supplier B, Blue Heron
AI), eve (no organisation) and an anonymous caller.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from assessments.models import AssessmentVersion
from rfx import services
from rfx.models import (
    Award,
    Clarification,
    Invitation,
    Proposal,
    ProposalVersion,
    RFx,
    RFxReviewer,
    Section,
    TermsScore,
)
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.conftest import DAY, frozen, submit_proposal

pytestmark = pytest.mark.django_db

API = "/api/v1/rfx/"
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}
NO_PROPOSAL = "Your organisation has not started a proposal for this RFx."
ROLES = ["buyer", "bob", "frank", "supplier_a", "supplier_b", "outsider", "anonymous"]
LICENCE = "Perpetual licence to the models."
SERVICE = "Support in working hours."


def ts(value) -> str | None:
    """A datetime as DRF writes it."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def client_for(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """Scoring and e-mail run in the test's process even when REDIS_URL names a broker."""
    from config.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def bob(reviewer):
    return reviewer


@pytest.fixture
def frank(buyer_org):
    """A reviewer of the buyer who is not on this RFx's evaluation team."""
    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def people(buyer, bob, frank, supplier_a, supplier_b, outsider) -> dict:
    return {
        "buyer": buyer,
        "bob": bob,
        "frank": frank,
        "supplier_a": supplier_a,
        "supplier_b": supplier_b,
        "outsider": outsider,
        "anonymous": None,
    }


def _team(rfx: RFx, buyer, bob) -> None:
    member = services.rfx_reviewer_assign(rfx=rfx, reviewer=bob, user=buyer, is_lead=True)
    services.rfx_reviewer_declare_no_conflict(member=member, user=bob)


def _score_terms(rfx: RFx, bob, scores: dict[Proposal, int]) -> None:
    for proposal, score in scores.items():
        services.terms_score_set(proposal=proposal, reviewer=bob, score=score)


# --- the states the matrix runs in -----------------------------------------------------------


@pytest.fixture
def draft_state(draft_rfx, buyer, bob, frank) -> dict:
    _team(draft_rfx, buyer, bob)
    return {"rfx": draft_rfx}


@pytest.fixture
def published_state(published_rfx, proposal_a, buyer, bob, frank, supplier_a) -> dict:
    """Supplier A has submitted and asked a question; B has not started; bob is on the team."""
    _team(published_rfx, buyer, bob)
    clarification = services.clarification_ask(
        rfx=published_rfx, user=supplier_a, question="May we host the models ourselves?"
    )
    return {"rfx": published_rfx, "proposal": proposal_a, "clarification": clarification}


@pytest.fixture
def closed_state(closed_rfx, proposal_a, frank) -> dict:
    return {"rfx": closed_rfx, "proposal": proposal_a}


@pytest.fixture
def undeclared_state(published_rfx, proposal_a, buyer, bob, frank) -> dict:
    """Closed, with bob on the team but not yet declared free of conflicts."""
    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=bob, user=buyer)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    published_rfx.refresh_from_db()
    return {"rfx": published_rfx, "proposal": proposal_a}


@pytest.fixture
def locked_state(closed_rfx, proposal_a, proposal_b, buyer, reviewer, frank) -> dict:
    _score_terms(closed_rfx, reviewer, {proposal_a: 3, proposal_b: 1})
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    return {"rfx": closed_rfx, "proposal": proposal_a}


@pytest.fixture
def evaluated_state(locked_state, buyer) -> dict:
    services.rfx_mark_evaluated(rfx=locked_state["rfx"], user=buyer)
    return locked_state


@pytest.fixture
def invitation_token(published_rfx, supplier_a_org, buyer) -> str:
    """A fresh one-time link for supplier A's invitation, which is back to pending."""
    invitation = Invitation.objects.get(rfx=published_rfx, supplier=supplier_a_org)
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.PENDING, terms_accepted_at=None
    )
    return services.invitation_send(invitation=invitation, user=buyer)


def snapshot(rfx: RFx) -> dict:
    """Everything an endpoint could change."""
    rfx.refresh_from_db()
    return {
        "rfx": RFx.objects.filter(pk=rfx.pk).values().get(),
        "sections": list(Section.objects.filter(rfx=rfx).values("key", "title", "body")),
        "addenda": rfx.addenda.count(),
        "invitations": list(
            Invitation.objects.filter(rfx=rfx).values(
                "supplier_id", "status", "token_used_at", "decline_reason"
            )
        ),
        "clarifications": list(
            Clarification.objects.filter(rfx=rfx).values("question", "answer", "visibility")
        ),
        "proposals": list(
            Proposal.objects.filter(rfx=rfx).values(
                "supplier_id", "licence_terms", "service_terms", "price_amount", "submitted_at"
            )
        ),
        "versions": ProposalVersion.objects.filter(proposal__rfx=rfx).count(),
        "terms_scores": list(TermsScore.objects.filter(proposal__rfx=rfx).values("score")),
        "awards": Award.objects.filter(rfx=rfx).count(),
    }


# --- the permission matrix -----------------------------------------------------------------------

#          buyer, bob, frank, supplier A, supplier B, outsider, anonymous
# frank, a reviewer of the buyer on no evaluation team, sees none of its RFx: 404 throughout.
MATRIX = [
    ("draft", "get", "{rfx}/", None, (200, 200, 404, 404, 404, 404, 403)),
    ("draft", "patch", "{rfx}/", {"title": "Renamed"}, (200, 403, 404, 404, 404, 404, 403)),
    ("draft", "post", "{rfx}/publish/", {}, (200, 403, 404, 404, 404, 404, 403)),
    (
        "draft",
        "post",
        "{rfx}/cancel/",
        {"reason": "Budget cut."},
        (200, 403, 404, 404, 404, 404, 403),
    ),
    ("draft", "get", "{rfx}/sections/datasets/", None, (200, 200, 404, 404, 404, 404, 403)),
    (
        "draft",
        "put",
        "{rfx}/sections/datasets/",
        {"body": "<p>Five years of sensor data.</p>"},
        (200, 403, 404, 404, 404, 404, 403),
    ),
    ("draft", "get", "{rfx}/invitations/", None, (200, 403, 404, 404, 404, 404, 403)),
    (
        "draft",
        "post",
        "{rfx}/invitations/",
        {"supplier": "blue-heron-ai", "email": "bids@heron.test"},
        (201, 403, 404, 404, 404, 404, 403),
    ),
    ("published", "get", "{rfx}/", None, (200, 200, 404, 200, 200, 404, 403)),
    (
        "published",
        "patch",
        "{rfx}/",
        {"weight_terms": 15, "summary": "More weight on terms."},
        (200, 403, 404, 403, 403, 404, 403),
    ),
    ("published", "get", "{rfx}/sections/datasets/", None, (200, 200, 404, 200, 200, 404, 403)),
    (
        "published",
        "put",
        "{rfx}/sections/datasets/",
        {"body": "<p>Six years.</p>", "summary": "More data."},
        (200, 403, 404, 403, 403, 404, 403),
    ),
    (
        "published",
        "post",
        "{rfx}/cancel/",
        {"reason": "Budget cut."},
        (200, 403, 404, 403, 403, 404, 403),
    ),
    ("published", "get", "{rfx}/invitations/", None, (200, 403, 404, 403, 403, 404, 403)),
    ("published", "get", "{rfx}/clarifications/", None, (200, 200, 404, 200, 200, 404, 403)),
    (
        "published",
        "post",
        "{rfx}/clarifications/",
        {"question": "Is on-premises hosting required?"},
        (403, 403, 404, 201, 201, 404, 403),
    ),
    (
        "published",
        "post",
        "{rfx}/clarifications/{clarification}/answer/",
        {"answer": "Either is fine.", "publish": True},
        (200, 403, 404, 403, 403, 404, 403),
    ),
    ("published", "get", "{rfx}/submissions/", None, (200, 200, 404, 403, 403, 404, 403)),
    ("published", "get", "{rfx}/proposal/", None, (404, 404, 404, 200, 404, 404, 403)),
    ("published", "post", "{rfx}/proposal/", None, (403, 403, 404, 201, 201, 404, 403)),
    (
        "published",
        "patch",
        "{rfx}/proposal/",
        {"licence_terms": "Ours to keep."},
        (404, 404, 404, 200, 404, 404, 403),
    ),
    ("published", "post", "{rfx}/proposal/submit/", None, (404, 404, 404, 201, 404, 404, 403)),
    ("published", "get", "{rfx}/proposals/", None, (403, 403, 404, 403, 403, 404, 403)),
    ("published", "get", "{rfx}/ranking/", None, (403, 403, 404, 403, 403, 404, 403)),
    (
        "published",
        "post",
        "{rfx}/terms-scores/{proposal}/",
        {"score": 2},
        (404, 404, 404, 403, 404, 404, 403),
    ),
    ("closed", "get", "{rfx}/submissions/", None, (200, 200, 404, 403, 403, 404, 403)),
    ("closed", "get", "{rfx}/proposals/", None, (200, 200, 404, 403, 403, 404, 403)),
    ("closed", "get", "{rfx}/ranking/", None, (200, 200, 404, 403, 403, 404, 403)),
    (
        "closed",
        "post",
        "{rfx}/terms-scores/{proposal}/",
        {"score": 2},
        (403, 200, 404, 403, 404, 404, 403),
    ),
    ("undeclared", "post", "{rfx}/declaration/", None, (403, 200, 404, 403, 403, 404, 403)),
    ("undeclared", "get", "{rfx}/proposals/", None, (200, 403, 404, 403, 403, 404, 403)),
    ("undeclared", "get", "{rfx}/ranking/", None, (200, 403, 404, 403, 403, 404, 403)),
    ("closed", "post", "{rfx}/lock/", None, (200, 403, 404, 403, 403, 404, 403)),
    ("locked", "post", "{rfx}/evaluated/", None, (200, 403, 404, 403, 403, 404, 403)),
    ("locked", "get", "{rfx}/ranking/", None, (200, 200, 404, 403, 403, 404, 403)),
    (
        "evaluated",
        "post",
        "{rfx}/award/",
        {"proposal": "{proposal}", "justification": "Best value for money."},
        (201, 403, 404, 403, 403, 404, 403),
    ),
]
MATRIX_CASES = [
    pytest.param(state, method, path, body, role, expected[i], id=f"{state}-{method}-{path}-{role}")
    for state, method, path, body, expected in MATRIX
    for i, role in enumerate(ROLES)
]


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("state", "method", "path", "body", "role", "expected"), MATRIX_CASES)
def test_the_permission_matrix_of_every_rfx_endpoint(
    request, people, state, method, path, body, role, expected, django_capture_on_commit_callbacks
):
    world = request.getfixturevalue(f"{state}_state")
    rfx = world["rfx"]
    ids = {
        "rfx": rfx.pk,
        "proposal": world["proposal"].pk if "proposal" in world else 0,
        "clarification": world["clarification"].pk if "clarification" in world else 0,
    }
    before = snapshot(rfx)
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client_for(people[role]), method)(
            API + path.format(**ids), _fill(body, ids), format="json"
        )
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json()["detail"] in {NOT_FOUND["detail"], NO_PROPOSAL}
    elif role == "anonymous":
        assert response.json() == NOT_SIGNED_IN
    if expected >= 400:
        assert snapshot(rfx) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("invitations/accept/", {"accept_terms": True}),
        ("invitations/decline/", {"reason": "Busy."}),
    ],
)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("buyer", 400),
        ("bob", 400),
        ("frank", 400),
        ("supplier_a", 200),
        ("supplier_b", 400),
        ("outsider", 400),
        ("anonymous", 403),
    ],
)
def test_only_a_member_of_the_invited_supplier_can_answer_with_its_link(
    people, published_rfx, invitation_token, path, body, role, expected
):
    """The token names the invitation; anyone else is told the link is not theirs to use."""
    before = snapshot(published_rfx)
    response = client_for(people[role]).post(
        API + path, {"token": invitation_token, **body}, format="json"
    )
    assert response.status_code == expected
    if role == "anonymous":
        assert response.json() == NOT_SIGNED_IN
    elif expected == 400:
        assert response.json() == {"detail": "Only a member of the invited supplier can do this."}
        assert snapshot(published_rfx) == before


# --- the RFx ---------------------------------------------------------------------------------


def _expected_detail(rfx: RFx) -> dict:
    rfx.refresh_from_db()
    return {
        "id": rfx.pk,
        "kind": "rfp",
        "title": rfx.title,
        "status": rfx.status,
        "buyer": {"slug": "northwind-rail", "name": "Northwind Rail"},
        "clarification_deadline": ts(rfx.clarification_deadline),
        "proposal_deadline": ts(rfx.proposal_deadline),
        "updated_at": ts(rfx.updated_at),
        "cancel_reason": rfx.cancel_reason,
        "framework": {"slug": "ml-maturity-model", "version": "1.0", "name": rfx.framework.name},
        "extra_framework": None,
        "weight_maturity": 40.0,
        "weight_extra": 20.0,
        "weight_terms": rfx.weight_terms,
        "weight_cost": 30.0,
        "has_competition": False,
        "disqualify_on_critical_red_flags": False,
        "blind_grading": False,
        "issue_date": ts(rfx.issue_date),
        "shortlist_date": ts(rfx.shortlist_date),
        "contract_drafting_date": ts(rfx.contract_drafting_date),
        "published_at": ts(rfx.published_at),
        "closed_at": ts(rfx.closed_at),
        "technical_scores_locked_at": ts(rfx.technical_scores_locked_at),
        "created_at": ts(rfx.created_at),
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "guidance": section.guidance,
                "body": section.body,
                "order": section.order,
                "updated_at": ts(section.updated_at),
            }
            for section in Section.objects.filter(rfx=rfx).order_by("order")
        ],
        "addenda": [
            {
                "number": addendum.number,
                "summary": addendum.summary,
                "deadline_before": ts(addendum.deadline_before),
                "deadline_after": ts(addendum.deadline_after),
                "created_at": ts(addendum.created_at),
            }
            for addendum in rfx.addenda.order_by("number")
        ],
    }


def test_the_detail_of_a_draft_is_its_settings_timeline_and_sections(draft_rfx, buyer):
    response = client_for(buyer).get(f"{API}{draft_rfx.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body == _expected_detail(draft_rfx)
    assert body["status"] == "draft"
    assert body["issue_date"] is None
    assert len(body["sections"]) > 10
    assert body["sections"][0]["key"] == "company-overview"


def test_the_detail_lists_addenda_after_a_published_change(published_rfx, buyer, supplier_a):
    response = client_for(buyer).patch(
        f"{API}{published_rfx.pk}/",
        {"weight_terms": 15, "summary": "More weight on terms."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == _expected_detail(published_rfx)
    assert response.json()["addenda"][0]["summary"] == "More weight on terms."
    assert response.json()["weight_terms"] == 15.0
    assert client_for(supplier_a).get(f"{API}{published_rfx.pk}/").json() == _expected_detail(
        published_rfx
    )


def test_a_procurement_manager_creates_an_rfx_from_the_template(buyer, framework):
    response = client_for(buyer).post(
        API,
        {"title": "  Demand   forecasting ", "framework": "ml-maturity-model"},
        format="json",
    )
    assert response.status_code == 201
    rfx = RFx.objects.get()
    assert response.json() == _expected_detail(rfx)
    assert rfx.title == "Demand forecasting"
    assert rfx.framework == framework
    assert rfx.status == RFx.Status.DRAFT
    assert rfx.sections.count() == len(response.json()["sections"]) > 10


def test_creating_an_rfi_sets_no_weights(buyer, bundled):
    response = client_for(buyer).post(API, {"title": "Market survey", "kind": "rfi"}, format="json")
    assert response.status_code == 201
    rfx = RFx.objects.get()
    assert (rfx.kind, rfx.weights) == (
        "rfi",
        {"maturity": 0, "extra": 0, "terms": 0, "cost": 0},
    )


@pytest.mark.parametrize("role", ["bob", "supplier_a", "outsider"])
def test_only_a_procurement_manager_can_create_an_rfx(people, bundled, role):
    response = client_for(people[role]).post(API, {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only a procurement manager of a buyer organisation can create an RFx."
    }
    assert not RFx.objects.exists()


def test_creating_an_rfx_anonymously_is_refused(bundled):
    response = client_for(None).post(API, {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert not RFx.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"title": ["This field is required."]}),
        (
            {"title": "X", "framework": "no-such-model"},
            {"framework": ["There is no framework no-such-model that you can use."]},
        ),
        ({"title": "X", "kind": "rfq"}, {"kind": ['"rfq" is not a valid choice.']}),
    ],
)
def test_creating_with_bad_input_is_a_400_naming_the_field(buyer, bundled, body, errors):
    response = client_for(buyer).post(API, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not RFx.objects.exists()


def test_updating_settings_with_bad_values_is_a_400_per_field_and_nothing_is_stored(
    draft_rfx, buyer
):
    before = snapshot(draft_rfx)
    response = client_for(buyer).patch(
        f"{API}{draft_rfx.pk}/",
        {
            "weight_maturity": 0,
            "weight_extra": 0,
            "weight_terms": 0,
            "weight_cost": 0,
            "shortlist_date": (draft_rfx.proposal_deadline - DAY).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "weight_maturity": ["Give at least one weight above zero, or proposals cannot be ranked."],
        "shortlist_date": [
            "The short-list date cannot be before the proposal deadline "
            f"({services._when(draft_rfx.proposal_deadline)})."
        ],
    }
    assert snapshot(draft_rfx) == before


def test_updating_settings_stores_them(draft_rfx, buyer):
    response = client_for(buyer).patch(
        f"{API}{draft_rfx.pk}/",
        {"weight_cost": 50, "blind_grading": True, "title": "Predictive maintenance 2027"},
        format="json",
    )
    assert response.status_code == 200
    draft_rfx.refresh_from_db()
    assert (draft_rfx.weight_cost, draft_rfx.blind_grading, draft_rfx.title) == (
        50,
        True,
        "Predictive maintenance 2027",
    )
    assert response.json()["weight_cost"] == 50.0


def test_publishing_without_a_deadline_names_the_missing_fields(buyer, bundled, buyer_org):
    rfx = services.rfx_create(buyer=buyer_org, user=buyer, title="Half-made")
    response = client_for(buyer).post(f"{API}{rfx.pk}/publish/", format="json")
    assert response.status_code == 400
    assert response.json() == {
        "clarification_deadline": [
            "Set the deadline for clarification questions before publishing."
        ],
        "proposal_deadline": ["Set the proposal deadline before publishing."],
        "framework": ["Choose the maturity framework version suppliers answer before publishing."],
    }
    rfx.refresh_from_db()
    assert rfx.status == RFx.Status.DRAFT


def test_publishing_sends_the_invitations(
    draft_rfx, buyer, supplier_a_org, mailoutbox, django_capture_on_commit_callbacks
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post(f"{API}{draft_rfx.pk}/publish/", format="json")
    assert response.status_code == 200
    assert response.json() == _expected_detail(draft_rfx)
    assert response.json()["status"] == "published"
    assert Invitation.objects.get().token_hash
    assert [message.to for message in mailoutbox] == [["bids@acme.test"]]


def test_cancelling_keeps_the_reason(published_rfx, buyer):
    response = client_for(buyer).post(
        f"{API}{published_rfx.pk}/cancel/", {"reason": "  The budget was cut. "}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    published_rfx.refresh_from_db()
    assert (published_rfx.status, published_rfx.cancel_reason) == (
        "cancelled",
        "The budget was cut.",
    )


def test_cancelling_without_a_reason_is_a_400(published_rfx, buyer):
    response = client_for(buyer).post(
        f"{API}{published_rfx.pk}/cancel/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Say why the RFx is cancelled: the invited suppliers are told."
    }
    published_rfx.refresh_from_db()
    assert published_rfx.status == "published"


def test_a_section_is_read_and_its_text_sanitised_on_save(draft_rfx, buyer):
    url = f"{API}{draft_rfx.pk}/sections/datasets/"
    response = client_for(buyer).put(
        url,
        {"body": '<p onclick="steal()">Five years of data.</p><script>alert(1)</script>'},
        format="json",
    )
    assert response.status_code == 200
    section = Section.objects.get(rfx=draft_rfx, key="datasets")
    assert section.body == "<p>Five years of data.</p>"
    expected = {
        "key": "datasets",
        "title": section.title,
        "guidance": section.guidance,
        "body": "<p>Five years of data.</p>",
        "order": section.order,
        "updated_at": ts(section.updated_at),
    }
    assert response.json() == expected
    assert client_for(buyer).get(url).json() == expected


def test_an_unknown_section_is_404(draft_rfx, buyer):
    response = client_for(buyer).get(f"{API}{draft_rfx.pk}/sections/no-such-section/")
    assert response.status_code == 404


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_each_person_only_the_rfx_they_may_see(
    people, published_rfx, buyer, buyer_org
):
    hidden_draft = services.rfx_create(buyer=buyer_org, user=buyer, title="Not yet out")
    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=people["bob"], user=buyer)
    seen = {
        role: [row["id"] for row in client_for(user).get(API).json()["results"]]
        for role, user in people.items()
        if user is not None
    }
    assert seen == {
        "buyer": [hidden_draft.pk, published_rfx.pk],
        "bob": [published_rfx.pk],  # only the RFx whose evaluation team he is on
        "frank": [],  # a reviewer on no evaluation team
        "supplier_a": [published_rfx.pk],
        "supplier_b": [published_rfx.pk],
        "outsider": [],
    }
    published_rfx.refresh_from_db()
    assert client_for(people["supplier_a"]).get(API).json()["results"] == [
        {
            "id": published_rfx.pk,
            "kind": "rfp",
            "title": "Predictive maintenance",
            "status": "published",
            "buyer": {"slug": "northwind-rail", "name": "Northwind Rail"},
            "clarification_deadline": ts(published_rfx.clarification_deadline),
            "proposal_deadline": ts(published_rfx.proposal_deadline),
            "updated_at": ts(published_rfx.updated_at),
        }
    ]
    assert client_for(None).get(API).status_code == 403


def test_a_reviewer_sees_an_rfx_only_once_on_its_evaluation_team(
    client, published_rfx, buyer, frank
):
    """The list, the page and the API agree: the team place opens the RFx, not the role."""
    detail = f"{API}{published_rfx.pk}/"
    page = reverse("rfx-detail", args=[published_rfx.pk])
    client.force_login(frank)
    assert client_for(frank).get(API).json()["results"] == []
    assert client_for(frank).get(detail).status_code == 404
    assert client.get(page).status_code == 404
    assert published_rfx.title not in client.get(reverse("rfx-list")).content.decode()

    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=frank, user=buyer)
    assert [row["id"] for row in client_for(frank).get(API).json()["results"]] == [published_rfx.pk]
    assert client_for(frank).get(detail).status_code == 200
    assert client.get(page).status_code == 200
    assert published_rfx.title in client.get(reverse("rfx-list")).content.decode()


# session, user, count, page
LIST_QUERIES = 4


def test_the_list_query_count_does_not_grow_with_rfx(
    draft_rfx, buyer, buyer_org, django_assert_num_queries
):
    client = client_for(buyer)
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(API).json()["results"]) == 1
    for number in range(4):
        services.rfx_create(buyer=buyer_org, user=buyer, title=f"Another {number}")
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(API).json()["results"]) == 5


# --- invitations --------------------------------------------------------------------------------


def test_the_buyer_invites_a_supplier_and_lists_the_invitations(
    draft_rfx, buyer, supplier_a_org, django_assert_num_queries
):
    response = client_for(buyer).post(
        f"{API}{draft_rfx.pk}/invitations/",
        {"supplier": "acme-analytics", "email": "bids@acme.test"},
        format="json",
    )
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    expected = {
        "id": invitation.pk,
        "rfx": draft_rfx.pk,
        "supplier": {"slug": "acme-analytics", "name": "Acme Analytics"},
        "email": "bids@acme.test",
        "status": "pending",
        "decline_reason": "",
        "token_sent_at": None,
        "terms_accepted_at": None,
        "responded_at": None,
        "created_at": ts(invitation.created_at),
    }
    assert response.json() == expected
    assert not {"token", "token_hash"} & set(response.json())
    assert client_for(buyer).get(f"{API}{draft_rfx.pk}/invitations/").json() == [expected]


def test_inviting_an_unknown_supplier_is_a_400(draft_rfx, buyer):
    response = client_for(buyer).post(
        f"{API}{draft_rfx.pk}/invitations/",
        {"supplier": "nobody", "email": "x@example.test"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"supplier": ["There is no supplier organisation nobody."]}
    assert not Invitation.objects.exists()


# rfx (with its membership check: session, user, rfx, roles), invitations
INVITATION_QUERIES = 5


def test_the_invitation_list_query_count_does_not_grow_with_invitations(
    draft_rfx, buyer, django_assert_num_queries
):
    client = client_for(buyer)
    url = f"{API}{draft_rfx.pk}/invitations/"
    with django_assert_num_queries(INVITATION_QUERIES):
        assert client.get(url).json() == []
    for number in range(5):
        org = OrganisationFactory(slug=f"vendor-{number}", kind=Organisation.Kind.SUPPLIER)
        services.invitation_create(
            rfx=draft_rfx, supplier=org, email=f"v{number}@vendor.test", user=buyer
        )
    with django_assert_num_queries(INVITATION_QUERIES):
        assert len(client.get(url).json()) == 5


def test_accepting_with_the_link_records_the_terms_and_uses_the_link(
    published_rfx, invitation_token, supplier_a
):
    response = client_for(supplier_a).post(
        API + "invitations/accept/",
        {"token": invitation_token, "accept_terms": True},
        format="json",
    )
    assert response.status_code == 200
    invitation = Invitation.objects.get(rfx=published_rfx, supplier__slug="acme-analytics")
    assert invitation.status == "accepted"
    assert invitation.token_used_at is not None
    assert response.json()["status"] == "accepted"
    assert response.json()["terms_accepted_at"] == ts(invitation.terms_accepted_at)
    again = client_for(supplier_a).post(
        API + "invitations/accept/",
        {"token": invitation_token, "accept_terms": True},
        format="json",
    )
    assert again.status_code == 400
    assert "already been used" in again.json()["detail"]


def test_accepting_without_the_terms_leaves_the_link_unused(
    published_rfx, invitation_token, supplier_a
):
    response = client_for(supplier_a).post(
        API + "invitations/accept/",
        {"token": invitation_token, "accept_terms": False},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Accept the terms of taking part to accept the invitation."
    }
    invitation = Invitation.objects.get(rfx=published_rfx, supplier__slug="acme-analytics")
    assert (invitation.status, invitation.token_used_at) == ("pending", None)


def test_declining_with_the_link_keeps_the_reason(published_rfx, invitation_token, supplier_a):
    response = client_for(supplier_a).post(
        API + "invitations/decline/",
        {"token": invitation_token, "reason": "We are fully booked."},
        format="json",
    )
    assert response.status_code == 200
    invitation = Invitation.objects.get(rfx=published_rfx, supplier__slug="acme-analytics")
    assert (invitation.status, invitation.decline_reason) == ("declined", "We are fully booked.")


def test_a_made_up_token_is_a_400(published_rfx, supplier_a):
    response = client_for(supplier_a).post(
        API + "invitations/accept/", {"token": "made-up", "accept_terms": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This invitation link is not valid. Ask the buyer to send it again."
    }


# --- clarifications -----------------------------------------------------------------------------


def test_clarifications_show_the_asker_to_the_buyer_only(
    published_rfx, buyer, bob, supplier_a, supplier_b
):
    asked = client_for(supplier_a).post(
        f"{API}{published_rfx.pk}/clarifications/",
        {"question": "May we host the models ourselves?"},
        format="json",
    )
    assert asked.status_code == 201
    clarification = Clarification.objects.get()
    assert (clarification.supplier.slug, clarification.asked_by) == ("acme-analytics", supplier_a)
    mine = {
        "id": clarification.pk,
        "question": "May we host the models ourselves?",
        "answer": "",
        "visibility": "private",
        "created_at": ts(clarification.created_at),
        "answered_at": None,
        "mine": True,
        "supplier": None,
        "asked_by": None,
    }
    assert asked.json() == mine
    url = f"{API}{published_rfx.pk}/clarifications/"
    assert client_for(supplier_b).get(url).json() == []  # private: B does not even see it

    answered = client_for(buyer).post(
        f"{url}{clarification.pk}/answer/",
        {"answer": "Yes, in the UK.", "publish": True},
        format="json",
    )
    assert answered.status_code == 200
    clarification.refresh_from_db()
    published = {
        **mine,
        "answer": "Yes, in the UK.",
        "visibility": "published",
        "answered_at": ts(clarification.answered_at),
    }
    assert answered.json() == {
        **published,
        "mine": False,
        "supplier": {"slug": "acme-analytics", "name": "Acme Analytics"},
        "asked_by": "charlie",
    }
    assert client_for(supplier_a).get(url).json() == [published]
    seen_by_b = client_for(supplier_b).get(url)
    assert seen_by_b.json() == [{**published, "mine": False}]
    assert "Acme" not in seen_by_b.content.decode()
    assert "charlie" not in seen_by_b.content.decode()
    # A reviewer on the team reads the published answer as the suppliers do, without who asked.
    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=bob, user=buyer)
    assert client_for(bob).get(url).json() == [{**published, "mine": False}]


def test_a_private_answer_reaches_only_the_asker(published_rfx, buyer, supplier_a, supplier_b):
    clarification = services.clarification_ask(
        rfx=published_rfx, user=supplier_a, question="Is the budget fixed?"
    )
    response = client_for(buyer).post(
        f"{API}{published_rfx.pk}/clarifications/{clarification.pk}/answer/",
        {"answer": "It is."},
        format="json",
    )
    assert response.status_code == 200
    url = f"{API}{published_rfx.pk}/clarifications/"
    assert [row["answer"] for row in client_for(supplier_a).get(url).json()] == ["It is."]
    assert client_for(supplier_b).get(url).json() == []


def test_a_question_after_the_clarification_deadline_is_a_400(published_rfx, supplier_a):
    with frozen(published_rfx.clarification_deadline + timedelta(seconds=1)):
        response = client_for(supplier_a).post(
            f"{API}{published_rfx.pk}/clarifications/", {"question": "Late?"}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The deadline for clarification questions passed")
    assert not Clarification.objects.exists()


# session, user, rfx, roles, clarifications; a supplier adds its invitation and organisations
BUYER_CLARIFICATION_QUERIES = 5
SUPPLIER_CLARIFICATION_QUERIES = 7


def test_the_clarification_list_query_count_does_not_grow(
    published_rfx, buyer, supplier_a, supplier_b, django_assert_num_queries
):
    url = f"{API}{published_rfx.pk}/clarifications/"
    manager, other_supplier = client_for(buyer), client_for(supplier_b)
    clarification = services.clarification_ask(rfx=published_rfx, user=supplier_a, question="1?")
    services.clarification_answer(
        clarification=clarification, user=buyer, answer="Yes.", publish=True
    )
    with django_assert_num_queries(BUYER_CLARIFICATION_QUERIES):
        assert len(manager.get(url).json()) == 1
    with django_assert_num_queries(SUPPLIER_CLARIFICATION_QUERIES):
        assert len(other_supplier.get(url).json()) == 1
    for number in range(5):
        clarification = services.clarification_ask(
            rfx=published_rfx, user=supplier_a, question=f"Question {number}?"
        )
        services.clarification_answer(
            clarification=clarification, user=buyer, answer="Yes.", publish=True
        )
    with django_assert_num_queries(BUYER_CLARIFICATION_QUERIES):
        assert len(manager.get(url).json()) == 6
    with django_assert_num_queries(SUPPLIER_CLARIFICATION_QUERIES):
        assert len(other_supplier.get(url).json()) == 6


# --- sealed proposals ---------------------------------------------------------------------------


def test_a_supplier_starts_edits_and_submits_its_own_proposal(
    published_rfx, supplier_a, django_capture_on_commit_callbacks
):
    client = client_for(supplier_a)
    url = f"{API}{published_rfx.pk}/proposal/"
    assert client.get(url).status_code == 404
    started = client.post(url, format="json")
    assert started.status_code == 201
    proposal = Proposal.objects.get()
    expected = {
        "id": proposal.pk,
        "rfx": published_rfx.pk,
        "supplier": {"slug": "acme-analytics", "name": "Acme Analytics"},
        "maturity_assessment": proposal.maturity_assessment_id,
        "extra_assessment": None,
        "licence_terms": "",
        "service_terms": "",
        "price_amount": None,
        "price_currency": "",
        "submitted_at": None,
        "needs_reconfirmation": False,
        "versions": [],
    }
    assert started.json() == expected
    assert client.post(url, format="json").json() == expected  # the same one again

    saved = client.patch(
        url,
        {"licence_terms": LICENCE, "price_amount": "120000", "price_currency": "gbp"},
        format="json",
    )
    assert saved.status_code == 200
    proposal.refresh_from_db()
    assert (proposal.licence_terms, proposal.price_amount, proposal.price_currency) == (
        LICENCE,
        Decimal("120000.00"),
        "GBP",
    )
    assert saved.json() == {
        **expected,
        "licence_terms": LICENCE,
        "price_amount": "120000.00",
        "price_currency": "GBP",
    }

    from tests.assessments.conftest import answer_everything

    answer_everything(proposal.maturity_assessment, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(url + "submit/", format="json")
    assert submitted.status_code == 201
    version = ProposalVersion.objects.get()
    assert submitted.json() == {"number": 1, "submitted_at": ts(version.created_at)}
    assert version.snapshot["price_amount"] == "120000.00"
    assert client.get(url).json()["versions"] == [
        {"number": 1, "submitted_at": ts(version.created_at)}
    ]


def test_a_new_amount_keeps_the_currency_already_given(published_rfx, proposal_a, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{published_rfx.pk}/proposal/", {"price_amount": "110000.50"}
    )
    assert response.status_code == 200
    proposal_a.refresh_from_db()
    assert (proposal_a.price_amount, proposal_a.price_currency) == (Decimal("110000.50"), "GBP")
    assert (response.json()["price_amount"], response.json()["price_currency"]) == (
        "110000.50",
        "GBP",
    )


def test_a_bad_price_is_a_400_and_nothing_is_stored(published_rfx, proposal_a, supplier_a):
    response = client_for(supplier_a).patch(
        f"{API}{published_rfx.pk}/proposal/",
        {"price_amount": "-5", "price_currency": "GBP", "licence_terms": "Changed"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The price must be more than zero."}
    proposal_a.refresh_from_db()
    assert (proposal_a.price_amount, proposal_a.licence_terms) == (Decimal("120000.00"), LICENCE)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "proposal/", {"price_amount": "1", "price_currency": "GBP"}),
        ("patch", "proposal/", {"licence_terms": "Changed after the deadline."}),
        ("post", "proposal/submit/", None),
        ("post", "proposal/", None),
    ],
)
def test_a_crafted_supplier_write_after_the_deadline_is_refused_and_nothing_stored(
    published_rfx, proposal_a, supplier_a, method, path, body
):
    """The close job has not run yet (still published): the server's clock alone decides."""
    before = snapshot(published_rfx)
    with frozen(published_rfx.proposal_deadline + timedelta(seconds=1)):
        response = getattr(client_for(supplier_a), method)(
            f"{API}{published_rfx.pk}/{path}",
            body,
            format="json",
            HTTP_DATE="Mon, 01 Jan 2024 00:00:00 GMT",
        )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The proposal deadline passed on ")
    assert response.json()["detail"].endswith("; nothing more can be sent.")
    assert snapshot(published_rfx) == before
    published_rfx.refresh_from_db()
    assert published_rfx.status == "published"


def test_a_crafted_write_after_the_close_is_refused_too(closed_rfx, proposal_b, supplier_b):
    before = snapshot(closed_rfx)
    for method, path, body in (
        ("patch", "proposal/", {"price_amount": "1", "price_currency": "GBP"}),
        ("post", "proposal/submit/", None),
    ):
        response = getattr(client_for(supplier_b), method)(
            f"{API}{closed_rfx.pk}/{path}", body, format="json"
        )
        assert response.status_code == 400
        assert "nothing more can be sent" in response.json()["detail"]
    assert snapshot(closed_rfx) == before


def test_before_the_deadline_the_buyer_sees_who_submitted_and_when_never_the_content(
    published_rfx, proposal_a, buyer, bob, django_assert_num_queries
):
    _team(published_rfx, buyer, bob)
    for user in (buyer, bob):
        client = client_for(user)
        response = client.get(f"{API}{published_rfx.pk}/submissions/")
        assert response.status_code == 200
        assert response.json() == [
            {"supplier": "Acme Analytics", "submitted_at": ts(proposal_a.submitted_at)}
        ]
        sealed = client.get(f"{API}{published_rfx.pk}/proposals/")
        assert sealed.status_code == 403
        assert sealed.json()["detail"].startswith("Proposals stay sealed until")
        for forbidden in (LICENCE, SERVICE, "120000"):
            assert forbidden not in response.content.decode()
            assert forbidden not in sealed.content.decode()
        assert client.get(f"{API}{published_rfx.pk}/ranking/").status_code == 403


def test_under_blind_grading_a_reviewer_sees_pseudonyms(
    closed_rfx, proposal_a, proposal_b, buyer, bob
):
    RFx.objects.filter(pk=closed_rfx.pk).update(blind_grading=True)
    reviewer_view = client_for(bob).get(f"{API}{closed_rfx.pk}/submissions/").json()
    assert reviewer_view == [
        {"supplier": "Supplier A", "submitted_at": ts(proposal_a.submitted_at)},
        {"supplier": "Supplier B", "submitted_at": ts(proposal_b.submitted_at)},
    ]
    proposals = client_for(bob).get(f"{API}{closed_rfx.pk}/proposals/")
    assert [row["supplier"] for row in proposals.json()] == ["Supplier A", "Supplier B"]
    for name in ("Acme", "Heron"):
        assert name not in proposals.content.decode()
        assert name not in client_for(bob).get(f"{API}{closed_rfx.pk}/ranking/").content.decode()
    manager_view = client_for(buyer).get(f"{API}{closed_rfx.pk}/submissions/").json()
    assert [row["supplier"] for row in manager_view] == ["Acme Analytics", "Blue Heron AI"]


def _proposal_row(proposal: Proposal, **price) -> dict:
    version = proposal.versions.get()
    return {
        "id": proposal.pk,
        "supplier": proposal.supplier.name,
        "version": 1,
        "submitted_at": ts(version.created_at),
        "maturity_assessment": proposal.maturity_assessment_id,
        "extra_assessment": None,
        "licence_terms": LICENCE,
        "service_terms": SERVICE,
        "documents": [],
        **price,
    }


def test_after_the_close_the_team_reads_proposals_without_price_until_the_lock(
    closed_rfx, proposal_a, proposal_b, buyer, bob
):
    url = f"{API}{closed_rfx.pk}/proposals/"
    for user in (buyer, bob):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response.json() == [_proposal_row(proposal_a), _proposal_row(proposal_b)]
        assert "120000" not in response.content.decode()
        assert "90000" not in response.content.decode()
    _score_terms(closed_rfx, bob, {proposal_a: 3, proposal_b: 1})
    assert client_for(buyer).post(f"{API}{closed_rfx.pk}/lock/").status_code == 200
    for user in (buyer, bob):
        assert client_for(user).get(url).json() == [
            _proposal_row(proposal_a, price_amount="120000.00", price_currency="GBP"),
            _proposal_row(proposal_b, price_amount="90000.00", price_currency="GBP"),
        ]


def test_supplier_b_never_sees_supplier_a_proposal_or_identity(
    closed_rfx, proposal_a, proposal_b, supplier_b
):
    client = client_for(supplier_b)
    own = client.get(f"{API}{closed_rfx.pk}/proposal/")
    assert own.status_code == 200
    assert own.json()["id"] == proposal_b.pk
    assert own.json()["price_amount"] == "90000.00"
    for path in ("proposals/", "ranking/", "submissions/"):
        response = client.get(f"{API}{closed_rfx.pk}/{path}")
        assert response.status_code == 403
    scored = client.post(
        f"{API}{closed_rfx.pk}/terms-scores/{proposal_a.pk}/", {"score": 0}, format="json"
    )
    assert scored.status_code == 404
    for path in ("", "proposal/", "clarifications/"):
        text = client.get(f"{API}{closed_rfx.pk}/{path}").content.decode()
        assert "Acme" not in text
        assert "charlie" not in text
        assert "120000" not in text


# rfx and roles (session, user, rfx, memberships, reviewer), proposals, versions
PROPOSAL_QUERIES = 7
# session, user, rfx, memberships, the reviewer's place on the team, submissions
SUBMISSION_QUERIES = 6
# + evaluation_inputs: proposals, terms, versions, scorecards, red flags; the pseudonym check
RANKING_QUERIES = 10


def _third_supplier(rfx: RFx, buyer):
    """Corvid Labs (gita), invited to the draft; it accepts once the RFx is published."""
    org = OrganisationFactory(name="Corvid Labs", slug="corvid-labs", kind="supplier")
    MembershipFactory(
        user=UserFactory(username="gita"), organisation=org, role=Membership.Role.SUPPLIER
    )
    services.invitation_create(rfx=rfx, supplier=org, email="bid@corvid.test", user=buyer)


def test_the_evaluation_lists_query_count_does_not_grow_with_suppliers(
    published_rfx,
    proposal_a,
    buyer,
    bob,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    """Measured with one submitted proposal on one RFx and with three on another."""

    def measure(rfx: RFx, proposals: int) -> None:
        _team(rfx, buyer, bob)
        with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
            services.rfx_close_due()
        client = client_for(bob)
        for path, queries in (
            ("proposals/", PROPOSAL_QUERIES),
            ("submissions/", SUBMISSION_QUERIES),
        ):
            with django_assert_num_queries(queries):
                assert len(client.get(f"{API}{rfx.pk}/{path}").json()) == proposals
        with django_assert_num_queries(RANKING_QUERIES):
            body = client.get(f"{API}{rfx.pk}/ranking/").json()
        assert len(body["ranking"]) + len(body["excluded"]) == proposals

    measure(published_rfx, 1)

    second = services.rfx_create(
        buyer=published_rfx.buyer, user=buyer, title="Second", framework=published_rfx.framework
    )
    timeline = {
        name: getattr(published_rfx, name)
        for name in ("clarification_deadline", "proposal_deadline")
    }
    services.rfx_update(rfx=second, user=buyer, **timeline)
    _third_supplier(second, buyer)
    for org in Organisation.objects.filter(slug__in=["acme-analytics", "blue-heron-ai"]):
        services.invitation_create(rfx=second, supplier=org, email="bids@x.test", user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=second, user=buyer)
    suppliers = Membership.objects.filter(role=Membership.Role.SUPPLIER).select_related("user")
    assert len(suppliers) == 3
    with django_capture_on_commit_callbacks(execute=True):
        for membership in suppliers:
            services.invitation_accept(
                invitation=Invitation.objects.get(rfx=second, supplier=membership.organisation_id),
                user=membership.user,
                accept_terms=True,
            )
            submit_proposal(second, membership.user)
    measure(second, 3)


def test_a_reviewer_declares_no_conflict_before_opening_the_proposals(
    undeclared_state, proposal_a, bob
):
    rfx = undeclared_state["rfx"]
    client = client_for(bob)
    refused = client.get(f"{API}{rfx.pk}/proposals/")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Declare that you have no conflict of interest with this RFx before opening "
        "its proposals."
    }
    declared = client.post(f"{API}{rfx.pk}/declaration/")
    assert declared.status_code == 200
    member = RFxReviewer.objects.get(rfx=rfx, reviewer=bob)
    assert member.no_conflict_declared_at is not None
    assert declared.json() == {
        "rfx": rfx.pk,
        "reviewer": "bob",
        "is_lead": False,
        "criterion_codes": [],
        "no_conflict_declared_at": ts(member.no_conflict_declared_at),
    }
    assert [row["id"] for row in client.get(f"{API}{rfx.pk}/proposals/").json()] == [proposal_a.pk]


def test_a_supplier_is_told_the_proposals_are_for_the_evaluation_team(closed_rfx, supplier_a):
    response = client_for(supplier_a).get(f"{API}{closed_rfx.pk}/proposals/")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the procurement managers and the evaluation team read the proposals."
    }


# --- terms, lock, ranking, award -----------------------------------------------------------------


def test_a_reviewer_scores_the_terms(closed_rfx, proposal_a, bob):
    response = client_for(bob).post(
        f"{API}{closed_rfx.pk}/terms-scores/{proposal_a.pk}/",
        {"score": 2, "comment": "Fair licence."},
        format="json",
    )
    assert response.status_code == 200
    score = TermsScore.objects.get()
    assert response.json() == {
        "proposal": proposal_a.pk,
        "score": 2,
        "comment": "Fair licence.",
        "updated_at": ts(score.updated_at),
    }
    assert (score.reviewer, score.score) == (bob, 2)


def test_a_terms_score_out_of_range_is_a_400(closed_rfx, proposal_a, bob):
    response = client_for(bob).post(
        f"{API}{closed_rfx.pk}/terms-scores/{proposal_a.pk}/", {"score": 4}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"score": ['"4" is not a valid choice.']}
    assert not TermsScore.objects.exists()


def test_a_proposal_of_another_rfx_is_404_under_this_one(
    closed_rfx, proposal_a, buyer, buyer_org, bob
):
    other = services.rfx_create(buyer=buyer_org, user=buyer, title="Other")
    response = client_for(bob).post(
        f"{API}{other.pk}/terms-scores/{proposal_a.pk}/", {"score": 1}, format="json"
    )
    assert response.status_code == 404
    assert not TermsScore.objects.exists()


def test_terms_cannot_be_scored_after_the_lock(locked_state, bob):
    rfx, proposal = locked_state["rfx"], locked_state["proposal"]
    response = client_for(bob).post(
        f"{API}{rfx.pk}/terms-scores/{proposal.pk}/", {"score": 0}, format="json"
    )
    assert response.status_code == 403
    assert TermsScore.objects.get(proposal=proposal).score == 3


def _maturity(proposal: Proposal) -> float:
    return AssessmentVersion.objects.get(assessment=proposal.maturity_assessment).scorecard.score


EXTRA_NOTE = (
    "No proposal has an extra questionnaire score, so the extra questionnaire weight (20) is "
    "left out and the other weights are rescaled."
)


def _part(component: str, label: str, value: float, weight: float, total_weight: float) -> dict:
    share = weight / total_weight
    return {
        "component": component,
        "label": label,
        "value": pytest.approx(value),
        "weight": weight,
        "share": pytest.approx(share),
        "contribution": pytest.approx(100 * share * value),
    }


def test_before_the_lock_the_ranking_leaves_cost_and_every_price_out(
    closed_rfx, proposal_a, proposal_b, buyer, bob
):
    _score_terms(closed_rfx, bob, {proposal_a: 3, proposal_b: 1})
    m_a, m_b = _maturity(proposal_a), _maturity(proposal_b)
    assert m_a == m_b  # both answered everything the same way
    for user in (buyer, bob):
        response = client_for(user).get(f"{API}{closed_rfx.pk}/ranking/")
        assert response.status_code == 200
        a = {
            "proposal_id": proposal_a.pk,
            "supplier_name": "Acme Analytics",
            "rank": 1,
            "total": pytest.approx(80 * m_a + 20),
            "components": {"maturity": m_a, "extra": None, "terms": 1.0},
            "terms_score": 3.0,
            "breakdown": [
                _part("maturity", "Maturity", m_a, 40.0, 50),
                _part("terms", "Licence and service terms", 1.0, 10.0, 50),
            ],
            "competition_passed": None,
            "open_critical_red_flags": 0,
            "reasons": [],
        }
        b = {
            **a,
            "proposal_id": proposal_b.pk,
            "supplier_name": "Blue Heron AI",
            "rank": 2,
            "total": pytest.approx(80 * m_b + 20 / 3),
            "components": {"maturity": m_b, "extra": None, "terms": pytest.approx(1 / 3)},
            "terms_score": 1.0,
            "breakdown": [
                _part("maturity", "Maturity", m_b, 40.0, 50),
                _part("terms", "Licence and service terms", 1 / 3, 10.0, 50),
            ],
        }
        assert response.json() == {
            "price_visible": False,
            "ranking": [a, b],
            "excluded": [],
            "weights": {
                "maturity": {"label": "Maturity", "weight": 40.0, "share": 0.8, "left_out": False},
                "extra": {
                    "label": "Extra questionnaire",
                    "weight": 20.0,
                    "share": 0.0,
                    "left_out": True,
                },
                "terms": {
                    "label": "Licence and service terms",
                    "weight": 10.0,
                    "share": 0.2,
                    "left_out": False,
                },
            },
            "sensitivity": [
                {"weight": "maturity", "current": 40.0, "low": 0.0, "high": 50.0},
                {"weight": "terms", "current": 10.0, "low": 0.0, "high": 50.0},
            ],
            "notes": [EXTRA_NOTE],
        }
        text = response.content.decode()
        for forbidden in ('"price"', '"currency"', '"cost"', "Cost", "120000", "90000", "GBP"):
            assert forbidden not in text


def test_after_the_lock_the_ranking_weighs_cost_per_design(
    locked_state, proposal_a, proposal_b, buyer, bob
):
    rfx = locked_state["rfx"]
    m = _maturity(proposal_a)
    assert m == _maturity(proposal_b)
    # Applied weights 40 + 10 + 30 = 80; K_A = 90000 / 120000, K_B = 1.
    a_parts = [
        _part("maturity", "Maturity", m, 40.0, 80),
        _part("terms", "Licence and service terms", 1.0, 10.0, 80),
        _part("cost", "Cost", 0.75, 30.0, 80),
    ]
    b_parts = [
        _part("maturity", "Maturity", m, 40.0, 80),
        _part("terms", "Licence and service terms", 1 / 3, 10.0, 80),
        _part("cost", "Cost", 1.0, 30.0, 80),
    ]
    expected = {
        "price_visible": True,
        "ranking": [
            {
                "proposal_id": proposal_b.pk,
                "supplier_name": "Blue Heron AI",
                "rank": 1,
                "total": pytest.approx(50 * m + 12.5 / 3 + 37.5),
                "price": "90000.00",
                "currency": "GBP",
                "components": {
                    "maturity": m,
                    "extra": None,
                    "terms": pytest.approx(1 / 3),
                    "cost": 1.0,
                },
                "terms_score": 1.0,
                "breakdown": b_parts,
                "competition_passed": None,
                "open_critical_red_flags": 0,
                "reasons": [],
            },
            {
                "proposal_id": proposal_a.pk,
                "supplier_name": "Acme Analytics",
                "rank": 2,
                "total": pytest.approx(50 * m + 12.5 + 28.125),
                "price": "120000.00",
                "currency": "GBP",
                "components": {"maturity": m, "extra": None, "terms": 1.0, "cost": 0.75},
                "terms_score": 3.0,
                "breakdown": a_parts,
                "competition_passed": None,
                "open_critical_red_flags": 0,
                "reasons": [],
            },
        ],
        "excluded": [],
        "weights": {
            "maturity": {"label": "Maturity", "weight": 40.0, "share": 0.5, "left_out": False},
            "extra": {
                "label": "Extra questionnaire",
                "weight": 20.0,
                "share": 0.0,
                "left_out": True,
            },
            "terms": {
                "label": "Licence and service terms",
                "weight": 10.0,
                "share": 0.125,
                "left_out": False,
            },
            "cost": {"label": "Cost", "weight": 30.0, "share": 0.375, "left_out": False},
        },
        # Terms: A and B cross at t = 9/65 of 80; cost at t = 8/23 of 80 (worked out by hand).
        "sensitivity": [
            {"weight": "maturity", "current": 40.0, "low": 0.0, "high": 80.0},
            {"weight": "terms", "current": 10.0, "low": 0.0, "high": round(720 / 65, 9)},
            {"weight": "cost", "current": 30.0, "low": round(640 / 23, 9), "high": 80.0},
        ],
        "notes": [EXTRA_NOTE],
    }
    for user in (buyer, bob):
        response = client_for(user).get(f"{API}{rfx.pk}/ranking/")
        assert response.status_code == 200
        assert response.json() == expected


def test_locking_opens_the_price_envelope(closed_rfx, buyer):
    response = client_for(buyer).post(f"{API}{closed_rfx.pk}/lock/")
    assert response.status_code == 200
    closed_rfx.refresh_from_db()
    assert closed_rfx.technical_scores_locked_at is not None
    assert response.json() == _expected_detail(closed_rfx)


def test_the_award_records_the_decision_and_feedback(
    evaluated_state, proposal_a, proposal_b, buyer
):
    rfx = evaluated_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/award/",
        {"proposal": proposal_b.pk, "justification": "Best value for money."},
        format="json",
    )
    assert response.status_code == 201
    award = Award.objects.get()
    assert response.json() == {
        "rfx": rfx.pk,
        "proposal": proposal_b.pk,
        "supplier": "Blue Heron AI",
        "justification": "Best value for money.",
        "awarded_at": ts(award.created_at),
    }
    rfx.refresh_from_db()
    assert rfx.status == "awarded"
    assert list(award.feedback.values_list("proposal_id", flat=True)) == [proposal_a.pk]


def test_awarding_without_a_justification_or_before_the_evaluation_is_a_400(
    locked_state, proposal_a, buyer
):
    rfx = locked_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/award/",
        {"proposal": proposal_a.pk, "justification": "Cheapest."},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "An RFx that is closed cannot become awarded."}
    services.rfx_mark_evaluated(rfx=rfx, user=buyer)
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/award/", {"proposal": proposal_a.pk, "justification": " "}, format="json"
    )
    assert response.status_code == 400
    assert not Award.objects.exists()


def test_awarding_an_unknown_proposal_is_a_400_naming_the_field(evaluated_state, buyer):
    rfx = evaluated_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/award/", {"proposal": 999999, "justification": "Why not."}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"proposal": ["This RFx has no such proposal that you can see."]}
    assert not Award.objects.exists()


def test_the_whole_flow_through_the_api(
    buyer,
    bob,
    supplier_a,
    supplier_b,
    supplier_a_org,
    supplier_b_org,
    framework,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """Create, invite, publish, accept, submit, close, score, lock, evaluate, award."""
    manager = client_for(buyer)
    rfx_id = manager.post(
        API, {"title": "Track inspection", "framework": "ml-maturity-model"}
    ).json()["id"]
    start = timezone.now()
    assert (
        manager.patch(
            f"{API}{rfx_id}/",
            {
                "clarification_deadline": (start + DAY).isoformat(),
                "proposal_deadline": (start + 2 * DAY).isoformat(),
            },
            format="json",
        ).status_code
        == 200
    )
    for slug in ("acme-analytics", "blue-heron-ai"):
        manager.post(
            f"{API}{rfx_id}/invitations/", {"supplier": slug, "email": f"{slug}@bids.test"}
        )
    tokens = {}
    with django_capture_on_commit_callbacks(execute=True):
        assert manager.post(f"{API}{rfx_id}/publish/").status_code == 200
    rfx = RFx.objects.get(pk=rfx_id)
    for invitation in Invitation.objects.filter(rfx=rfx).select_related("supplier"):
        tokens[invitation.supplier.slug] = services.invitation_send(invitation=invitation)
    for user, slug in ((supplier_a, "acme-analytics"), (supplier_b, "blue-heron-ai")):
        response = client_for(user).post(
            API + "invitations/accept/", {"token": tokens[slug], "accept_terms": True}
        )
        assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        submit_proposal(rfx, supplier_a, "120000")
        submit_proposal(rfx, supplier_b, "90000")
    assert len(manager.get(f"{API}{rfx_id}/submissions/").json()) == 2
    _team(rfx, buyer, bob)
    rfx.refresh_from_db()
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    reviewer = client_for(bob)
    proposals = reviewer.get(f"{API}{rfx_id}/proposals/").json()
    for row, score in zip(proposals, (3, 1), strict=True):
        assert (
            reviewer.post(f"{API}{rfx_id}/terms-scores/{row['id']}/", {"score": score}).status_code
            == 200
        )
    assert manager.post(f"{API}{rfx_id}/lock/").status_code == 200
    assert manager.post(f"{API}{rfx_id}/evaluated/").json()["status"] == "evaluated"
    leader = manager.get(f"{API}{rfx_id}/ranking/").json()["ranking"][0]
    assert leader["supplier_name"] == "Blue Heron AI"
    response = manager.post(
        f"{API}{rfx_id}/award/",
        {"proposal": leader["proposal_id"], "justification": "Highest total."},
    )
    assert response.status_code == 201
    assert RFx.objects.get(pk=rfx_id).status == "awarded"


# --- schema -------------------------------------------------------------------------------------


def test_the_openapi_schema_validates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/rfx/{rfx_id}/ranking/",
        "/api/v1/rfx/{rfx_id}/proposal/submit/",
        "/api/v1/rfx/invitations/accept/",
    ):
        assert path in schema


def test_unknown_rfx_is_404(buyer):
    assert client_for(buyer).get(f"{API}999999/").status_code == 404


def test_the_reviewer_team_fixture_is_what_the_matrix_assumes(closed_state, bob, frank):
    rfx = closed_state["rfx"]
    assert (
        RFxReviewer.objects.filter(rfx=rfx, reviewer=bob)
        .exclude(no_conflict_declared_at=None)
        .exists()
    )
    assert not RFxReviewer.objects.filter(rfx=rfx, reviewer=frank).exists()
