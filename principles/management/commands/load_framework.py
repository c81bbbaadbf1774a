from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from core.exceptions import ApplicationError
from principles.loader import FrameworkFileError
from principles.services import LoadResult, bundled_load, framework_load_path


class Command(BaseCommand):
    help = (
        "Load framework YAML files (DESIGN §3). Idempotent by slug and version; a version already "
        "loaded with different content is refused. --bundled loads the principles and every "
        "framework shipped with the product."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="framework files to load")
        parser.add_argument(
            "--bundled", action="store_true", help="load the bundled principles and frameworks"
        )
        parser.add_argument(
            "--owner", help="slug of the organisation that owns the framework (default: public)"
        )

    def handle(self, *args, paths, bundled, owner, **options):
        if not paths and not bundled:
            raise CommandError("Give one or more framework files, or --bundled.")
        organisation = None
        if owner:
            organisation = Organisation.objects.filter(slug=owner).first()
            if organisation is None:
                raise CommandError(f"No organisation with slug {owner!r}.")
        try:
            results = bundled_load() if bundled else []
            results += [framework_load_path(path=path, owner=organisation) for path in paths]
        except (FrameworkFileError, ApplicationError) as error:
            raise CommandError(str(error)) from None
        for result in results:
            self._report(result)

    def _report(self, result: LoadResult) -> None:
        framework = result.framework
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {framework.label}: {framework.criteria.count()} criteria, "
                    f"{framework.questions.count()} questions."
                )
            )
        else:
            self.stdout.write(
                f"{framework.label} is already loaded with the same content; nothing to do."
            )
