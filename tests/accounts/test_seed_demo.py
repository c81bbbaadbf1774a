"""`manage.py seed_demo`: demo organisations and logins for `make run`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Membership, Organisation, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The demo's uploads and sample files in a throwaway folder, never var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


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


def test_with_the_bundled_model_it_adds_a_published_rfp_with_a_tender_competition(
    bundled, media, client, django_capture_on_commit_callbacks
):
    from rfx import selectors
    from rfx.demo_competition import BARS
    from rfx.models import Competition, Invitation, RFx

    out = seed()
    rfx = RFx.objects.get(title="Predictive maintenance for the fleet")
    competition = Competition.objects.get(rfx=rfx)
    assert (rfx.status, rfx.has_competition, rfx.buyer.slug) == (
        RFx.Status.PUBLISHED,
        True,
        "northwind-rail",
    )
    assert (competition.rows, competition.classes, competition.group_columns) == (
        300,
        ["INSPECT", "OK", "REPAIR"],
        ["site"],
    )
    assert competition.bars == BARS and competition.is_ready
    assert sorted(Invitation.objects.filter(rfx=rfx).values_list("supplier__slug", "status")) == [
        ("acme-analytics", "accepted"),
        ("blue-heron-ai", "accepted"),
    ]
    assert f"/rfx/{rfx.pk}/competition/" in out
    # Both demo reviewers are on its team, so they see it (a reviewer off the team does not).
    assert sorted(rfx.reviewers.values_list("reviewer__username", "is_lead")) == [
        ("reviewer1", True),
        ("reviewer2", False),
    ]
    assert client.login(username="reviewer2", password=DEMO_PASSWORD)
    assert client.get(f"/rfx/{rfx.pk}/").status_code == 200
    client.logout()
    folder = media / "demo-competition"
    assert sorted(path.name for path in folder.iterdir()) == [
        "evaluation-inputs.csv",
        "hidden-labels.csv",
        "predictions-good.csv",
        "predictions-refused.csv",
        "predictions-unfair.csv",
        "training.csv",
    ]

    # A demo supplier can try it at once: the inputs are out, and the sample files behave.
    assert client.login(username="supplier-a", password=DEMO_PASSWORD)
    client.post(f"/rfx/{rfx.pk}/proposal/", {"action": "start"})
    page = f"/rfx/{rfx.pk}/supplier/competition/"
    for name in ("predictions-refused.csv", "predictions-unfair.csv", "predictions-good.csv"):
        with open(folder / name, "rb") as handle, django_capture_on_commit_callbacks(execute=True):
            assert client.post(page, {"file": handle}).status_code == 302
    proposal = rfx.proposals.get()
    files = list(selectors.prediction_submission_list(proposal))
    assert [(f.original_name, f.valid, f.status) for f in files] == [
        ("predictions-good.csv", True, "done"),
        ("predictions-unfair.csv", True, "done"),
        ("predictions-refused.csv", False, "failed"),
    ]
    assert [f.passed for f in files] == [True, False, None]

    seed()  # idempotent: still one demo RFP, its competition untouched
    assert RFx.objects.filter(title="Predictive maintenance for the fleet").count() == 1
    assert Competition.objects.get().pk == competition.pk


def test_without_the_bundled_model_it_still_writes_the_sample_files(media):
    out = seed()
    assert "load_framework --bundled" in out
    assert (media / "demo-competition" / "training.csv").exists()
