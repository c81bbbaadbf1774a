import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rfx.competition import BarsError, CompetitionFileError, score


class Command(BaseCommand):
    help = (
        "Score a tender competition's predictions against the hidden labels, through the same "
        "code the worker uses, and print the metrics as JSON (DESIGN §5). --labels is the CSV "
        "id,label[,group columns…], --predictions the CSV id,prediction, --bars a JSON list of "
        'bars such as [{"metric": "recall_gap", "column": "site", "class": "A", "max": 0.1}].'
    )

    def add_arguments(self, parser):
        parser.add_argument("--labels", required=True, type=Path, help="CSV: id,label[,groups…]")
        parser.add_argument("--predictions", required=True, type=Path, help="CSV: id,prediction")
        parser.add_argument("--bars", type=Path, help="JSON list of bars")
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args, labels, predictions, bars, indent, **options):
        bar_list = _read_bars(bars) if bars else []
        try:
            result = score(labels, predictions, bar_list)
        except CompetitionFileError as error:
            path = labels if error.which == "labels" else predictions
            raise CommandError(_listed(f"{error.which} file {path}", error.messages)) from None
        except BarsError as error:
            raise CommandError(_listed(f"bars file {bars}", error.messages)) from None
        self.stdout.write(json.dumps(result, indent=indent or None))


def _read_bars(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"bars file {path}: cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"bars file {path}: not valid JSON: {error}") from None


def _listed(where: str, messages: list[str]) -> str:
    if len(messages) == 1:
        return f"{where}: {messages[0]}"
    return f"{where}:\n" + "\n".join(f"- {message}" for message in messages)
