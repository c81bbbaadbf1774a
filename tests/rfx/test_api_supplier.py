"""The supplier's side through the API: reopening its questionnaires, its feedback after award.

Who may call each endpoint is in tests/rfx/test_api_access.py.
"""

# The role and state fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Membership
from assessments.models import AssessmentVersion
from rfx import services
from rfx.models import Invitation, Proposal, RFx, SupplierFeedback
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.conftest import frozen
from tests.rfx.test_api import (  # noqa: F401  (fixtures)
    API,
    LICENCE,
    SERVICE,
    client_for,
    evaluated_state,
    frank,
    locked_state,
    snapshot,
    tasks_in_process,
    ts,
)

pytestmark = pytest.mark.django_db

NO_DECISION = "The buyer has not made its decision yet."
NO_SUBMISSION = "Your organisation submitted no proposal, so there is no feedback for it."


def own_proposal_body(proposal: Proposal) -> dict:
    proposal.refresh_from_db()
    return {
        "id": proposal.pk,
        "rfx": proposal.rfx_id,
        "supplier": {"slug": proposal.supplier.slug, "name": proposal.supplier.name},
        "maturity_assessment": proposal.maturity_assessment_id,
        "extra_assessment": proposal.extra_assessment_id,
        "licence_terms": proposal.licence_terms,
        "service_terms": proposal.service_terms,
        "price_amount": format(proposal.price_amount, "f"),
        "price_currency": proposal.price_currency,
        "submitted_at": ts(proposal.submitted_at),
        "needs_reconfirmation": proposal.needs_reconfirmation,
        "versions": [
            {"number": version.number, "submitted_at": ts(version.created_at)}
            for version in proposal.versions.order_by("-number")
        ],
    }


@pytest.fixture
def awarded_state(evaluated_state, proposal_b, buyer, django_capture_on_commit_callbacks) -> dict:
    """Awarded to supplier B (the lower price); supplier A gets its feedback."""
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_award(
            rfx=evaluated_state["rfx"],
            proposal=proposal_b,
            justification="Best value for money.",
            user=buyer,
        )
    return evaluated_state


# --- reopening the questionnaires ---------------------------------------------------------------


def test_a_supplier_reopens_its_submitted_questionnaires_before_the_deadline(
    published_rfx, proposal_a, supplier_a
):
    assessment = proposal_a.maturity_assessment
    assert not assessment.is_draft
    versions = AssessmentVersion.objects.filter(assessment=assessment).count()
    submitted_at = proposal_a.submitted_at
    response = client_for(supplier_a).post(f"{API}{published_rfx.pk}/proposal/reopen/")
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert assessment.is_draft
    # The submitted versions stay as they were and still count.
    assert AssessmentVersion.objects.filter(assessment=assessment).count() == versions
    proposal_a.refresh_from_db()
    assert proposal_a.submitted_at == submitted_at and proposal_a.versions.count() == 1
    expected = own_proposal_body(proposal_a)
    assert expected["licence_terms"] == LICENCE and expected["service_terms"] == SERVICE
    assert response.json() == expected
    # Again: nothing left to reopen, the same answer.
    again = client_for(supplier_a).post(f"{API}{published_rfx.pk}/proposal/reopen/")
    assert again.status_code == 200 and again.json() == expected


def test_reopening_after_the_deadline_is_refused_whatever_the_client_says(
    published_rfx, proposal_a, supplier_a
):
    before = snapshot(published_rfx)
    with frozen(published_rfx.proposal_deadline + timedelta(seconds=1)):
        response = client_for(supplier_a).post(
            f"{API}{published_rfx.pk}/proposal/reopen/",
            HTTP_DATE="Mon, 01 Jan 2024 00:00:00 GMT",
        )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("The proposal deadline passed on ")
    assert detail.endswith("; nothing more can be sent.")
    proposal_a.maturity_assessment.refresh_from_db()
    assert not proposal_a.maturity_assessment.is_draft
    assert snapshot(published_rfx) == before


def test_reopening_after_the_close_is_refused_too(closed_rfx, proposal_a, supplier_a):
    response = client_for(supplier_a).post(f"{API}{closed_rfx.pk}/proposal/reopen/")
    assert response.status_code == 400
    assert "nothing more can be sent" in response.json()["detail"]
    proposal_a.maturity_assessment.refresh_from_db()
    assert not proposal_a.maturity_assessment.is_draft


def test_a_supplier_with_no_proposal_has_nothing_to_reopen(published_rfx, supplier_b):
    response = client_for(supplier_b).post(f"{API}{published_rfx.pk}/proposal/reopen/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Your organisation has not started a proposal for this RFx."
    }


# --- feedback after the award -------------------------------------------------------------------


def test_an_unsuccessful_supplier_reads_only_its_own_feedback(
    awarded_state, proposal_a, proposal_b, supplier_a
):
    rfx = awarded_state["rfx"]
    response = client_for(supplier_a).get(f"{API}{rfx.pk}/feedback/")
    assert response.status_code == 200
    stored = SupplierFeedback.objects.get(proposal=proposal_a).data
    assert stored["supplier_name"] == "Acme Analytics"
    body = response.json()
    assert body == {
        "rfx": rfx.pk,
        "outcome": "not_chosen",
        "awarded_at": ts(rfx.award.created_at),
        "feedback": {
            "ranked": True,
            "rank": 2,
            "total": pytest.approx(stored["total"]),
            "price": "120000.00",
            "currency": "GBP",
            "components": stored["components"],
            "terms_score": 3.0,
            "breakdown": stored["breakdown"],
            "reasons": [],
            "weights": stored["weights"],
        },
        "competition": None,  # this RFx has no tender competition
    }
    assert body["feedback"]["components"]["cost"] == 0.75
    assert [part["component"] for part in body["feedback"]["breakdown"]] == [
        "maturity",
        "terms",
        "cost",
    ]
    text = response.content.decode()
    for other in ("Blue Heron", "90000", "proposal_id", "supplier_id", "Best value"):
        assert other not in text


def test_the_winner_is_told_it_won(awarded_state, proposal_b, supplier_b):
    rfx = awarded_state["rfx"]
    response = client_for(supplier_b).get(f"{API}{rfx.pk}/feedback/")
    assert response.status_code == 200
    assert response.json() == {
        "rfx": rfx.pk,
        "outcome": "won",
        "awarded_at": ts(rfx.award.created_at),
        "feedback": None,
        "competition": None,
    }
    assert "Acme" not in response.content.decode()


def test_there_is_no_feedback_before_the_award(evaluated_state, supplier_a):
    rfx = evaluated_state["rfx"]
    response = client_for(supplier_a).get(f"{API}{rfx.pk}/feedback/")
    assert response.status_code == 404
    assert response.json() == {"detail": NO_DECISION}


def test_a_supplier_that_submitted_nothing_has_no_feedback(
    published_rfx, proposal_a, proposal_b, buyer, reviewer, django_capture_on_commit_callbacks
):
    org = OrganisationFactory(name="Corvid Labs", slug="corvid-labs", kind="supplier")
    gita = MembershipFactory(
        user=UserFactory(username="gita"), organisation=org, role=Membership.Role.SUPPLIER
    ).user
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(rfx=published_rfx, supplier=org, email="g@c.test", user=buyer)
    services.invitation_accept(
        invitation=Invitation.objects.get(rfx=published_rfx, supplier=org),
        user=gita,
        accept_terms=True,
    )
    services.proposal_start(rfx=published_rfx, user=gita)  # started, never submitted
    _award(published_rfx, proposal_b, buyer, django_capture_on_commit_callbacks)
    response = client_for(gita).get(f"{API}{published_rfx.pk}/feedback/")
    assert response.status_code == 404
    assert response.json() == {"detail": NO_SUBMISSION}


def _award(rfx: RFx, proposal: Proposal, buyer, capture) -> None:
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    rfx.refresh_from_db()
    services.rfx_lock_technical_scores(rfx=rfx, user=buyer)
    services.rfx_mark_evaluated(rfx=rfx, user=buyer)
    with capture(execute=True):
        services.rfx_award(rfx=rfx, proposal=proposal, justification="Cheapest.", user=buyer)


def test_a_summary_made_without_a_ranking_is_not_passed_on_half_filled(
    awarded_state, proposal_a, supplier_a
):
    rfx = awarded_state["rfx"]
    SupplierFeedback.objects.filter(proposal=proposal_a).update(
        data={"supplier_id": 1, "supplier_name": "Acme Analytics", "price": "120000.00"}
    )
    response = client_for(supplier_a).get(f"{API}{rfx.pk}/feedback/")
    assert response.status_code == 200
    assert response.json()["feedback"] is None
