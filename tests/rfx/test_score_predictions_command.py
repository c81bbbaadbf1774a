"""`score_predictions` (DESIGN §5): the metrics JSON of a predictions file, from the shell."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]

LABELS = (
    "id,label,site\nm1,MAINTENANCE,leeds\nm2,MAINTENANCE,york\nn1,NORMAL,leeds\nn2,NORMAL,york\n"
)
PREDICTIONS = "id,prediction\nn2,NORMAL\nm2,NORMAL\nn1,NORMAL\nm1,MAINTENANCE\n"
BARS = [
    {"metric": "accuracy", "min": 0.7},
    {"metric": "recall_gap", "column": "site", "class": "MAINTENANCE", "max": 0.1},
]


@pytest.fixture
def competition_files(tmp_path):
    labels, predictions, bars = tmp_path / "L.csv", tmp_path / "P.csv", tmp_path / "B.json"
    labels.write_text(LABELS)
    predictions.write_text(PREDICTIONS)
    bars.write_text(json.dumps(BARS))
    return labels, predictions, bars


def run(*arguments) -> dict:
    out = StringIO()
    call_command("score_predictions", *map(str, arguments), stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_metrics_with_exactly_the_documented_keys(competition_files):
    labels, predictions, bars = competition_files

    result = run("--labels", labels, "--predictions", predictions, "--bars", bars)

    assert list(result) == [
        "accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix",
        "groups", "gaps", "bars", "passed",
    ]  # fmt: skip
    assert result["accuracy"] == 0.75
    assert result["per_class"] == {
        "MAINTENANCE": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2},
        "NORMAL": {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2},
    }
    assert result["confusion_matrix"] == {
        "labels": ["MAINTENANCE", "NORMAL"],
        "matrix": [[1, 1], [0, 2]],
    }
    assert list(result["groups"]["site"]) == ["leeds", "york"]
    assert result["groups"]["site"]["leeds"]["accuracy"] == 1.0
    assert result["groups"]["site"]["york"]["per_class"]["MAINTENANCE"]["recall"] == 0.0
    assert result["gaps"] == {
        "site": {"accuracy": 0.5, "recall": {"MAINTENANCE": 1.0, "NORMAL": 0.0}}
    }
    assert result["bars"] == [
        {**BARS[0], "value": 0.75, "passed": True},
        {**BARS[1], "value": 1.0, "passed": False},
    ]
    assert result["passed"] is False


def test_without_bars_it_passes_and_lists_no_bars(competition_files):
    labels, predictions, _ = competition_files

    result = run("--labels", labels, "--predictions", predictions)

    assert result["bars"] == []
    assert result["passed"] is True


def test_it_refuses_bad_predictions_naming_the_file_and_the_rows(competition_files, tmp_path):
    labels, _, _ = competition_files
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prediction\nm1,MAINTENANCE\nm1,NORMAL\nx9,BROKEN\n")

    with pytest.raises(CommandError) as caught:
        run("--labels", labels, "--predictions", bad)

    assert str(caught.value) == (
        f"predictions file {bad}:\n"
        "- 1 row has a prediction outside the known labels (“MAINTENANCE”, “NORMAL”), "
        "e.g. row 4 (“BROKEN”).\n"
        "- 1 id appears more than once in the predictions, e.g. “m1” (rows 2, 3). "
        "Each id must appear exactly once.\n"
        "- 1 row has an id that is not in the evaluation set, e.g. row 4 (“x9”).\n"
        "- 3 ids of the evaluation set are missing from the predictions, e.g. “m2”, “n1”, “n2”."
    )


def test_it_refuses_a_bad_labels_file(competition_files, tmp_path):
    _, predictions, _ = competition_files
    bad = tmp_path / "labels.csv"
    bad.write_text("label,id\nA,1\n")

    with pytest.raises(
        CommandError, match=r"labels file .*labels.csv: Row 1 of the labels file must be"
    ):
        run("--labels", bad, "--predictions", predictions)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[{not json", "not valid JSON"),
        ('{"metric": "accuracy", "min": 0.8}', "The bars must be a JSON list"),
        ('[{"metric": "recall", "class": "MAINTENANCE"}]', "Bar 1: give either a min or a max."),
        (
            '[{"metric": "recall", "class": "BROKEN", "min": 0.5}]',
            "Bar 1: class “BROKEN” is not a label",
        ),
    ],
)
def test_it_refuses_a_bad_bars_file(competition_files, content, message):
    labels, predictions, bars = competition_files
    bars.write_text(content)

    with pytest.raises(CommandError, match=f"bars file {bars}: .*{message}"):
        run("--labels", labels, "--predictions", predictions, "--bars", bars)


def test_it_refuses_a_file_that_does_not_exist(competition_files, tmp_path):
    labels, _, _ = competition_files

    with pytest.raises(
        CommandError, match="predictions file .*: The predictions file cannot be read"
    ):
        run("--labels", labels, "--predictions", tmp_path / "nowhere.csv")
    with pytest.raises(CommandError, match="bars file .*: cannot be read"):
        run("--labels", labels, "--predictions", labels, "--bars", tmp_path / "nowhere.json")


def test_from_the_shell_bad_predictions_exit_non_zero_with_the_messages_and_no_traceback(
    competition_files, tmp_path
):
    labels, _, bars = competition_files
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prediction\nm1,MAINTENANCE\n")
    env = {**os.environ, "DEBUG": "1"}

    completed = subprocess.run(
        [sys.executable, "manage.py", "score_predictions", "--labels", str(labels),
         "--predictions", str(bad), "--bars", str(bars)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert "3 ids of the evaluation set are missing from the predictions" in completed.stderr
    assert "Traceback" not in completed.stderr
