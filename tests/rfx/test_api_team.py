"""The evaluation team through the API (/api/v1/rfx/<id>/team/): read, assign, change, remove.

Roles as in tests/rfx/test_api.py: alice (procurement manager), bob (reviewer on the team,
lead, declared), frank (reviewer of the buyer, not on the team), charlie and dana (suppliers
A and B), eve (no organisation). Who may call each endpoint is in tests/rfx/test_api_access.py.
"""

# The role and state fixtures come from tests/rfx/test_api.py and are named as parameters.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest

from assessments.models import ReviewerAssignment
from rfx import services
from rfx.models import RFxReviewer
from tests.rfx.conftest import frozen
from tests.rfx.test_api import (  # noqa: F401  (fixtures)
    API,
    bob,
    client_for,
    draft_state,
    frank,
    tasks_in_process,
    ts,
)

pytestmark = pytest.mark.django_db


def member_body(member: RFxReviewer) -> dict:
    member.refresh_from_db()
    reviewer = member.reviewer
    return {
        "rfx": member.rfx_id,
        "reviewer": {
            "id": reviewer.pk,
            "username": reviewer.username,
            "name": reviewer.get_full_name(),
        },
        "is_lead": member.is_lead,
        "criterion_codes": member.criterion_codes,
        "no_conflict_declared_at": ts(member.no_conflict_declared_at),
        "created_at": ts(member.created_at),
        "updated_at": ts(member.updated_at),
    }


def test_the_manager_and_the_team_read_the_team(closed_rfx, buyer, bob, frank):
    services.rfx_reviewer_assign(
        rfx=closed_rfx, reviewer=frank, user=buyer, criterion_codes=["1", "2"]
    )
    members = list(RFxReviewer.objects.filter(rfx=closed_rfx).order_by("reviewer__username"))
    expected = [member_body(member) for member in members]
    assert [item["reviewer"]["username"] for item in expected] == ["bob", "frank"]
    assert expected[0]["is_lead"] and expected[0]["no_conflict_declared_at"] is not None
    assert expected[1]["criterion_codes"] == ["1", "2"]
    for user in (buyer, bob, frank):
        response = client_for(user).get(f"{API}{closed_rfx.pk}/team/")
        assert response.status_code == 200
        assert response.json() == expected


def test_the_team_list_query_count_does_not_grow_with_members(
    draft_rfx, buyer, buyer_org, django_assert_num_queries
):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    client = client_for(buyer)

    def add(username: str) -> None:
        user = MembershipFactory(
            user=UserFactory(username=username), organisation=buyer_org, role="reviewer"
        ).user
        services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=user, user=buyer)

    add("ines")
    with django_assert_num_queries(TEAM_QUERIES):
        assert len(client.get(f"{API}{draft_rfx.pk}/team/").json()) == 1
    for name in ("jon", "kim", "lea"):
        add(name)
    with django_assert_num_queries(TEAM_QUERIES):
        assert len(client.get(f"{API}{draft_rfx.pk}/team/").json()) == 4
    assert Membership.objects.filter(role="reviewer").count() == 4


TEAM_QUERIES = 5  # session, user, RFx, the manager's roles, the team


def test_a_manager_puts_a_reviewer_on_the_team_by_username(draft_state, buyer, bob, frank):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/team/",
        {"username": "frank", "is_lead": True, "criterion_codes": ["3", "1", "3"]},
        format="json",
    )
    assert response.status_code == 201
    member = RFxReviewer.objects.get(rfx=rfx, reviewer=frank)
    assert (member.is_lead, member.criterion_codes) == (True, ["3", "1"])
    assert response.json() == member_body(member)
    # One lead per RFx: bob is not the lead any more.
    assert not RFxReviewer.objects.get(rfx=rfx, reviewer=bob).is_lead


def test_sending_a_member_again_by_id_replaces_their_place_on_the_team(draft_state, buyer, bob):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/team/", {"reviewer": bob.pk, "criterion_codes": ["2"]}, format="json"
    )
    assert response.status_code == 200
    member = RFxReviewer.objects.get(rfx=rfx, reviewer=bob)
    assert (member.is_lead, member.criterion_codes) == (False, ["2"])
    assert member.no_conflict_declared_at is not None  # the declaration stays
    assert response.json() == member_body(member)
    assert RFxReviewer.objects.filter(rfx=rfx).count() == 1


def test_a_member_added_after_the_close_is_assigned_to_every_submitted_questionnaire(
    closed_rfx, proposal_a, proposal_b, buyer, frank
):
    response = client_for(buyer).post(
        f"{API}{closed_rfx.pk}/team/", {"username": "frank"}, format="json"
    )
    assert response.status_code == 201
    assert set(
        ReviewerAssignment.objects.filter(reviewer=frank).values_list("assessment_id", flat=True)
    ) == {proposal_a.maturity_assessment_id, proposal_b.maturity_assessment_id}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"reviewer": ["Name the reviewer: their user id, or their username."]}),
        (
            {"reviewer": 1, "username": "frank"},
            {"reviewer": ["Give the reviewer's user id or their username, not both."]},
        ),
        ({"reviewer": "frank"}, {"reviewer": ["A valid integer is required."]}),
        (
            {"username": "frank", "criterion_codes": "1"},
            {"criterion_codes": ['Expected a list of items but got type "str".']},
        ),
        (
            {"username": "frank", "is_lead": "perhaps"},
            {"is_lead": ["Must be a valid boolean."]},
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(draft_state, buyer, frank, body, errors):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(f"{API}{rfx.pk}/team/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not RFxReviewer.objects.filter(rfx=rfx, reviewer=frank).exists()


@pytest.mark.parametrize("username", ["nobody", "charlie", "eve"])
def test_only_the_buyers_own_staff_can_be_named_and_no_one_else_is_revealed(
    draft_state, buyer, supplier_a, outsider, username
):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(f"{API}{rfx.pk}/team/", {"username": username}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "username": [f"Northwind Rail has no reviewer or procurement manager with {username}."]
    }
    assert RFxReviewer.objects.filter(rfx=rfx).count() == 1


def test_an_unknown_user_id_is_a_400_naming_the_field(draft_state, buyer, supplier_a):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/team/", {"reviewer": supplier_a.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "reviewer": [
            f"Northwind Rail has no reviewer or procurement manager with the id {supplier_a.pk}."
        ]
    }


def test_an_unknown_criterion_is_a_400_and_nothing_changes(draft_state, buyer, frank):
    rfx = draft_state["rfx"]
    response = client_for(buyer).post(
        f"{API}{rfx.pk}/team/", {"username": "frank", "criterion_codes": ["1", "Z9"]}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown criterion code(s): Z9."}
    assert not RFxReviewer.objects.filter(rfx=rfx, reviewer=frank).exists()


def test_a_manager_changes_only_what_is_sent(draft_state, buyer, bob):
    rfx = draft_state["rfx"]
    url = f"{API}{rfx.pk}/team/{bob.pk}/"
    response = client_for(buyer).patch(url, {"criterion_codes": ["4"]}, format="json")
    assert response.status_code == 200
    member = RFxReviewer.objects.get(rfx=rfx, reviewer=bob)
    assert (member.is_lead, member.criterion_codes) == (True, ["4"])
    assert response.json() == member_body(member)

    response = client_for(buyer).patch(url, {"is_lead": False}, format="json")
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.is_lead, member.criterion_codes) == (False, ["4"])
    assert response.json() == member_body(member)


def test_a_change_with_nothing_in_it_is_a_400(draft_state, buyer, bob):
    rfx = draft_state["rfx"]
    response = client_for(buyer).patch(f"{API}{rfx.pk}/team/{bob.pk}/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Send `is_lead`, `criterion_codes` or both."]}


def test_someone_off_the_team_is_a_404_for_change_and_removal(draft_state, buyer, frank):
    rfx = draft_state["rfx"]
    client = client_for(buyer)
    url = f"{API}{rfx.pk}/team/{frank.pk}/"
    for response in (client.patch(url, {"is_lead": True}, format="json"), client.delete(url)):
        assert response.status_code == 404
        assert response.json() == {"detail": "This RFx's evaluation team has no such reviewer."}
    assert not RFxReviewer.objects.filter(rfx=rfx, reviewer=frank).exists()


def test_removing_a_reviewer_who_has_not_scored_takes_them_off_every_questionnaire(
    closed_rfx, proposal_a, proposal_b, buyer, bob
):
    assert ReviewerAssignment.objects.filter(reviewer=bob).count() == 2
    response = client_for(buyer).delete(f"{API}{closed_rfx.pk}/team/{bob.pk}/")
    assert response.status_code == 204
    assert response.content == b""
    assert not RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=bob).exists()
    assert not ReviewerAssignment.objects.filter(reviewer=bob).exists()
    # The history keeps who removed them.
    removed = RFxReviewer.history.filter(reviewer_id=bob.pk, history_type="-").get()
    assert removed.history_user == buyer
    assert (
        ReviewerAssignment.history.filter(
            reviewer_id=bob.pk, history_type="-", history_user=buyer
        ).count()
        == 2
    )
    # And bob, off the team, no longer sees the RFx, let alone its proposals.
    assert client_for(bob).get(f"{API}{closed_rfx.pk}/proposals/").status_code == 404


def test_a_reviewer_who_has_scored_stays_on_the_team(closed_rfx, proposal_a, buyer, bob):
    services.terms_score_set(proposal=proposal_a, reviewer=bob, score=2)
    response = client_for(buyer).delete(f"{API}{closed_rfx.pk}/team/{bob.pk}/")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"{bob} has already scored proposals of this RFx (or dismissed a red flag); "
        "that stays part of the evaluation, so they stay on the team."
    }
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=bob).exists()
    assert ReviewerAssignment.objects.filter(reviewer=bob).count() == 2


def test_no_reviewer_is_removed_once_the_technical_scores_are_locked(closed_rfx, buyer, frank):
    """frank joined after the close and scored nothing: the lock alone keeps him."""
    services.rfx_reviewer_assign(rfx=closed_rfx, reviewer=frank, user=buyer)
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    response = client_for(buyer).delete(f"{API}{closed_rfx.pk}/team/{frank.pk}/")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The technical scores of this RFx are locked, so its reviewers can no longer "
        "leave or be removed: the scores they gave stay part of the evaluation."
    }
    assert RFxReviewer.objects.filter(rfx=closed_rfx, reviewer=frank).exists()
    assert ReviewerAssignment.objects.filter(reviewer=frank).count() == 2


def test_the_team_of_an_awarded_rfx_no_longer_changes(
    closed_rfx, proposal_a, buyer, frank, django_capture_on_commit_callbacks
):
    services.rfx_reviewer_assign(rfx=closed_rfx, reviewer=frank, user=buyer)
    services.rfx_lock_technical_scores(rfx=closed_rfx, user=buyer)
    services.rfx_mark_evaluated(rfx=closed_rfx, user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_award(rfx=closed_rfx, proposal=proposal_a, justification="Best.", user=buyer)
    client = client_for(buyer)
    removal = client.delete(f"{API}{closed_rfx.pk}/team/{frank.pk}/")
    assert removal.status_code == 400
    assert removal.json() == {
        "detail": "This RFx is awarded: its evaluation team is part of the record and no longer "
        "changes."
    }
    assignment = client.post(f"{API}{closed_rfx.pk}/team/", {"username": "frank"})
    assert assignment.status_code == 400
    assert assignment.json() == {"detail": "This RFx is awarded."}
    assert RFxReviewer.objects.filter(rfx=closed_rfx).count() == 2


def test_an_undeclared_reviewer_sees_the_team_before_declaring(
    published_rfx, proposal_a, buyer, bob
):
    services.rfx_reviewer_assign(rfx=published_rfx, reviewer=bob, user=buyer)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    response = client_for(bob).get(f"{API}{published_rfx.pk}/team/")
    assert response.status_code == 200
    assert response.json()[0]["no_conflict_declared_at"] is None
