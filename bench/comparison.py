"""The RFx comparison page and its API for 50 suppliers × the full maturity model × 5 reviewers.

    python bench/comparison.py [--suppliers 50] [--reviewers 5] [--runs 20]

Builds the RFx through the services (reviewer scores with bulk_create) in a throwaway
SQLite database, then times GET /rfx/<pk>/comparison/ and GET /api/v1/rfx/<pk>/ranking/
through django.test.Client as a reviewer after the technical lock, counting the queries of
each. Set BENCH_DATABASE_URL=postgres://... to measure on PostgreSQL (use a scratch,
empty database: the data is built afresh).
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from unittest import mock

from _setup import median, setup_django

if TYPE_CHECKING:
    from django.test import Client


def build(suppliers: int, reviewers: int):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from accounts.models import Membership, Organisation, User
    from assessments import services as assessment_services
    from assessments.models import AssessmentVersion, ReviewerScore
    from principles.models import Framework
    from rfx import services
    from rfx.models import Invitation, RFxReviewer

    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    questions = list(framework.questions.all())
    buyer_org = Organisation.objects.create(
        name="Bench Buyer", slug="bench-buyer", kind=Organisation.Kind.BUYER
    )
    manager = User.objects.create(username="bench-manager")
    Membership.objects.create(
        user=manager, organisation=buyer_org, role=Membership.Role.PROCUREMENT_MANAGER
    )
    team = []
    for index in range(reviewers):
        user = User.objects.create(username=f"bench-reviewer-{index}")
        Membership.objects.create(user=user, organisation=buyer_org, role=Membership.Role.REVIEWER)
        team.append(user)

    now = timezone.now()
    rfx = services.rfx_create(
        buyer=buyer_org, user=manager, title="Bench comparison", framework=framework
    )
    rfx = services.rfx_update(
        rfx=rfx,
        user=manager,
        clarification_deadline=now + timedelta(days=5),
        proposal_deadline=now + timedelta(days=10),
        shortlist_date=now + timedelta(days=20),
        contract_drafting_date=now + timedelta(days=30),
    )
    supplier_users = []
    for index in range(suppliers):
        org = Organisation.objects.create(
            name=f"Bench Supplier {index:02d}",
            slug=f"bench-supplier-{index}",
            kind=Organisation.Kind.SUPPLIER,
        )
        user = User.objects.create(username=f"bench-supplier-{index}")
        Membership.objects.create(user=user, organisation=org, role=Membership.Role.SUPPLIER)
        services.invitation_create(
            rfx=rfx, supplier=org, email=f"s{index}@bench.test", user=manager
        )
        supplier_users.append((org, user))
    services.rfx_publish(rfx=rfx, user=manager)
    for index, (org, user) in enumerate(supplier_users):
        services.invitation_accept(
            invitation=Invitation.objects.get(rfx=rfx, supplier=org), user=user, accept_terms=True
        )
        proposal = services.proposal_start(rfx=rfx, user=user)
        for question in questions:
            fields = {
                "status": {"status": ("yes", "partial", "no")[(index + question.pk) % 3]},
                "number": {"number": 1.0},
                "choice": {"choices": [question.choices[0]] if question.choices else []},
                "text": {"text": "A full description of how this is done, with owners."},
            }[question.answer_type]
            assessment_services.answer_save(
                assessment=proposal.maturity_assessment, question=question, user=user, **fields
            )
        services.proposal_update(
            proposal=proposal,
            user=user,
            licence_terms="Perpetual licence to the trained models.",
            service_terms="Support in working hours.",
            price_amount=Decimal(100000 + 1000 * index),
            price_currency="GBP",
        )
        services.proposal_submit(proposal=proposal, user=user)

    for index, user in enumerate(team):
        member = services.rfx_reviewer_assign(
            rfx=rfx, reviewer=user, user=manager, is_lead=index == 0
        )
        services.rfx_reviewer_declare_no_conflict(member=member, user=user)
    with mock.patch(
        "django.utils.timezone.now", return_value=rfx.proposal_deadline + timedelta(minutes=1)
    ):
        services.rfx_close_due()
    rfx.refresh_from_db()
    proposals = list(rfx.proposals.select_related("maturity_assessment"))
    # Reviewers' scores straight into the table: 5 × every question × every proposal.
    ReviewerScore.objects.bulk_create(
        ReviewerScore(
            assessment=proposal.maturity_assessment,
            question=question,
            reviewer=user,
            score=(p_index + q_index + r_index * (q_index % 2)) % 4,
        )
        for p_index, proposal in enumerate(proposals)
        for q_index, question in enumerate(questions)
        for r_index, user in enumerate(team)
    )
    for p_index, proposal in enumerate(proposals):
        for r_index, user in enumerate(team):
            services.terms_score_set(
                proposal=proposal, reviewer=user, score=(p_index + r_index) % 4
            )
    versions = AssessmentVersion.objects.filter(
        assessment__in=[p.maturity_assessment for p in proposals]
    )
    for version in versions:
        AssessmentVersion.objects.filter(pk=version.pk).update(
            status=AssessmentVersion.Status.QUEUED
        )
        assessment_services.version_score(version_id=version.pk)
    services.rfx_lock_technical_scores(rfx=rfx, user=manager)
    assert RFxReviewer.objects.filter(rfx=rfx).count() == reviewers
    return rfx, team[1], len(questions)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=50)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    rfx, reviewer, question_count = build(arguments.suppliers, arguments.reviewers)
    client = Client()
    client.force_login(reviewer)
    address = reverse("rfx-comparison", args=[rfx.pk])
    warm = client.get(address)
    assert warm.status_code == 200, warm.status_code
    ranked = warm.content.decode().count('data-testid="ranked-row"')
    queries, timings = measure(client, address, arguments.runs)
    print(
        f"comparison_page_{arguments.suppliers}_suppliers: {queries} queries, "
        f"median {median(timings) * 1000:.1f} ms (min {min(timings) * 1000:.1f} ms, "
        f"{ranked} ranked, {question_count} questions, {arguments.reviewers} reviewers, "
        f"{connection.vendor}, {arguments.runs} runs)",
        flush=True,
    )
    # The same ranking through the API, as the same reviewer (price envelope open).
    address = reverse("api-rfx-ranking", args=[rfx.pk])
    warm = client.get(address)
    assert warm.status_code == 200, warm.status_code
    ranked = len(warm.json()["ranking"])
    queries, timings = measure(client, address, arguments.runs)
    print(
        f"ranking_api_{arguments.suppliers}_suppliers: {queries} queries, "
        f"median {median(timings) * 1000:.1f} ms (min {min(timings) * 1000:.1f} ms, "
        f"{ranked} ranked, {question_count} questions, {arguments.reviewers} reviewers, "
        f"{connection.vendor}, {arguments.runs} runs)",
        flush=True,
    )


def measure(client: Client, address: str, runs: int) -> tuple[int, list[float]]:
    """The query count of one request and the time of each of `runs` requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(address)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return queries, timings


if __name__ == "__main__":
    main()
