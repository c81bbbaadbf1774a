"""`manage.py seed_demo`: demo organisations and logins for `make run`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Membership, Organisation, User

pytestmark = pytest.mark.django_db

EXPECTED_MEMBERSHIPS = [
    ("Acme Analytics", "supplier", "supplier-a", "supplier"),
    ("Blue Heron AI", "supplier", "supplier-b", "supplier"),
    ("Northwind Rail", "buyer", "manager", "procurement_manager"),
    ("Northwind Rail", "buyer", "reviewer1", "reviewer"),
    ("Northwind Rail", "buyer", "reviewer2", "reviewer"),
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def memberships() -> list[tuple[str, str, str, str]]:
    return list(
        Membership.objects.order_by("organisation__name", "user__username").values_list(
            "organisation__name", "organisation__kind", "user__username", "role"
        )
    )


def test_it_creates_a_buyer_with_a_manager_and_two_reviewers_and_two_suppliers_with_one_user_each():
    seed()

    assert memberships() == EXPECTED_MEMBERSHIPS
    assert sorted(Organisation.objects.values_list("slug", "kind")) == [
        ("acme-analytics", "supplier"),
        ("blue-heron-ai", "supplier"),
        ("northwind-rail", "buyer"),
    ]


def test_it_creates_an_admin_for_the_django_admin():
    seed()

    admin = User.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser, admin.memberships.count()) == (True, True, 0)


def test_every_demo_user_can_sign_in_with_the_printed_password(client):
    output = seed()

    assert f"Demo logins (password for all: {DEMO_PASSWORD})" in output
    for username in ("manager", "reviewer1", "reviewer2", "supplier-a", "supplier-b", "admin"):
        assert username in output
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()


def test_it_prints_one_line_per_login_with_role_and_organisation():
    lines = seed().splitlines()[1:7]

    assert [line.split()[0] for line in lines] == [
        "manager",
        "reviewer1",
        "reviewer2",
        "supplier-a",
        "supplier-b",
        "admin",
    ]
    assert "Procurement manager" in lines[0] and "Northwind Rail" in lines[0]
    assert "Supplier" in lines[4] and "Blue Heron AI" in lines[4]


def test_running_it_twice_creates_nothing_new():
    seed()
    before = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    manager_pk = User.objects.get(username="manager").pk

    seed()

    assert (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
    ) == before
    assert User.objects.get(username="manager").pk == manager_pk
    assert memberships() == EXPECTED_MEMBERSHIPS


def test_running_it_again_repairs_a_changed_role_and_resets_the_password(client):
    seed()
    manager = User.objects.get(username="manager")
    Membership.objects.filter(user=manager).update(role=Membership.Role.REVIEWER)
    manager.set_password("something-else-entirely")
    manager.save()

    seed()

    assert Membership.objects.get(user=manager).role == Membership.Role.PROCUREMENT_MANAGER
    assert client.login(username="manager", password=DEMO_PASSWORD)


def test_a_chosen_password_replaces_the_default(client):
    output = seed("--password", "another-demo-password-7")

    assert "password for all: another-demo-password-7" in output
    assert client.login(username="supplier-a", password="another-demo-password-7")
    assert not client.login(username="supplier-a", password=DEMO_PASSWORD)


def test_with_the_bundled_model_it_adds_a_submitted_assessment_for_the_buyer_to_review(bundled):
    from assessments.models import Assessment, AssessmentVersion, ReviewerAssignment

    out = seed()
    seed()  # idempotent: still one
    assessment = Assessment.objects.get()
    assert (
        assessment.organisation.slug,
        assessment.reviewing_organisation.slug,
        assessment.status,
    ) == ("blue-heron-ai", "northwind-rail", Assessment.Status.SUBMITTED)
    assert assessment.versions.get().status in (
        AssessmentVersion.Status.QUEUED,
        AssessmentVersion.Status.DONE,
    )
    assert sorted(ReviewerAssignment.objects.values_list("reviewer__username", "is_lead")) == [
        ("reviewer1", True),
        ("reviewer2", False),
    ]
    assert f"/assessments/{assessment.pk}/" in out
