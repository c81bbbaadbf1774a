import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from principles.services import bundled_load
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture
def bundled(db):
    """The bundled principles and ML Maturity Model, loaded as `make run` loads them."""
    return bundled_load()


@pytest.fixture
def buyer_org(db):
    return OrganisationFactory(name="Northwind Rail", slug="northwind-rail", kind=Organisation.Kind.BUYER)


@pytest.fixture
def supplier_a_org(db):
    return OrganisationFactory(name="Acme Analytics", slug="acme-analytics", kind=Organisation.Kind.SUPPLIER)


@pytest.fixture
def supplier_b_org(db):
    return OrganisationFactory(name="Blue Heron AI", slug="blue-heron-ai", kind=Organisation.Kind.SUPPLIER)


@pytest.fixture
def buyer(buyer_org):
    """The procurement manager of the buyer organisation."""
    return MembershipFactory(
        user=UserFactory(username="alice"), organisation=buyer_org, role=Membership.Role.PROCUREMENT_MANAGER
    ).user


@pytest.fixture
def reviewer(buyer_org):
    return MembershipFactory(
        user=UserFactory(username="bob"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def supplier_a(supplier_a_org):
    return MembershipFactory(
        user=UserFactory(username="charlie"), organisation=supplier_a_org, role=Membership.Role.SUPPLIER
    ).user


@pytest.fixture
def supplier_b(supplier_b_org):
    return MembershipFactory(
        user=UserFactory(username="dana"), organisation=supplier_b_org, role=Membership.Role.SUPPLIER
    ).user


@pytest.fixture
def outsider(db):
    """A signed-in person who belongs to no organisation."""
    return UserFactory(username="eve")


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api_client():
    return APIClient()
