"""The ranking API answers in a fixed number of queries, whatever the number of suppliers.

bench/comparison.py measures the same endpoint for 50 suppliers × the full model × 5 reviewers.
"""

# The role fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from rfx import services
from rfx.models import Invitation, RFx
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.conftest import DAY, frozen, submit_proposal
from tests.rfx.test_api import API, bob, client_for, tasks_in_process  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# Session, user, the RFx and the person's roles; for a reviewer, the team check (asked once for
# the evaluation and once for the price envelope); then the ranking's inputs: proposals, their
# terms scores, their versions, the questionnaires' scores and open critical red flags.
RANKING_QUERIES = {"alice": 9, "bob": 11}


def _rfx_with(suppliers: int, buyer, bob, framework, capture) -> RFx:
    """An RFx with `suppliers` submitted proposals, bob's terms scores, locked."""
    start = timezone.now()
    rfx = services.rfx_create(
        buyer=buyer.memberships.get().organisation,
        user=buyer,
        title=f"{suppliers} suppliers",
        framework=framework,
    )
    services.rfx_update(
        rfx=rfx, user=buyer, clarification_deadline=start + DAY, proposal_deadline=start + 2 * DAY
    )
    people = []
    for index in range(suppliers):
        org = OrganisationFactory(
            name=f"Supplier {rfx.pk}-{index}", slug=f"s-{rfx.pk}-{index}", kind="supplier"
        )
        user = MembershipFactory(
            user=UserFactory(username=f"s-{rfx.pk}-{index}"),
            organisation=org,
            role=Membership.Role.SUPPLIER,
        ).user
        services.invitation_create(rfx=rfx, supplier=org, email=f"{index}@s.test", user=buyer)
        people.append((org, user))
    member = services.rfx_reviewer_assign(rfx=rfx, reviewer=bob, user=buyer, is_lead=True)
    services.rfx_reviewer_declare_no_conflict(member=member, user=bob)
    with capture(execute=True):
        services.rfx_publish(rfx=rfx, user=buyer)
        for index, (org, user) in enumerate(people):
            services.invitation_accept(
                invitation=Invitation.objects.get(rfx=rfx, supplier=org),
                user=user,
                accept_terms=True,
            )
            submit_proposal(rfx, user, str(100000 + 1000 * index))
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    rfx.refresh_from_db()
    for index, proposal in enumerate(rfx.proposals.all()):
        services.terms_score_set(proposal=proposal, reviewer=bob, score=index % 4)
    services.rfx_lock_technical_scores(rfx=rfx, user=buyer)
    return rfx


def test_the_ranking_query_count_does_not_grow_from_2_to_6_suppliers(
    buyer, bob, framework, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for suppliers in (2, 6):
        rfx = _rfx_with(suppliers, buyer, bob, framework, django_capture_on_commit_callbacks)
        for user in (buyer, bob):
            client = client_for(user)
            with django_assert_num_queries(RANKING_QUERIES[user.username]):
                response = client.get(f"{API}{rfx.pk}/ranking/")
            assert response.status_code == 200
            body = response.json()
            assert body["price_visible"] is True
            assert len(body["ranking"]) + len(body["excluded"]) == suppliers
