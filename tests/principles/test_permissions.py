"""Who may see a framework: public ones everyone, private ones only the owner's members."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from accounts.models import Membership
from principles.services import framework_load
from tests.factories import MembershipFactory, UserFactory
from tests.frameworks import to_yaml, vendor_data

pytestmark = pytest.mark.django_db

PRIVATE_PAGES = [
    "/principles/frameworks/acme-internal-review/",
    "/principles/frameworks/acme-internal-review/1.0/",
]
PRIVATE_API = [
    "/api/v1/frameworks/acme-internal-review/",
    "/api/v1/frameworks/acme-internal-review/1.0/",
]
STRANGERS = ["anonymous", "outsider", "supplier_b", "buyer", "reviewer"]


def sign_in(request, client, who: str):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))


@pytest.mark.parametrize("who", STRANGERS)
@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_a_private_framework_page_is_404_for_anyone_outside_the_owner(
    request, client, private_framework, who, url
):
    sign_in(request, client, who)

    response = client.get(url)

    assert response.status_code == 404
    assert b"Acme internal review" not in response.content


@pytest.mark.parametrize("who", STRANGERS)
@pytest.mark.parametrize("url", PRIVATE_API)
def test_a_private_framework_is_404_in_the_api_for_anyone_outside_the_owner(
    request, client, private_framework, who, url
):
    sign_in(request, client, who)

    response = client.get(url)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_a_private_framework_page_is_shown_to_the_owner(client, private_framework, supplier_a, url):
    client.force_login(supplier_a)

    response = client.get(url)

    assert response.status_code == 200
    assert b"Acme internal review" in response.content


@pytest.mark.parametrize("url", PRIVATE_API)
def test_a_private_framework_is_served_by_the_api_to_the_owner(
    client, private_framework, supplier_a, url
):
    client.force_login(supplier_a)

    response = client.get(url)

    assert response.status_code == 200
    assert (response.json()["slug"], response.json()["owner"]) == (
        "acme-internal-review",
        "acme-analytics",
    )


@pytest.mark.parametrize("who", ["anonymous", *STRANGERS[1:], "supplier_a"])
def test_a_public_framework_is_visible_to_everyone(request, client, vendor_framework, who):
    sign_in(request, client, who)

    assert client.get("/principles/frameworks/vendor-security-questionnaire/").status_code == 200
    assert client.get("/api/v1/frameworks/vendor-security-questionnaire/").status_code == 200


def test_a_private_framework_does_not_appear_in_lists_for_others(
    client, vendor_framework, private_framework, supplier_b
):
    client.force_login(supplier_b)

    assert b"Acme internal review" not in client.get("/principles/frameworks/").content
    assert b"Acme internal review" not in client.get("/").content


def test_the_owner_sees_the_private_framework_in_the_list(client, private_framework, supplier_a):
    client.force_login(supplier_a)

    assert b"Acme internal review" in client.get("/principles/frameworks/").content


def test_a_person_who_joins_the_owner_later_can_see_it(client, private_framework, supplier_a_org):
    newcomer = UserFactory(username="frank")
    client.force_login(newcomer)
    assert client.get(PRIVATE_API[0]).status_code == 404

    MembershipFactory(user=newcomer, organisation=supplier_a_org, role=Membership.Role.SUPPLIER)

    assert client.get(PRIVATE_API[0]).status_code == 200


# --- the rules predicates --------------------------------------------------------------


def test_view_framework_allows_anyone_a_public_framework(vendor_framework, outsider, supplier_a):
    for user in (AnonymousUser(), outsider, supplier_a):
        assert rules.has_perm("principles.view_framework", user, vendor_framework) is True


def test_view_framework_allows_a_private_framework_to_members_of_its_owner_only(
    private_framework, supplier_a, supplier_b, outsider, buyer, reviewer
):
    allowed = {
        user.username: rules.has_perm("principles.view_framework", user, private_framework)
        for user in (supplier_a, supplier_b, outsider, buyer, reviewer)
    }

    assert allowed == {"charlie": True, "dana": False, "eve": False, "alice": False, "bob": False}
    assert rules.has_perm("principles.view_framework", AnonymousUser(), private_framework) is False


def test_view_framework_allows_staff_every_framework(private_framework):
    staff = UserFactory(username="staff", is_staff=True)

    assert rules.has_perm("principles.view_framework", staff, private_framework) is True


def test_the_django_permission_check_uses_the_same_rule(private_framework, supplier_a, supplier_b):
    assert supplier_a.has_perm("principles.view_framework", private_framework) is True
    assert supplier_b.has_perm("principles.view_framework", private_framework) is False


def test_change_framework_is_for_the_owners_procurement_manager_and_superusers(
    principles_loaded, buyer_org, buyer, reviewer, supplier_a, vendor_framework
):
    data = vendor_data()
    data["slug"] = "northwind-vendor-review"
    owned = framework_load(text=to_yaml(data), source="northwind.yaml", owner=buyer_org).framework
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)

    assert rules.has_perm("principles.change_framework", buyer, owned) is True
    assert rules.has_perm("principles.change_framework", reviewer, owned) is False
    assert rules.has_perm("principles.change_framework", supplier_a, owned) is False
    assert rules.has_perm("principles.change_framework", superuser, owned) is True
    # A public framework belongs to no one: only a superuser may change it.
    assert rules.has_perm("principles.change_framework", buyer, vendor_framework) is False
    assert rules.has_perm("principles.change_framework", superuser, vendor_framework) is True
