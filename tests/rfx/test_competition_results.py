"""Competition results (DESIGN §5, §4 gate): the counted file, the leaderboard, a supplier's own
files, and the gate in every ranking (comparison page, API, scorecard data, award feedback)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from rfx import competition_services, reports, selectors, services
from rfx.models import PredictionSubmission, RFx, SupplierFeedback
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.competition_data import (
    TRUTH,
    csv_file,
    failing_predictions,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
)
from tests.rfx.conftest import frozen, submit_proposal

pytestmark = pytest.mark.usefixtures("media_root")
Job = PredictionSubmission.Status
FAILED_BAR = "did not pass the competition bar"
NO_RESULT = "no competition result"


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


def upload(rfx, proposal, user, content: str, *, scored: bool = True):
    """Upload an hour after the release; score it at once unless `scored` is False."""
    from django.test import TestCase

    with (
        frozen(release_time(rfx) + timedelta(hours=1)),
        TestCase.captureOnCommitCallbacks(execute=scored),
    ):
        return competition_services.prediction_submit(
            proposal=proposal, user=user, file=csv_file("predictions.csv", content)
        )


def close(rfx, buyer, reviewer) -> RFx:
    member = services.rfx_reviewer_assign(rfx=rfx, reviewer=reviewer, user=buyer, is_lead=True)
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    return RFx.objects.get(pk=rfx.pk)


@pytest.fixture
def files(published_rfx, proposal_a, proposal_b, supplier_a, supplier_b):
    """A: a failing file, then a passing one (counted), then a refused one. B: a failing one."""
    return {
        "a_first": upload(published_rfx, proposal_a, supplier_a, failing_predictions()),
        "a_counted": upload(published_rfx, proposal_a, supplier_a, predictions_csv()),
        "a_refused": upload(published_rfx, proposal_a, supplier_a, "id,prediction\nm001,OK\n"),
        "b_counted": upload(published_rfx, proposal_b, supplier_b, failing_predictions()),
    }


def another_supplier(rfx: RFx, buyer, name: str):
    """One more invited supplier that accepted, submitted and uploaded a passing file."""
    organisation = OrganisationFactory(name=name, kind=Organisation.Kind.SUPPLIER)
    user = MembershipFactory(
        user=UserFactory(), organisation=organisation, role=Membership.Role.SUPPLIER
    ).user
    invitation = services.invitation_create(
        rfx=rfx, supplier=organisation, email=f"{organisation.slug}@example.test", user=buyer
    )
    services.invitation_accept(invitation=invitation, user=user, accept_terms=True)
    proposal = submit_proposal(rfx, user)
    upload(rfx, proposal, user, predictions_csv())
    return proposal


# --- the counted file and the supplier's own files ----------------------------------------------


def test_the_counted_file_is_the_last_valid_one(files, proposal_a, proposal_b, supplier_a):
    assert selectors.counted_prediction_submission(proposal_a) == files["a_counted"]
    assert selectors.counted_prediction_submission(proposal_b) == files["b_counted"]
    files["a_counted"].refresh_from_db()
    assert (files["a_counted"].number, files["a_counted"].passed) == (2, True)


def test_a_proposal_with_only_refused_files_has_no_counted_file(
    published_rfx, supplier_a, django_capture_on_commit_callbacks
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    assert selectors.counted_prediction_submission(proposal) is None
    upload(published_rfx, proposal, supplier_a, "id,prediction\n")
    assert selectors.counted_prediction_submission(proposal) is None


def test_a_supplier_lists_its_own_files_newest_first(files, proposal_a):
    listed = selectors.prediction_submission_list(proposal_a)
    assert [(s.number, s.valid) for s in listed] == [(3, False), (2, True), (1, True)]


def test_who_sees_which_files(
    files, published_rfx, buyer, reviewer, supplier_a, supplier_b, outsider
):
    a_files = {files["a_first"].pk, files["a_counted"].pk, files["a_refused"].pk}

    def visible(user) -> set[int]:
        return set(selectors.prediction_submission_list_for_user(user).values_list("pk", flat=True))

    assert visible(supplier_a) == a_files
    assert visible(supplier_b) == {files["b_counted"].pk}
    # Sealed until the RFx closes, then the managers and cleared reviewers see every file.
    assert visible(buyer) == visible(reviewer) == visible(outsider) == set()
    close(published_rfx, buyer, reviewer)
    assert visible(buyer) == visible(reviewer) == {*a_files, files["b_counted"].pk}
    assert visible(outsider) == set()
    with pytest.raises(Http404):
        selectors.get_prediction_submission_for_user(supplier_b, files["a_counted"].pk)
    assert (
        selectors.get_prediction_submission_for_user(supplier_a, files["a_counted"].pk)
        == files["a_counted"]
    )


# --- the leaderboard ----------------------------------------------------------------------------


def test_the_leaderboard_orders_by_the_primary_metric_best_first(
    files, published_rfx, proposal_a, proposal_b, supplier_a_org, supplier_b_org
):
    counted_a = PredictionSubmission.objects.get(pk=files["a_counted"].pk)
    counted_b = PredictionSubmission.objects.get(pk=files["b_counted"].pk)
    rows = selectors.competition_results(RFx.objects.get(pk=published_rfx.pk))
    assert rows == [
        {
            "proposal_id": proposal_a.pk,
            "supplier_id": supplier_a_org.pk,
            "supplier_name": "Acme Analytics",
            "submission_id": counted_a.pk,
            "number": 2,
            "status": Job.DONE,
            "passed": True,
            "metrics": counted_a.metrics,
            "value": 1.0,
            "rank": 1,
        },
        {
            "proposal_id": proposal_b.pk,
            "supplier_id": supplier_b_org.pk,
            "supplier_name": "Blue Heron AI",
            "submission_id": counted_b.pk,
            "number": 1,
            "status": Job.DONE,
            "passed": False,
            "metrics": counted_b.metrics,
            # "OK" everywhere: 27 of 40 right; F1 of OK 2·0.675/1.675, of MAINTENANCE 0.
            "value": pytest.approx(0.675 / 1.675, abs=1e-12),
            "rank": 2,
        },
    ]
    assert rows[1]["value"] == counted_b.metrics["macro_f1"]
    # In the scorer's order whatever the database did with the keys.
    for row in rows:
        assert list(row["metrics"]) == [
            "accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix",
            "groups", "gaps", "bars", "passed",
        ]  # fmt: skip
        assert list(row["metrics"]["per_class"]) == ["MAINTENANCE", "OK"]
        assert list(row["metrics"]["groups"]["site"]) == ["north", "south"]
        assert row["metrics"] == selectors.prediction_metrics(
            PredictionSubmission.objects.get(pk=row["submission_id"])
        )
    assert TRUTH.count("OK") == 27


def test_unscored_and_missing_files_come_last_without_a_rank(
    published_rfx, proposal_a, proposal_b, supplier_a, supplier_b
):
    queued = upload(published_rfx, proposal_b, supplier_b, predictions_csv(), scored=False)
    rows = selectors.competition_results(published_rfx)
    assert [
        (row["supplier_name"], row["submission_id"], row["status"], row["value"], row["rank"])
        for row in rows
    ] == [
        ("Acme Analytics", None, None, None, None),
        ("Blue Heron AI", queued.pk, Job.QUEUED, None, None),
    ]
    upload(published_rfx, proposal_a, supplier_a, failing_predictions())
    competition_services.prediction_score(submission_id=queued.pk)
    rows = selectors.competition_results(published_rfx)
    assert [(row["supplier_name"], row["rank"], row["passed"]) for row in rows] == [
        ("Blue Heron AI", 1, True),
        ("Acme Analytics", 2, False),
    ]


def test_equal_results_share_a_rank(published_rfx, proposal_a, proposal_b, supplier_a, supplier_b):
    upload(published_rfx, proposal_b, supplier_b, predictions_csv())
    upload(published_rfx, proposal_a, supplier_a, predictions_csv())
    rows = selectors.competition_results(published_rfx)
    assert [(row["supplier_name"], row["rank"]) for row in rows] == [
        ("Acme Analytics", 1),
        ("Blue Heron AI", 1),
    ]


def test_the_leaderboard_costs_three_queries_whatever_the_number_of_suppliers(
    files, published_rfx, buyer, django_assert_num_queries
):
    rfx = RFx.objects.get(pk=published_rfx.pk)
    with django_assert_num_queries(3):
        assert len(selectors.competition_results(rfx)) == 2
    for name in ("Cormorant Labs", "Dunlin Data", "Eider Systems"):
        another_supplier(published_rfx, buyer, name)
    rfx = RFx.objects.get(pk=published_rfx.pk)
    with django_assert_num_queries(3):
        rows = selectors.competition_results(rfx)
    assert [row["rank"] for row in rows] == [1, 1, 1, 1, 5]


def test_an_rfx_without_a_competition_has_no_leaderboard(published_rfx):
    RFx.objects.filter(pk=published_rfx.pk).update(has_competition=False)
    published_rfx.competition.delete()
    assert selectors.competition_results(RFx.objects.get(pk=published_rfx.pk)) == []


# --- the gate in the ranking --------------------------------------------------------------------


def test_the_evaluation_inputs_carry_the_counted_files_verdict(
    files, published_rfx, proposal_a, proposal_b, django_assert_num_queries
):
    by_proposal = {
        item["proposal_id"]: item["competition_passed"]
        for item in selectors.evaluation_inputs(published_rfx)
    }
    assert by_proposal == {proposal_a.pk: True, proposal_b.pk: False}
    # A counted file not scored yet is no result.
    PredictionSubmission.objects.filter(pk=files["b_counted"].pk).update(status=Job.QUEUED)
    by_proposal = {
        item["proposal_id"]: item["competition_passed"]
        for item in selectors.evaluation_inputs(published_rfx)
    }
    assert by_proposal == {proposal_a.pk: True, proposal_b.pk: None}


def test_without_a_competition_the_inputs_cost_no_query_about_predictions(
    files, published_rfx, proposal_a
):
    from django.db import connection

    RFx.objects.filter(pk=published_rfx.pk).update(has_competition=False)
    rfx = RFx.objects.get(pk=published_rfx.pk)
    with CaptureQueriesContext(connection) as queries:
        inputs = selectors.evaluation_inputs(rfx)
    assert [item["competition_passed"] for item in inputs] == [None, None]
    assert not any("predictionsubmission" in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def closed(files, published_rfx, buyer, reviewer) -> RFx:
    return close(published_rfx, buyer, reviewer)


def test_a_supplier_that_failed_a_bar_is_not_ranked_on_the_comparison_page(closed, buyer, client):
    client.force_login(buyer)
    response = client.get(reverse("rfx-comparison", args=[closed.pk]))
    assert response.status_code == 200
    excluded = response.context["excluded"]
    assert [(entry["supplier_name"], entry["reasons"]) for entry in excluded] == [
        ("Blue Heron AI", [FAILED_BAR])
    ]
    assert [entry["supplier_name"] for entry in response.context["ranking"]] == ["Acme Analytics"]
    assert FAILED_BAR in response.content.decode()


def test_the_ranking_api_excludes_the_failing_supplier_with_the_reason(
    closed, buyer, proposal_a, proposal_b
):
    client = APIClient()
    client.force_login(buyer)
    body = client.get(f"/api/v1/rfx/{closed.pk}/ranking/").json()
    assert [(entry["proposal_id"], entry["competition_passed"]) for entry in body["ranking"]] == [
        (proposal_a.pk, True)
    ]
    assert [(entry["proposal_id"], entry["reasons"]) for entry in body["excluded"]] == [
        (proposal_b.pk, [FAILED_BAR])
    ]


def test_the_scorecard_data_gives_the_reason(closed):
    data = reports.comparison_data(closed, with_prices=False, with_names=True)
    assert [(row["supplier"], row["rank"], row["excluded_reason"]) for row in data["rows"]] == [
        ("Acme Analytics", 1, ""),
        ("Blue Heron AI", None, FAILED_BAR),
    ]


def test_the_award_feedback_ranks_with_the_gate(closed, buyer, proposal_a, proposal_b):
    services.rfx_lock_technical_scores(rfx=closed, user=buyer)
    services.rfx_mark_evaluated(rfx=closed, user=buyer)
    services.rfx_award(rfx=closed, proposal=proposal_a, justification="Best value.", user=buyer)
    feedback = SupplierFeedback.objects.get(proposal=proposal_b).data
    assert (feedback["rank"], feedback["reasons"]) == (None, [FAILED_BAR])


def test_a_supplier_with_no_result_is_not_ranked(
    published_rfx, proposal_a, proposal_b, supplier_a, buyer, reviewer
):
    upload(published_rfx, proposal_a, supplier_a, predictions_csv())
    upload(published_rfx, proposal_b, proposal_b.supplier.memberships.get().user, "id,x\n")
    rfx = close(published_rfx, buyer, reviewer)
    data = reports.comparison_data(rfx, with_prices=False, with_names=True)
    assert [(row["supplier"], row["rank"], row["excluded_reason"]) for row in data["rows"]] == [
        ("Acme Analytics", 1, ""),
        ("Blue Heron AI", None, NO_RESULT),
    ]


def test_with_the_gate_off_nobody_is_excluded_by_the_competition(closed):
    RFx.objects.filter(pk=closed.pk).update(has_competition=False)
    data = reports.comparison_data(
        RFx.objects.get(pk=closed.pk), with_prices=False, with_names=True
    )
    assert [row["excluded_reason"] for row in data["rows"]] == ["", ""]
    assert None not in [row["rank"] for row in data["rows"]]
