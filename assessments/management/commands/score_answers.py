import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.scoring import InputError, check_inputs, score
from principles.loader import FrameworkFileError, parse_framework
from principles.models import Framework
from principles.selectors import framework_spec, latest_version, parse_framework_reference


class Command(BaseCommand):
    help = (
        "Score answers against a framework without any RFx, through the same code the worker uses, "
        "and print the scorecard as JSON (DESIGN §4). --framework takes SLUG, SLUG@VERSION or the "
        "path of a framework YAML file (checked, not loaded)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--framework", required=True, help="SLUG, SLUG@VERSION or a .yaml file")
        parser.add_argument(
            "--answers", required=True, type=Path, help="JSON: question code → answer"
        )
        parser.add_argument(
            "--reviews", type=Path, help="JSON: question code → {scores, consensus}"
        )
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args, framework, answers, reviews, indent, **options):
        spec = self._framework(framework)
        answer_data = _read_json(answers, "answers")
        review_data = _read_json(reviews, "reviews") if reviews else {}
        try:
            check_inputs(spec, answer_data, review_data)
        except InputError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            json.dumps(score(spec, answer_data, review_data).as_dict(), indent=indent or None)
        )

    def _framework(self, reference: str) -> dict:
        path = Path(reference)
        if reference.endswith((".yaml", ".yml")):
            try:
                return parse_framework(path.read_text(encoding="utf-8"), str(path))
            except OSError as error:
                raise CommandError(f"{path}: cannot be read: {error}") from None
            except FrameworkFileError as error:
                raise CommandError(str(error)) from None
        slug, version = parse_framework_reference(reference)
        # Only public frameworks by name; an organisation's own can be scored from its file.
        candidates = Framework.objects.filter(slug=slug, owner__isnull=True)
        found = (
            candidates.filter(version=version).first() if version else latest_version(candidates)
        )
        if found is None:
            loaded = (
                ", ".join(sorted({f.label for f in Framework.objects.filter(owner__isnull=True)}))
                or "none"
            )
            raise CommandError(f"Unknown framework {reference!r}. Loaded: {loaded}.")
        return framework_spec(found)


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"{what} file {path}: cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"{what} file {path}: not valid JSON: {error}") from None
