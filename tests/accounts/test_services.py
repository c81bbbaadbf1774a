"""Organisations and memberships: the services, and signing in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, Organisation
from accounts.selectors import organisation_ids_for_user, organisation_list_for_user
from accounts.services import membership_create, organisation_create
from core.exceptions import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_organisation_create_derives_the_slug_from_the_name():
    organisation = organisation_create(
        name="Northwind Rail & Freight", kind=Organisation.Kind.BUYER
    )

    organisation.refresh_from_db()
    assert (organisation.name, organisation.slug, organisation.kind) == (
        "Northwind Rail & Freight",
        "northwind-rail-freight",
        "buyer",
    )


def test_organisation_create_refuses_an_unknown_kind_and_a_taken_slug(buyer_org):
    with pytest.raises(ValidationError) as caught:
        organisation_create(name="Somebody", kind="government")
    assert "kind" in caught.value.message_dict

    with pytest.raises(ValidationError) as caught:
        organisation_create(name="Northwind Rail", kind=Organisation.Kind.BUYER)
    assert "slug" in caught.value.message_dict
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (Organisation.Kind.BUYER, Membership.Role.PROCUREMENT_MANAGER),
        (Organisation.Kind.BUYER, Membership.Role.REVIEWER),
        (Organisation.Kind.SUPPLIER, Membership.Role.SUPPLIER),
    ],
)
def test_membership_create_accepts_the_roles_of_the_organisation_kind(kind, role):
    organisation = organisation_create(name="Some Organisation", kind=kind)
    user = UserFactory()

    membership = membership_create(user=user, organisation=organisation, role=role)

    membership.refresh_from_db()
    assert (membership.user, membership.organisation, membership.role) == (user, organisation, role)


def test_membership_create_refuses_a_supplier_role_in_a_buyer_organisation(buyer_org):
    with pytest.raises(ApplicationError) as caught:
        membership_create(user=UserFactory(), organisation=buyer_org, role=Membership.Role.SUPPLIER)

    assert caught.value.message == "A buyer organisation cannot have the role supplier."
    assert Membership.objects.count() == 0


@pytest.mark.parametrize("role", [Membership.Role.PROCUREMENT_MANAGER, Membership.Role.REVIEWER])
def test_membership_create_refuses_buyer_roles_in_a_supplier_organisation(supplier_a_org, role):
    with pytest.raises(ApplicationError) as caught:
        membership_create(user=UserFactory(), organisation=supplier_a_org, role=role)

    assert (
        caught.value.message
        == f"A supplier organisation cannot have the role {role.label.lower()}."
    )
    assert Membership.objects.count() == 0


def test_membership_create_refuses_a_second_membership_in_the_same_organisation(
    buyer_org, reviewer
):
    with pytest.raises(ValidationError):
        membership_create(
            user=reviewer, organisation=buyer_org, role=Membership.Role.PROCUREMENT_MANAGER
        )

    assert list(Membership.objects.filter(user=reviewer).values_list("role", flat=True)) == [
        "reviewer"
    ]


def test_membership_create_refuses_an_unknown_role(buyer_org):
    with pytest.raises(ValueError, match="'owner' is not a valid Membership.Role"):
        membership_create(user=UserFactory(), organisation=buyer_org, role="owner")


def test_a_person_may_belong_to_several_organisations(buyer_org, supplier_a_org):
    user = UserFactory()
    membership_create(user=user, organisation=buyer_org, role=Membership.Role.REVIEWER)
    membership_create(user=user, organisation=supplier_a_org, role=Membership.Role.SUPPLIER)

    assert organisation_ids_for_user(user) == {buyer_org.pk, supplier_a_org.pk}
    assert list(organisation_list_for_user(user).order_by("name")) == [supplier_a_org, buyer_org]


def test_the_is_buyer_side_property_follows_the_role(buyer, reviewer, supplier_a):
    sides = {
        user.username: user.memberships.get().is_buyer_side
        for user in (buyer, reviewer, supplier_a)
    }

    assert sides == {"alice": True, "bob": True, "charlie": False}


# --- signing in -------------------------------------------------------------------------


def test_the_login_page_answers_200_with_a_form(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_a_good_login_redirects_home_and_signs_in(client, buyer, password):
    response = client.post("/accounts/login/", {"username": "alice", "password": password})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(buyer.pk)


def test_a_good_login_follows_a_safe_next_and_ignores_another_site(client, buyer, password):
    response = client.post(
        "/accounts/login/?next=/accounts/profile/", {"username": "alice", "password": password}
    )
    assert response["Location"] == "/accounts/profile/"
    client.logout()

    response = client.post(
        "/accounts/login/?next=https://evil.example.com/",
        {"username": "alice", "password": password},
    )
    assert response["Location"] == "/"


def test_a_bad_password_shows_the_form_again_without_signing_in(client, buyer):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_a_signed_in_person_visiting_login_is_sent_home(client, buyer):
    client.force_login(buyer)

    response = client.get("/accounts/login/")

    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_profile_needs_a_login_and_lists_memberships(client, reviewer):
    response = client.get("/accounts/profile/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/accounts/profile/",
    )

    client.force_login(reviewer)
    response = client.get("/accounts/profile/")

    assert response.status_code == 200
    assert b"Northwind Rail" in response.content
    assert list(response.context["membership_list"]) == list(reviewer.memberships.all())


def test_logout_is_a_post_and_signs_out(client, buyer):
    client.force_login(buyer)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/")
    assert "_auth_user_id" not in client.session
