"""RFx fixtures: alice's RFP for Northwind Rail, suppliers A (charlie) and B (dana) invited."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from principles.models import Framework
from rfx import services
from rfx.models import Invitation, Proposal, RFx

DAY = timedelta(days=1)


@contextlib.contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """The server's clock reads `moment` (services call django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def framework(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def timeline() -> dict[str, datetime]:
    start = timezone.now().replace(microsecond=0)
    return {
        "clarification_deadline": start + 5 * DAY,
        "proposal_deadline": start + 10 * DAY,
        "shortlist_date": start + 20 * DAY,
        "contract_drafting_date": start + 30 * DAY,
    }


@pytest.fixture
def draft_rfx(buyer, buyer_org, framework, timeline) -> RFx:
    rfx = services.rfx_create(
        buyer=buyer_org, user=buyer, title="Predictive maintenance", framework=framework
    )
    return services.rfx_update(rfx=rfx, user=buyer, **timeline)


@pytest.fixture
def published_rfx(
    draft_rfx,
    buyer,
    supplier_a,
    supplier_b,
    supplier_a_org,
    supplier_b_org,
    django_capture_on_commit_callbacks,
) -> RFx:
    """Published; both suppliers invited and accepted."""
    for org, email in ((supplier_a_org, "bids@acme.test"), (supplier_b_org, "bids@heron.test")):
        services.invitation_create(rfx=draft_rfx, supplier=org, email=email, user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    for user, org in ((supplier_a, supplier_a_org), (supplier_b, supplier_b_org)):
        services.invitation_accept(
            invitation=Invitation.objects.get(rfx=draft_rfx, supplier=org),
            user=user,
            accept_terms=True,
        )
    draft_rfx.refresh_from_db()
    return draft_rfx


def submit_proposal(rfx: RFx, user, price: str = "100000") -> Proposal:
    from tests.assessments.conftest import answer_everything

    proposal = services.proposal_start(rfx=rfx, user=user)
    answer_everything(proposal.maturity_assessment, user)
    services.proposal_update(
        proposal=proposal,
        user=user,
        licence_terms="Perpetual licence to the models.",
        service_terms="Support in working hours.",
        price_amount=Decimal(price),
        price_currency="GBP",
    )
    services.proposal_submit(proposal=proposal, user=user)
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def proposal_a(published_rfx, supplier_a, django_capture_on_commit_callbacks) -> Proposal:
    with django_capture_on_commit_callbacks(execute=True):
        return submit_proposal(published_rfx, supplier_a, "120000")


@pytest.fixture
def proposal_b(published_rfx, supplier_b, django_capture_on_commit_callbacks) -> Proposal:
    with django_capture_on_commit_callbacks(execute=True):
        return submit_proposal(published_rfx, supplier_b, "90000")


@pytest.fixture
def closed_rfx(published_rfx, proposal_a, proposal_b, reviewer) -> RFx:
    """Both proposals submitted, bob on the team with no conflict, the deadline passed, closed."""
    buyer_manager = published_rfx.buyer.memberships.get(role="procurement_manager").user
    member = services.rfx_reviewer_assign(
        rfx=published_rfx, reviewer=reviewer, user=buyer_manager, is_lead=True
    )
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    published_rfx.refresh_from_db()
    return published_rfx
