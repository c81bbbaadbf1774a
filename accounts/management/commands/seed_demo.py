from django.core.management.base import BaseCommand
from django.db import transaction

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

        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password})"))
        width = max(len(row[0]) for row in rows)
        for username, role, organisation in rows:
            self.stdout.write(f"  {username.ljust(width)}  {role:<20}  {organisation}")
        if demo:
            self.stdout.write(demo)

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
