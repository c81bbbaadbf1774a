"""Evaluation pages of an RFx: team, declaration, proposals, comparison and award."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse

from accounts.models import Membership, Organisation
from rfx import services
from rfx.evaluation import rank
from rfx.models import Award, Invitation, RFx, RFxReviewer, TermsScore
from rfx.selectors import evaluation_inputs
from tests.factories import MembershipFactory, UserFactory
from tests.rfx.conftest import frozen, submit_proposal

PAGES = ["rfx-team", "rfx-declaration", "rfx-evaluation", "rfx-comparison", "rfx-award"]


@pytest.fixture
def undeclared(buyer_org, closed_rfx, buyer):
    """frank: on the team, has not declared yet."""
    user = MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    services.rfx_reviewer_assign(rfx=closed_rfx, reviewer=user, user=buyer)
    return user


@pytest.fixture
def unassigned(buyer_org):
    """grace: a reviewer of the buyer, not on this RFx's team."""
    return MembershipFactory(
        user=UserFactory(username="grace"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


def url(name: str, rfx: RFx, *args: int) -> str:
    return reverse(name, args=[rfx.pk, *args])


def html_of(client, user, address: str) -> str:
    client.force_login(user)
    response = client.get(address)
    assert response.status_code == 200, address
    return response.content.decode()


def lock(rfx: RFx, buyer) -> None:
    services.rfx_lock_technical_scores(rfx=rfx, user=buyer)
    rfx.refresh_from_db()


# --- permission matrix -------------------------------------------------------------------------

EXPECTED = {
    "buyer": {
        "rfx-team": 200,
        "rfx-declaration": 404,
        "rfx-evaluation": 200,
        "rfx-comparison": 200,
        "rfx-award": 200,
    },
    "reviewer": {
        "rfx-team": 403,
        "rfx-declaration": 200,
        "rfx-evaluation": 200,
        "rfx-comparison": 200,
        "rfx-award": 403,
    },
    "undeclared": {
        "rfx-team": "declaration",
        "rfx-declaration": 200,
        "rfx-evaluation": "declaration",
        "rfx-comparison": "declaration",
        "rfx-award": "declaration",
    },
    "unassigned": dict.fromkeys(PAGES, 404),
    "supplier_a": dict.fromkeys(PAGES, 404),
    "supplier_b": dict.fromkeys(PAGES, 404),
    "outsider": dict.fromkeys(PAGES, 404),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_what_it_may_on_every_evaluation_page(
    client, request, closed_rfx, undeclared, unassigned, role
):
    client.force_login(request.getfixturevalue(role))
    for name in PAGES:
        response = client.get(url(name, closed_rfx))
        expected = EXPECTED[role][name]
        if expected == "declaration":
            assert response.status_code == 302, name
            assert response["Location"] == url("rfx-declaration", closed_rfx), name
        else:
            assert response.status_code == expected, (name, response.status_code)
            if expected == 404:
                assert b"Perpetual licence" not in response.content
                assert b"120000" not in response.content
                if role != "supplier_a":
                    assert b"Acme Analytics" not in response.content


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, closed_rfx, name):
    response = client.get(url(name, closed_rfx))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["supplier_a", "supplier_b", "outsider", "unassigned"])
def test_people_off_the_team_cannot_act_on_the_evaluation(
    client, request, closed_rfx, proposal_a, unassigned, role
):
    client.force_login(request.getfixturevalue(role))
    actions = [
        url("rfx-lock-technical", closed_rfx),
        url("rfx-mark-evaluated", closed_rfx),
        url("rfx-terms-score", closed_rfx, proposal_a.pk),
        url("rfx-team", closed_rfx),
        url("rfx-award", closed_rfx),
    ]
    for address in actions:
        response = client.post(
            address,
            {f"p{proposal_a.pk}-proposal": proposal_a.pk, f"p{proposal_a.pk}-score": "3"},
        )
        assert response.status_code == 404, address
    closed_rfx.refresh_from_db()
    assert closed_rfx.technical_scores_locked_at is None
    assert not TermsScore.objects.exists()


def test_a_reviewer_cannot_lock_mark_evaluated_assign_or_award(
    client, reviewer, closed_rfx, proposal_a, unassigned
):
    client.force_login(reviewer)
    assert client.post(url("rfx-lock-technical", closed_rfx)).status_code == 403
    assert client.post(url("rfx-mark-evaluated", closed_rfx)).status_code == 403
    assert client.post(url("rfx-team", closed_rfx), {"reviewer": unassigned.pk}).status_code == 403
    assert client.post(url("rfx-award", closed_rfx), {"justification": "x"}).status_code == 403
    closed_rfx.refresh_from_db()
    assert closed_rfx.technical_scores_locked_at is None
    assert closed_rfx.status == RFx.Status.CLOSED
    assert not RFxReviewer.objects.filter(reviewer=unassigned).exists()


def test_an_undeclared_reviewer_cannot_score_terms(client, undeclared, closed_rfx, proposal_a):
    client.force_login(undeclared)
    response = client.post(
        url("rfx-terms-score", closed_rfx, proposal_a.pk),
        {f"p{proposal_a.pk}-proposal": proposal_a.pk, f"p{proposal_a.pk}-score": "3"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("rfx-declaration", closed_rfx)
    assert not TermsScore.objects.exists()


def test_evaluation_pages_stay_sealed_before_the_deadline(
    client, buyer, reviewer, published_rfx, proposal_a
):
    member = services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer)
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    for user in (buyer, reviewer):
        for name in ("rfx-evaluation", "rfx-comparison"):
            html = html_of(client, user, url(name, published_rfx))
            assert "sealed until the proposal deadline" in html
            assert "Perpetual licence" not in html
            assert "Acme Analytics" not in html


# --- team and declaration ----------------------------------------------------------------------


def test_the_manager_assigns_a_lead_reviewer_for_some_criteria(
    client, buyer, closed_rfx, unassigned, framework
):
    codes = list(framework.criteria.order_by("order").values_list("code", flat=True)[:2])
    client.force_login(buyer)
    response = client.post(
        url("rfx-team", closed_rfx),
        {"reviewer": unassigned.pk, "is_lead": "on", "criterion_codes": codes},
    )
    assert response.status_code == 302
    member = RFxReviewer.objects.get(rfx=closed_rfx, reviewer=unassigned)
    assert member.is_lead is True
    assert member.criterion_codes == codes
    assert member.no_conflict_declared_at is None
    assert RFxReviewer.objects.filter(rfx=closed_rfx, is_lead=True).count() == 1
    html = html_of(client, buyer, url("rfx-team", closed_rfx))
    assert "Not declared yet" in html
    assert "No conflict declared" in html  # bob
    assert ", ".join(codes) in html


def test_the_team_form_refuses_someone_outside_the_buyer_and_keeps_the_choices(
    client, buyer, closed_rfx, supplier_a, framework
):
    code = framework.criteria.order_by("order").values_list("code", flat=True)[0]
    client.force_login(buyer)
    response = client.post(
        url("rfx-team", closed_rfx),
        {"reviewer": supplier_a.pk, "is_lead": "on", "criterion_codes": [code]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert re.search(rf'value="{code}"[^>]*checked', html)
    assert not RFxReviewer.objects.filter(reviewer=supplier_a).exists()


def test_a_reviewer_declares_no_conflict_and_then_reaches_the_proposals(
    client, undeclared, closed_rfx
):
    client.force_login(undeclared)
    refused = client.post(url("rfx-declaration", closed_rfx), {})
    assert refused.status_code == 400
    member = RFxReviewer.objects.get(rfx=closed_rfx, reviewer=undeclared)
    assert member.no_conflict_declared_at is None

    response = client.post(url("rfx-declaration", closed_rfx), {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url("rfx-evaluation", closed_rfx)
    member.refresh_from_db()
    assert member.no_conflict_declared_at is not None
    html = html_of(client, undeclared, url("rfx-evaluation", closed_rfx))
    assert "Perpetual licence to the models." in html


# --- evaluation: terms, price envelope, lock ----------------------------------------------------


def test_a_reviewer_scores_terms_and_a_bad_score_keeps_the_comment(
    client, reviewer, closed_rfx, proposal_a
):
    client.force_login(reviewer)
    prefix = f"p{proposal_a.pk}"
    bad = client.post(
        url("rfx-terms-score", closed_rfx, proposal_a.pk),
        {f"{prefix}-proposal": proposal_a.pk, f"{prefix}-score": "7", f"{prefix}-comment": "Fair"},
    )
    assert bad.status_code == 400
    assert "Fair</textarea>" in bad.content.decode()
    assert not TermsScore.objects.exists()

    good = client.post(
        url("rfx-terms-score", closed_rfx, proposal_a.pk),
        {f"{prefix}-proposal": proposal_a.pk, f"{prefix}-score": "2", f"{prefix}-comment": "Fair"},
    )
    assert good.status_code == 302
    score = TermsScore.objects.get(proposal=proposal_a, reviewer=reviewer)
    assert (score.score, score.comment) == (2, "Fair")
    html = html_of(client, reviewer, url("rfx-evaluation", closed_rfx))
    assert "2.00" in html


def test_prices_reach_reviewers_only_after_the_technical_lock(client, buyer, reviewer, closed_rfx):
    for name in ("rfx-evaluation", "rfx-comparison"):
        for user in (reviewer, buyer):
            html = html_of(client, user, url(name, closed_rfx))
            assert "120000" not in html and "90000" not in html, name
            assert "GBP" not in html
    client.force_login(buyer)
    response = client.post(url("rfx-lock-technical", closed_rfx))
    assert response.status_code == 302
    closed_rfx.refresh_from_db()
    assert closed_rfx.technical_scores_locked_at is not None
    for name in ("rfx-evaluation", "rfx-comparison"):
        html = html_of(client, reviewer, url(name, closed_rfx))
        assert "120000" in html and "90000" in html, name


def test_terms_cannot_be_scored_after_the_lock(client, buyer, reviewer, closed_rfx, proposal_a):
    lock(closed_rfx, buyer)
    client.force_login(reviewer)
    prefix = f"p{proposal_a.pk}"
    response = client.post(
        url("rfx-terms-score", closed_rfx, proposal_a.pk),
        {f"{prefix}-proposal": proposal_a.pk, f"{prefix}-score": "3"},
    )
    assert response.status_code == 403
    assert not TermsScore.objects.exists()


def test_blind_grading_hides_names_from_reviewers_not_from_the_manager(
    client, buyer, reviewer, closed_rfx
):
    RFx.objects.filter(pk=closed_rfx.pk).update(blind_grading=True)
    for name in ("rfx-evaluation", "rfx-comparison"):
        html = html_of(client, reviewer, url(name, closed_rfx))
        assert "Acme Analytics" not in html and "Blue Heron AI" not in html, name
        assert "Supplier A" in html and "Supplier B" in html, name
        manager_html = html_of(client, buyer, url(name, closed_rfx))
        assert "Acme Analytics" in manager_html and "Blue Heron AI" in manager_html


# --- comparison --------------------------------------------------------------------------------


def ranked_rows(html: str) -> list[tuple[str, str]]:
    rows = re.findall(
        r'data-testid="ranked-row" data-supplier="([^"]+)">.*?data-testid="total">([^<]+)<',
        html,
        re.S,
    )
    return [(name, total.strip()) for name, total in rows]


def test_the_comparison_shows_the_ranking_rank_computes(
    client, buyer, reviewer, closed_rfx, proposal_a, proposal_b
):
    services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=3)
    services.terms_score_set(proposal=proposal_b, reviewer=reviewer, score=1)
    lock(closed_rfx, buyer)
    inputs = [
        {k: v for k, v in item.items() if k != "proposal_id"}
        for item in evaluation_inputs(closed_rfx)
    ]
    expected = rank(
        inputs,
        closed_rfx.weights,
        {"disqualify_on_critical_red_flags": closed_rfx.disqualify_on_critical_red_flags},
    )
    assert len(expected["ranking"]) == 2
    html = html_of(client, reviewer, url("rfx-comparison", closed_rfx))
    assert ranked_rows(html) == [
        (entry["supplier_name"], floatformat(entry["total"], 2)) for entry in expected["ranking"]
    ]
    for entry in expected["ranking"]:
        for part in entry["breakdown"]:
            assert f"<strong>{floatformat(part['contribution'], 2)}</strong>" in html
    assert expected["sensitivity"]
    for row in expected["sensitivity"]:
        low, high = floatformat(row["low"], "-2"), floatformat(row["high"], "-2")
        assert f"safe from {low} to {high}" in html


def test_the_comparison_lists_excluded_proposals_with_the_reason(
    client, buyer, reviewer, closed_rfx, proposal_a, proposal_b
):
    # Terms scored for A only: B is missing a score that applies.
    services.terms_score_set(proposal=proposal_a, reviewer=reviewer, score=3)
    RFx.objects.filter(pk=closed_rfx.pk).update(disqualify_on_critical_red_flags=True)
    html = html_of(client, buyer, url("rfx-comparison", closed_rfx))
    excluded = html.split('data-testid="excluded"')[1].split("</ul>")[0]
    assert "Blue Heron AI" in excluded
    assert "no licence and terms score yet" in excluded
    assert [name for name, _ in ranked_rows(html)] == ["Acme Analytics"]
    assert "Technical ranking" in html


def test_the_technical_ranking_before_the_lock_leaves_cost_out(
    client, reviewer, closed_rfx, proposal_a, proposal_b
):
    html = html_of(client, reviewer, url("rfx-comparison", closed_rfx))
    assert "Technical ranking" in html
    assert ">Cost<" not in html and "Cost:" not in html
    assert len(ranked_rows(html)) == 2


# --- award -------------------------------------------------------------------------------------


def test_the_manager_locks_marks_evaluated_and_awards_with_a_justification(
    client, buyer, closed_rfx, proposal_a, proposal_b, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    not_ready = html_of(client, buyer, url("rfx-award", closed_rfx))
    assert 'data-testid="not-ready"' in not_ready
    assert client.post(url("rfx-mark-evaluated", closed_rfx)).status_code == 302
    closed_rfx.refresh_from_db()
    assert closed_rfx.status == RFx.Status.CLOSED  # not locked yet: refused
    client.post(url("rfx-lock-technical", closed_rfx))
    response = client.post(url("rfx-mark-evaluated", closed_rfx))
    assert response["Location"] == url("rfx-award", closed_rfx)
    closed_rfx.refresh_from_db()
    assert closed_rfx.status == RFx.Status.EVALUATED

    refused = client.post(url("rfx-award", closed_rfx), {"proposal": proposal_b.pk})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Give the reasons for the award" in body
    assert re.search(rf'value="{proposal_b.pk}"[^>]*selected', body)
    assert not Award.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url("rfx-award", closed_rfx),
            {"proposal": proposal_b.pk, "justification": "Best value for the depots."},
        )
    assert done.status_code == 302
    closed_rfx.refresh_from_db()
    assert closed_rfx.status == RFx.Status.AWARDED
    award = Award.objects.get(rfx=closed_rfx)
    assert (award.proposal_id, award.justification) == (
        proposal_b.pk,
        "Best value for the depots.",
    )
    record = html_of(client, buyer, url("rfx-award", closed_rfx))
    assert "Decision record" in record
    assert "Blue Heron AI" in record and "Best value for the depots." in record
    assert "1 unsuccessful supplier" in record


# --- query counts ------------------------------------------------------------------------------


def add_suppliers(rfx: RFx, buyer, count: int) -> None:
    """Invite, accept and submit `count` more suppliers while the RFx is published."""
    for index in range(count):
        org = Organisation.objects.create(
            name=f"Extra Supplier {index}",
            slug=f"extra-supplier-{index}",
            kind=Organisation.Kind.SUPPLIER,
        )
        user = MembershipFactory(
            user=UserFactory(username=f"extra{index}"),
            organisation=org,
            role=Membership.Role.SUPPLIER,
        ).user
        services.invitation_create(rfx=rfx, supplier=org, email=f"x{index}@x.test", user=buyer)
        invitation = Invitation.objects.get(rfx=rfx, supplier=org)
        services.invitation_send(invitation=invitation, user=buyer)
        invitation.refresh_from_db()
        services.invitation_accept(invitation=invitation, user=user, accept_terms=True)
        submit_proposal(rfx, user, str(100000 + index))


@pytest.fixture
def evaluated_setup(published_rfx, buyer, reviewer, proposal_a, proposal_b):
    def build(extra: int) -> RFx:
        add_suppliers(published_rfx, buyer, extra)
        member = services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer)
        services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
        with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
            services.rfx_close_due()
        published_rfx.refresh_from_db()
        for proposal in published_rfx.proposals.all():
            services.terms_score_set(proposal=proposal, reviewer=reviewer, score=2)
        lock(published_rfx, buyer)
        return published_rfx

    return build


COMPARISON_QUERIES = 17


@pytest.mark.parametrize("extra", [0, 3])
def test_the_comparison_costs_the_same_queries_for_2_and_5_suppliers(
    client,
    reviewer,
    evaluated_setup,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    extra,
):
    with django_capture_on_commit_callbacks(execute=True):
        rfx = evaluated_setup(extra)
    client.force_login(reviewer)
    client.get(url("rfx-comparison", rfx))  # session and user warm
    with django_assert_num_queries(COMPARISON_QUERIES):
        response = client.get(url("rfx-comparison", rfx))
    assert len(ranked_rows(response.content.decode())) == 2 + extra


@pytest.mark.parametrize("extra", [0, 3])
def test_the_evaluation_page_costs_the_same_queries_for_2_and_5_suppliers(
    client,
    reviewer,
    evaluated_setup,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    extra,
):
    with django_capture_on_commit_callbacks(execute=True):
        rfx = evaluated_setup(extra)
    client.force_login(reviewer)
    with django_assert_num_queries(EVALUATION_QUERIES):
        response = client.get(url("rfx-evaluation", rfx))
    assert response.content.decode().count('data-testid="price"') == 2 + extra


EVALUATION_QUERIES = 12
