from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — printed on purpose: demo data only

ORGANISATIONS = [
    ("northwind-rail", "Northwind Rail", Organisation.Kind.BUYER),
    ("acme-analytics", "Acme Analytics", Organisation.Kind.SUPPLIER),
    ("blue-heron-ai", "Blue Heron AI", Organisation.Kind.SUPPLIER),
]
USERS = [
    ("manager", "Morgan", "Price", "northwind-rail", Membership.Role.PROCUREMENT_MANAGER),
    ("reviewer1", "Riley", "Khan", "northwind-rail", Membership.Role.REVIEWER),
    ("reviewer2", "Sam", "Okafor", "northwind-rail", Membership.Role.REVIEWER),
    ("supplier-a", "Alex", "Moreau", "acme-analytics", Membership.Role.SUPPLIER),
    ("supplier-b", "Bea", "Lindqvist", "blue-heron-ai", Membership.Role.SUPPLIER),
]


class Command(BaseCommand):
    help = "Create demo organisations and users (idempotent) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="password for every demo user"
        )

    @transaction.atomic
    def handle(self, *args, password, **options):
        organisations = {}
        for slug, name, kind in ORGANISATIONS:
            organisations[slug], _ = Organisation.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind}
            )
        rows = []
        for username, first, last, org_slug, role in USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.test",
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            Membership.objects.update_or_create(
                user=user, organisation=organisations[org_slug], defaults={"role": role}
            )
            rows.append((username, Membership.Role(role).label, organisations[org_slug].name))
        admin, _ = User.objects.get_or_create(
            username="admin",
            defaults={"email": "admin@example.test", "is_staff": True, "is_superuser": True},
        )
        admin.set_password(password)
        admin.save(update_fields=["password"])
        rows.append(("admin", "Administrator", "(Django admin at /admin/)"))
        demo = self._demo_assessment(organisations, {row[0]: row for row in rows})
        competition = _demo_competition(organisations)

        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password})"))
        width = max(len(row[0]) for row in rows)
        for username, role, organisation in rows:
            self.stdout.write(f"  {username.ljust(width)}  {role:<20}  {organisation}")
        if demo:
            self.stdout.write(demo)
        self.stdout.write(competition)

    def _demo_assessment(self, organisations, rows) -> str:
        """A submitted self-assessment of Blue Heron AI for Northwind Rail's reviewers to score."""
        from assessments import services
        from assessments.models import Assessment
        from principles.models import Framework

        framework = (
            Framework.objects.filter(slug="ml-maturity-model", owner__isnull=True)
            .order_by("-created_at")
            .first()
        )
        supplier = organisations["blue-heron-ai"]
        if framework is None:
            return "(Load the bundled frameworks for a demo assessment: load_framework --bundled.)"
        if Assessment.objects.filter(organisation=supplier, framework=framework).exists():
            return ""
        user = User.objects.get(username="supplier-b")
        assessment = services.assessment_create(
            framework=framework,
            organisation=supplier,
            user=user,
            reviewing_organisation=organisations["northwind-rail"],
            title="Blue Heron AI: route-demand forecasting",
        )
        for index, question in enumerate(framework.questions.order_by("criterion__order", "order")):
            services.answer_save(
                assessment=assessment, question=question, user=user, **_demo_answer(index, question)
            )
            if index % 3 == 0:
                services.evidence_add(
                    assessment=assessment,
                    question=question,
                    user=user,
                    url="https://example.org/blue-heron/evidence",
                    title="Process description",
                )
        services.assessment_submit(assessment=assessment, user=user)
        lead = services.reviewer_assign(
            assessment=assessment, reviewer=User.objects.get(username="reviewer1"), is_lead=True
        )
        services.reviewer_assign(
            assessment=assessment, reviewer=User.objects.get(username="reviewer2")
        )
        return (
            f"Demo assessment: '{assessment.title}' submitted by supplier-b "
            "for review by Northwind Rail "
            f"({lead.reviewer.username} leads, reviewer2 reviews): /assessments/{assessment.pk}/"
        )


def _demo_answer(index: int, question) -> dict:
    if question.answer_type == "number":
        return {"number": 5}
    if question.answer_type == "choice":
        return {"choices": [question.choices[min(1, len(question.choices) - 1)]]}
    explanation = (
        "Our platform team owns this; it is written down in the operating handbook "
        "and checked at each "
        "quarterly review with the product owner."
    )
    if question.answer_type == "text":
        return {"text": explanation}
    status = ("yes", "yes", "partial", "yes", "no")[index % 5]
    return {"status": status, "text": explanation if status != "no" else "Not yet in place."}


DEMO_RFP_TITLE = "Predictive maintenance for the fleet"


def demo_files_dir() -> Path:
    """Where the demo's CSV files are written for people to try: next to the media folder."""
    return Path(settings.MEDIA_ROOT).parent / "demo-competition"


def _demo_competition(organisations) -> str:
    """A published RFP of Northwind Rail with a small tender competition, both suppliers
    invited and accepted, the evaluation inputs already released; and sample files to try.

    An RFP with the demo title is reused: a draft without a competition gets one; one that
    has a competition, or is past its draft, is left as it is.
    """
    from principles.models import Framework
    from rfx import competition_services
    from rfx import services as rfx_services
    from rfx.demo_competition import BARS, DESCRIPTION, demo_files
    from rfx.models import Competition, Invitation, RFx

    files = demo_files()
    folder = demo_files_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    samples = (
        f"Demo competition files in {folder}: training.csv, evaluation-inputs.csv and "
        "hidden-labels.csv (to set up a competition of your own), predictions-good.csv, "
        "predictions-unfair.csv and predictions-refused.csv (to upload as a supplier)."
    )
    framework = (
        Framework.objects.filter(slug="ml-maturity-model", owner__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if framework is None:
        return "(Load the bundled frameworks for a demo competition: load_framework --bundled.)"
    buyer = organisations["northwind-rail"]
    rfx = RFx.objects.filter(buyer=buyer, title=DEMO_RFP_TITLE).order_by("pk").first()
    if rfx is not None and (
        rfx.status != RFx.Status.DRAFT or Competition.objects.filter(rfx=rfx).exists()
    ):
        return f"Demo competition: '{rfx.title}' at /rfx/{rfx.pk}/competition/\n{samples}"

    manager = User.objects.get(username="manager")
    now = timezone.now().replace(second=0, microsecond=0)
    if rfx is None:
        rfx = rfx_services.rfx_create(
            buyer=buyer, user=manager, title=DEMO_RFP_TITLE, framework=framework
        )
    rfx_services.rfx_update(
        rfx=rfx,
        user=manager,
        framework=rfx.framework or framework,
        clarification_deadline=now + timedelta(days=7),
        proposal_deadline=now + timedelta(days=21),
        shortlist_date=now + timedelta(days=28),
        contract_drafting_date=now + timedelta(days=42),
    )
    competition_services.competition_configure(
        rfx=rfx,
        user=manager,
        description=DESCRIPTION,
        primary_metric="macro_f1",
        bars=BARS,
        submission_limit=5,
        release_at=now + timedelta(hours=1),
    )
    for kind, name in (
        ("training", "training.csv"),
        ("labels", "hidden-labels.csv"),
        ("inputs", "evaluation-inputs.csv"),
    ):
        competition_services.competition_file_upload(
            rfx=rfx,
            user=manager,
            kind=kind,
            file=SimpleUploadedFile(name, files[name].encode(), content_type="text/csv"),
        )
    suppliers = [("acme-analytics", "supplier-a"), ("blue-heron-ai", "supplier-b")]
    for slug, username in suppliers:
        if not rfx.invitations.filter(supplier=organisations[slug]).exists():
            rfx_services.invitation_create(
                rfx=rfx,
                supplier=organisations[slug],
                email=f"{username}@example.test",
                user=manager,
            )
    # The evaluation team: a reviewer sees an RFx only once on its team.
    for username, is_lead in (("reviewer1", True), ("reviewer2", False)):
        rfx_services.rfx_reviewer_assign(
            rfx=rfx, reviewer=User.objects.get(username=username), user=manager, is_lead=is_lead
        )
    rfx_services.rfx_publish(rfx=rfx, user=manager)
    for slug, username in suppliers:
        invitation = Invitation.objects.get(rfx=rfx, supplier=organisations[slug])
        if invitation.status == Invitation.Status.PENDING:
            rfx_services.invitation_accept(
                invitation=invitation, user=User.objects.get(username=username), accept_terms=True
            )
    # Demo only: the evaluation inputs are out already, so suppliers can upload at once (the
    # set-up accepts only a release time in the future).
    Competition.objects.filter(rfx=rfx).update(release_at=now - timedelta(hours=1))
    return (
        f"Demo competition: '{rfx.title}' published by manager, reviewed by reviewer1 (lead) "
        f"and reviewer2, supplier-a and supplier-b invited, predictions open until "
        f"{rfx_services._when(rfx.proposal_deadline)}: "
        f"/rfx/{rfx.pk}/competition/\n{samples}"
    )
