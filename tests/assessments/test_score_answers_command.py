"""`score_answers` (DESIGN §4) on a framework the product does not ship."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from principles.services import framework_load

ROOT = Path(__file__).resolve().parents[2]

# Three custom levels, weighted criteria and questions, a show_if and a cross-question rule.
DUE_DILIGENCE = """
slug: data-supplier-due-diligence
name: Data supplier due diligence
version: "2.1"
kind: questionnaire
levels:
  - {level: 0, name: Unfit, min_score: 0}
  - {level: 1, name: Acceptable, min_score: 0.5}
  - {level: 2, name: Preferred, min_score: 0.8}
criteria:
  - code: A
    title: Provenance
    weight: 3
    questions:
      - code: A1
        text: Can you name the source of every record you sell?
        weight: 2
        red_flags:
          - code: A1-x
            when: 'answer.status == "no"'
            severity: critical
            message: Unknown provenance.
      - code: A2
        text: How many upstream suppliers do you use?
        answer: number
        red_flags:
          - code: A2-x
            when: 'answer.number != null && answer.number > 10.0'
            severity: minor
            message: Long chain.
      - code: A3
        text: Do you audit your upstream suppliers?
        show_if: 'answers["A2"].number != null && answers["A2"].number > 0.0'
        red_flags:
          - code: A3-x
            when: 'answer.status == "yes" && answer.evidence_count == 0'
            severity: major
            message: Audit claimed without evidence.
  - code: B
    title: Licensing
    weight: 1
    questions:
      - code: B1
        text: Which licence applies?
        answer: choice
        choices: [proprietary, open, mixed]
        red_flags:
          - code: B1-x
            when: '"mixed" in answer.choices && answers["A1"].status != "yes"'
            severity: major
            message: Mixed licences without known provenance.
"""


@pytest.fixture
def due_diligence(db):
    return framework_load(text=DUE_DILIGENCE, source="due-diligence.yaml").framework


def run(tmp_path, framework, answers, reviews=None) -> dict:
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    args = ["score_answers", "--framework", framework, "--answers", str(answers_file)]
    if reviews is not None:
        reviews_file = tmp_path / "reviews.json"
        reviews_file.write_text(json.dumps(reviews))
        args += ["--reviews", str(reviews_file)]
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_design_json_for_a_framework_it_did_not_ship(tmp_path, due_diligence):
    answers = {
        "A1": {"status": "yes", "evidence_count": 1},
        "A2": {"number": 12},
        "A3": {"status": "yes"},
        "B1": {"choices": ["mixed"]},
    }
    reviews = {"A2": {"scores": [1, 2]}, "B1": {"scores": [0, 3], "consensus": 2}}
    result = run(tmp_path, "data-supplier-due-diligence@2.1", answers, reviews)
    # A: (2*2 + 1*1.5 + 1*2) / (3*4) = 7.5/12 = 0.625 ; B: 2/3
    a, b = 7.5 / 12, 2 / 3
    overall = (3 * a + 1 * b) / 4
    assert result == {
        "score": pytest.approx(overall),
        "level": {"level": 1, "name": "Acceptable"},
        "criteria": {
            "A": {"score": pytest.approx(a), "level": {"level": 1, "name": "Acceptable"}},
            "B": {"score": pytest.approx(b), "level": {"level": 1, "name": "Acceptable"}},
        },
        "questions": {
            "A1": {"score": 2.0, "source": "answer", "hidden": False},
            "A2": {"score": 1.5, "source": "reviewers", "hidden": False},
            "A3": {"score": 2.0, "source": "answer", "hidden": False},
            "B1": {"score": 2.0, "source": "consensus", "hidden": False},
        },
        "red_flags": [
            {"question": "A2", "code": "A2-x", "severity": "minor", "message": "Long chain."},
            {
                "question": "A3",
                "code": "A3-x",
                "severity": "major",
                "message": "Audit claimed without evidence.",
            },
        ],
        "divergences": ["B1"],
    }


def test_hidden_questions_and_critical_flags(tmp_path, due_diligence):
    result = run(
        tmp_path, "data-supplier-due-diligence", {"A1": {"status": "no"}, "A2": {"number": 0}}
    )
    assert result["questions"]["A3"] == {"score": None, "source": "na", "hidden": True}
    assert result["questions"]["A1"] == {"score": 0.0, "source": "answer", "hidden": False}
    assert result["questions"]["A2"] == {"score": None, "source": "unscored", "hidden": False}
    assert result["questions"]["B1"] == {"score": None, "source": "unscored", "hidden": False}
    assert result["criteria"] == {
        "A": {"score": 0.0, "level": {"level": 0, "name": "Unfit"}},
        "B": None,
    }
    assert [flag["code"] for flag in result["red_flags"]] == ["A1-x"]


def test_a_framework_file_can_be_scored_without_loading_it(tmp_path, db):
    path = tmp_path / "dd.yaml"
    path.write_text(DUE_DILIGENCE)
    result = run(tmp_path, str(path), {"A1": {"status": "partial"}})
    assert result["questions"]["A1"] == {"score": 1.0, "source": "answer", "hidden": False}


def test_it_scores_the_bundled_model_by_slug(tmp_path, bundled):
    result = run(tmp_path, "ml-maturity-model", {"1.1": {"status": "yes"}})
    assert len(result["criteria"]) == 8
    assert result["questions"]["1.1"]["source"] == "answer"


@pytest.mark.parametrize(
    ("framework", "answers", "message"),
    [
        ("no-such-framework", {}, "Unknown framework 'no-such-framework'"),
        ("data-supplier-due-diligence@9.9", {}, "Unknown framework"),
        ("data-supplier-due-diligence", {"Z9": {"status": "yes"}}, "unknown question code 'Z9'"),
        (
            "data-supplier-due-diligence",
            {"A1": {"status": "sometimes"}},
            "unknown status 'sometimes'",
        ),
    ],
)
def test_it_refuses_bad_input_with_a_message(tmp_path, due_diligence, framework, answers, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, framework, answers)


def test_it_refuses_a_malformed_answers_file(tmp_path, due_diligence):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command(
            "score_answers", "--framework", "data-supplier-due-diligence", "--answers", str(bad)
        )


def test_from_the_shell_a_bad_framework_file_exits_non_zero_without_a_traceback(tmp_path):
    framework = tmp_path / "broken.yaml"
    framework.write_text(DUE_DILIGENCE.replace('answer.status == "no"', "answer.status =="))
    answers = tmp_path / "answers.json"
    answers.write_text("{}")
    env = {**os.environ, "DEBUG": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "score_answers",
            "--framework",
            str(framework),
            "--answers",
            str(answers),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode != 0
    assert "question A1" in completed.stderr
    assert "does not compile" in completed.stderr
    assert "Traceback" not in completed.stderr
