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
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for every demo user")

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
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.test"},
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            Membership.objects.update_or_create(
                user=user, organisation=organisations[org_slug], defaults={"role": role}
            )
            rows.append((username, Membership.Role(role).label, organisations[org_slug].name))
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.test", "is_staff": True, "is_superuser": True}
        )
        admin.set_password(password)
        admin.save(update_fields=["password"])
        rows.append(("admin", "Administrator", "(Django admin at /admin/)"))

        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: %s)" % password))
        width = max(len(row[0]) for row in rows)
        for username, role, organisation in rows:
            self.stdout.write(f"  {username.ljust(width)}  {role:<20}  {organisation}")
