"""The competition leaderboard and a supplier's details (DESIGN §5, §4 gate), for the buyer's
procurement managers and cleared reviewers once the RFx is closed; and the gate on the
comparison page.

Supplier A (Acme Analytics) uploads a failing file, then a passing one, which counts; supplier
B (Blue Heron AI) uploads a failing one. alice manages; bob is the lead reviewer, cleared;
frank is on the team and has not declared; grace is a reviewer of the buyer off the team.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Membership, Organisation
from rfx import services
from rfx.models import PredictionSubmission, RFx
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.competition_data import (
    closed,  # noqa: F401 — fixture
    files,  # noqa: F401 — fixture
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    set_up,
    undeclared,  # noqa: F401 — fixture
    upload,
)
from tests.rfx.conftest import frozen, submit_proposal

pytestmark = pytest.mark.usefixtures("media_root")
Job = PredictionSubmission.Status
PAGES = ["rfx-competition-results", "rfx-competition-result"]


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


@pytest.fixture
def unassigned(buyer_org):
    return MembershipFactory(
        user=UserFactory(username="grace"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


def url(name: str, rfx: RFx, proposal=None) -> str:
    if name == "rfx-competition-result":
        return reverse(name, args=[rfx.pk, proposal.pk])
    return reverse(name, args=[rfx.pk])


# --- who opens the pages ------------------------------------------------------------------------

EXPECTED = {
    "buyer": 200,
    "reviewer": 200,
    "undeclared": "declaration",
    "unassigned": 404,
    "supplier_a": 404,
    "supplier_b": 404,
    "outsider": 404,
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_what_it_may_on_the_leaderboard_and_the_details(
    client, request, closed, proposal_a, undeclared, unassigned, role
):
    client.force_login(request.getfixturevalue(role))
    for name in PAGES:
        response = client.get(url(name, closed, proposal_a))
        expected = EXPECTED[role]
        if expected == "declaration":
            assert response.status_code == 302, name
            assert response["Location"] == reverse("rfx-declaration", args=[closed.pk])
        else:
            assert response.status_code == expected, (name, response.status_code)
        if expected != 200:
            body = response.content.decode()
            assert "Passed the competition bar" not in body
            assert "confusion-matrix" not in body


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, closed, proposal_a, name):
    response = client.get(url(name, closed, proposal_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_before_the_close_the_results_stay_sealed(client, buyer, files, published_rfx, proposal_a):
    client.force_login(buyer)
    with frozen(published_rfx.proposal_deadline + timedelta(seconds=30)):
        for name in PAGES:
            response = client.get(url(name, published_rfx, proposal_a))
            html = response.content.decode()
            assert response.status_code == 200
            assert 'data-testid="sealed"' in html
            assert "Acme Analytics" not in html


def test_an_rfx_without_a_competition_has_no_leaderboard(client, buyer, closed):
    RFx.objects.filter(pk=closed.pk).update(has_competition=False)
    client.force_login(buyer)
    assert client.get(url("rfx-competition-results", closed)).status_code == 404


# --- the leaderboard ----------------------------------------------------------------------------


def test_the_leaderboard_ranks_by_the_primary_metric_with_each_bar_and_the_verdict(
    client, buyer, closed, proposal_a, proposal_b
):
    client.force_login(buyer)
    response = client.get(url("rfx-competition-results", closed))
    rows = response.context["rows"]
    assert [
        (row["name"], row["rank"], row["verdict"], [bar["passed"] for bar in row["bars"]])
        for row in rows
    ] == [
        ("Acme Analytics", 1, "passed", [True, True, True]),
        ("Blue Heron AI", 2, "failed", [False, False, True]),
    ]
    html = response.content.decode()
    assert "Macro F1" in html
    assert "Accuracy ≥ 80%" in html
    assert "Recall “MAINTENANCE” ≥ 90%" in html
    assert "Recall gap “MAINTENANCE” by site ≤ 10 pts" in html
    assert html.count("Passed the competition bar") == 1
    assert html.count("Did not pass the competition bar") == 1
    assert "<strong>1</strong> of 2 suppliers passed the competition bar." in html
    assert 'data-testid="retry"' not in html
    assert f'href="{url("rfx-competition-result", closed, proposal_a)}"' in html


def test_reviewers_grading_blind_read_pseudonyms(client, buyer, reviewer, closed, proposal_a):
    RFx.objects.filter(pk=closed.pk).update(blind_grading=True)
    client.force_login(reviewer)
    for name in PAGES:
        html = client.get(url(name, closed, proposal_a)).content.decode()
        assert "Acme Analytics" not in html and "Blue Heron AI" not in html
    response = client.get(url("rfx-competition-results", closed))
    assert [row["name"] for row in response.context["rows"]] == ["Supplier A", "Supplier B"]
    client.force_login(buyer)
    response = client.get(url("rfx-competition-results", closed))
    assert [row["name"] for row in response.context["rows"]] == [
        "Acme Analytics",
        "Blue Heron AI",
    ]


def test_a_supplier_without_a_file_is_listed_with_no_result(
    client,
    buyer,
    files,
    published_rfx,
    reviewer,
    supplier_a_org,
    django_capture_on_commit_callbacks,
):
    organisation = OrganisationFactory(name="Cormorant Labs", kind=Organisation.Kind.SUPPLIER)
    user = MembershipFactory(
        user=UserFactory(), organisation=organisation, role=Membership.Role.SUPPLIER
    ).user
    invitation = services.invitation_create(
        rfx=published_rfx, supplier=organisation, email="bids@cormorant.test", user=buyer
    )
    services.invitation_accept(invitation=invitation, user=user, accept_terms=True)
    with django_capture_on_commit_callbacks(execute=True):
        submit_proposal(published_rfx, user)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    client.force_login(buyer)
    response = client.get(url("rfx-competition-results", published_rfx))
    last = response.context["rows"][-1]
    assert (last["name"], last["rank"], last["verdict"]) == ("Cormorant Labs", None, "none")
    assert "No valid predictions file: not ranked" in response.content.decode()


# --- a supplier's details -----------------------------------------------------------------------


def test_the_details_show_the_confusion_matrix_with_shading_and_the_groups(
    client, reviewer, closed, proposal_b
):
    client.force_login(reviewer)
    response = client.get(url("rfx-competition-result", closed, proposal_b))
    html = response.content.decode()
    results = response.context["results"]
    assert response.context["row"]["name"] == "Blue Heron AI"
    # Every machine called OK: 13 maintenance rows missed, 27 OK rows right.
    assert [[cell["count"] for cell in row["cells"]] for row in results["confusion"]["rows"]] == [
        [0, 13],
        [0, 27],
    ]
    matrix = html.split('data-testid="confusion-matrix"')[1].split("</table>")[0]
    assert "background-color: rgba(220, 53, 69, 0.85)" in matrix  # all of MAINTENANCE missed
    assert "background-color: rgba(25, 135, 84, 0.85)" in matrix  # all of OK right
    (site,) = results["groups"]
    assert site["column"] == "site"
    assert [row["value"] for row in site["rows"]] == ["north", "south"]
    assert [recall["value"] for recall in site["rows"][0]["recalls"]] == [0.0, 1.0]
    assert 'data-testid="group-chart" data-column="site"' in html
    assert "Largest gap" in html
    assert "Did not pass the competition bar" in html
    # Every file of this supplier is listed, the counted one marked.
    assert "File 1" in html and "<strong>counts</strong>" in html


def test_the_details_of_a_proposal_of_another_rfx_are_not_found(
    client, buyer, closed, proposal_a, buyer_org, framework, timeline
):
    other = services.rfx_create(buyer=buyer_org, user=buyer, title="Other", framework=framework)
    client.force_login(buyer)
    address = reverse("rfx-competition-result", args=[other.pk, proposal_a.pk])
    assert client.get(address).status_code == 404
    address = reverse("rfx-competition-result", args=[closed.pk, 99999])
    assert client.get(address).status_code == 404


# --- scoring status and retry -------------------------------------------------------------------


@pytest.fixture
def b_failed(files) -> PredictionSubmission:
    submission = files["b_counted"]
    PredictionSubmission.objects.filter(pk=submission.pk).update(
        status=Job.FAILED,
        passed=None,
        metrics=None,
        error="A file of the competition could not be read from storage.",
    )
    return submission


def test_a_failed_scoring_shows_its_reason_and_only_managers_retry_it(
    client, buyer, reviewer, b_failed, closed, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    html = client.get(url("rfx-competition-results", closed)).content.decode()
    assert "Scoring failed: not ranked until it is scored" in html
    assert "could not be read from storage" in html
    assert 'data-testid="retry"' not in html
    retry = reverse("rfx-prediction-retry", args=[closed.pk, b_failed.pk])
    assert client.post(retry).status_code == 403
    assert PredictionSubmission.objects.get(pk=b_failed.pk).status == Job.FAILED

    client.force_login(buyer)
    html = client.get(url("rfx-competition-results", closed)).content.decode()
    assert 'data-testid="retry"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, {"next": url("rfx-competition-results", closed)})
    assert response.status_code == 302
    assert response["Location"] == url("rfx-competition-results", closed)
    b_failed.refresh_from_db()
    assert (b_failed.status, b_failed.passed) == (Job.DONE, False)


def test_retry_goes_back_only_to_a_page_of_this_site(client, buyer, b_failed, closed):
    client.force_login(buyer)
    response = client.post(
        reverse("rfx-prediction-retry", args=[closed.pk, b_failed.pk]),
        {"next": "https://elsewhere.example/steal"},
    )
    assert response["Location"] == reverse("rfx-supplier-competition", args=[closed.pk])


def test_nobody_off_the_team_retries(client, b_failed, closed, unassigned, outsider, supplier_a):
    retry = reverse("rfx-prediction-retry", args=[closed.pk, b_failed.pk])
    for user in (unassigned, outsider, supplier_a):
        client.force_login(user)
        assert client.post(retry).status_code == 404
    assert PredictionSubmission.objects.get(pk=b_failed.pk).status == Job.FAILED


# --- query counts -------------------------------------------------------------------------------


def another_supplier(rfx: RFx, buyer, name: str) -> None:
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


LEADERBOARD_QUERIES = 14


@pytest.mark.parametrize("extra", [0, 3])
def test_the_leaderboard_costs_the_same_queries_for_2_and_5_suppliers(
    client,
    buyer,
    reviewer,
    files,
    published_rfx,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    extra,
):
    RFx.objects.filter(pk=published_rfx.pk).update(blind_grading=True)
    published_rfx.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(extra):
            another_supplier(published_rfx, buyer, f"Extra Supplier {index}")
    member = services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer)
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    # A failed file costs the query that reads the reasons, whatever their number.
    PredictionSubmission.objects.filter(pk=files["b_counted"].pk).update(
        status=Job.FAILED, error="Lost."
    )
    client.force_login(reviewer)
    client.get(url("rfx-competition-results", published_rfx))  # session and user warm
    with django_assert_num_queries(LEADERBOARD_QUERIES):
        response = client.get(url("rfx-competition-results", published_rfx))
    assert len(response.context["rows"]) == 2 + extra
    assert {row["name"] for row in response.context["rows"]} >= {"Supplier A", "Supplier B"}


# --- the gate on the comparison page ------------------------------------------------------------


def test_the_comparison_says_why_a_supplier_is_not_ranked_and_links_to_the_results(
    client, buyer, closed, proposal_b
):
    client.force_login(buyer)
    html = client.get(reverse("rfx-comparison", args=[closed.pk])).content.decode()
    excluded = html.split('data-testid="excluded-row"')[1].split("</li>")[0]
    results = url("rfx-competition-results", closed)
    assert "<strong>Blue Heron AI</strong> is not ranked: did not pass the competition bar (" in (
        excluded
    )
    assert f'href="{results}#result-{proposal_b.pk}">see the competition results</a>).' in excluded
    assert 'data-testid="competition-link"' in html
    # The evaluation tabs lead to the leaderboard.
    assert f'href="{results}"' in html.split('aria-label="Evaluation"')[1].split("</nav>")[0]
