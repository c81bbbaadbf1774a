"""Loading framework files (DESIGN §3): idempotent, immutable versions, clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from core.exceptions import ApplicationError
from principles.loader import FrameworkFileError, parse_framework
from principles.models import Criterion, Framework, Principle, Question, RedFlagRule
from principles.rules import RuleError, compile_rule
from principles.selectors import get_framework_for_user
from principles.services import framework_load
from tests.frameworks import (
    BROKEN_RULE_FILE,
    VENDOR_FILE,
    find_question,
    to_yaml,
    vendor_data,
    vendor_yaml,
)

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "frameworks": Framework.objects.count(),
        "criteria": Criterion.objects.count(),
        "questions": Question.objects.count(),
        "red_flags": RedFlagRule.objects.count(),
    }


def problems_for(data: dict, source: str = "vendor.yaml") -> list[str]:
    """The problems the loader lists for a framework file, or fail if it is accepted."""
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(to_yaml(data), source)
    assert str(caught.value).startswith(f"{source}: the framework was not loaded:")
    return caught.value.problems


def compiler_message(source: str) -> str:
    with pytest.raises(RuleError) as caught:
        compile_rule(source)
    return str(caught.value)


# --- idempotence and versions ---------------------------------------------------------


def test_the_fixture_questionnaire_loads_with_every_part(principles_loaded):
    result = framework_load(text=vendor_yaml(), source=str(VENDOR_FILE))

    assert result.created is True
    framework = result.framework
    framework.refresh_from_db()
    assert (framework.slug, framework.version, framework.kind, framework.owner) == (
        "vendor-security-questionnaire",
        "1.0",
        "questionnaire",
        None,
    )
    assert framework.source_name == "vendor-security-questionnaire-1.0.yaml"
    assert framework.levels == [
        {"level": 1, "name": "Weak", "min_score": 0.0},
        {"level": 2, "name": "Adequate", "min_score": 0.5},
        {"level": 3, "name": "Strong", "min_score": 0.8},
    ]
    assert counts() == {"frameworks": 1, "criteria": 2, "questions": 6, "red_flags": 7}
    assert list(framework.criteria.values_list("code", "principle__slug", "weight")) == [
        ("S", "security-and-data-risk", 2.0),
        ("O", None, 1.0),
    ]
    assert list(framework.questions.values_list("code", "answer_type", "required")) == [
        ("S1", "status", True),
        ("S2", "choice", True),
        ("S3", "number", False),
        ("O1", "text", True),
        ("O2", "status", True),
        ("O3", "choice", False),
    ]
    s2 = framework.questions.get(code="S2")
    assert s2.choices == ["Cloud KMS", "Hardware security module", "Application configuration"]
    assert s2.show_if == 'answers["S1"].status in ["yes", "partial"]'


def test_loading_the_same_file_twice_creates_nothing_the_second_time(principles_loaded):
    first = framework_load(text=vendor_yaml(), source=str(VENDOR_FILE))
    before = counts()

    second = framework_load(text=vendor_yaml(), source=str(VENDOR_FILE))

    assert second.created is False
    assert second.framework.pk == first.framework.pk
    assert counts() == before


def test_comments_and_key_order_alone_are_not_a_change_of_content(principles_loaded):
    first = framework_load(text=vendor_yaml(), source="a.yaml")
    data = vendor_data()
    reordered = "# reformatted by hand\n" + to_yaml(dict(reversed(list(data.items()))))

    second = framework_load(text=reordered, source="b.yaml")

    assert (second.created, second.framework.pk) == (False, first.framework.pk)


def test_same_slug_and_version_with_changed_content_is_refused_and_nothing_changes(
    principles_loaded,
):
    framework = framework_load(text=vendor_yaml(), source=str(VENDOR_FILE)).framework
    original_hash = framework.content_hash
    before = counts()
    data = vendor_data()
    find_question(data, "S1")["text"] = "Is customer data encrypted at rest, and how?"

    with pytest.raises(ApplicationError) as caught:
        framework_load(text=to_yaml(data), source="edited.yaml")

    assert caught.value.message == (
        "edited.yaml: vendor-security-questionnaire version 1.0 is already loaded with different "
        "content. Frameworks are immutable once loaded: publish the change as a new version."
    )
    framework.refresh_from_db()
    assert framework.content_hash == original_hash
    assert framework.questions.get(code="S1").text == "Is customer data encrypted at rest?"
    assert counts() == before


def test_a_new_version_loads_beside_the_old_one_and_becomes_the_latest(principles_loaded):
    old = framework_load(text=vendor_yaml(), source="1.0.yaml").framework
    data = vendor_data()
    data["version"] = "1.1"
    find_question(data, "S1")["text"] = "Is customer data encrypted at rest, and how?"

    new = framework_load(text=to_yaml(data), source="1.1.yaml")

    assert new.created is True
    old.refresh_from_db()
    assert old.questions.get(code="S1").text == "Is customer data encrypted at rest?"
    assert (
        new.framework.questions.get(code="S1").text
        == "Is customer data encrypted at rest, and how?"
    )
    assert sorted(Framework.objects.values_list("version", flat=True)) == ["1.0", "1.1"]
    assert counts()["questions"] == 12
    latest = get_framework_for_user(AnonymousUser(), slug="vendor-security-questionnaire")
    assert latest.pk == new.framework.pk


def test_version_ten_is_later_than_version_nine(principles_loaded):
    for version in ("1.9", "1.10", "1.2"):
        data = vendor_data()
        data["version"] = version
        framework_load(text=to_yaml(data), source=f"{version}.yaml")

    latest = get_framework_for_user(AnonymousUser(), slug="vendor-security-questionnaire")

    assert latest.version == "1.10"


def test_a_version_owned_by_another_organisation_is_refused(
    principles_loaded, supplier_a_org, supplier_b_org
):
    framework_load(text=vendor_yaml(), source="a.yaml", owner=supplier_a_org)

    with pytest.raises(ApplicationError) as caught:
        framework_load(text=vendor_yaml(), source="b.yaml", owner=supplier_b_org)

    assert caught.value.message == (
        "b.yaml: vendor-security-questionnaire version 1.0 already belongs to another "
        "organisation; "
        "choose another slug."
    )
    assert list(Framework.objects.values_list("owner__slug", flat=True)) == ["acme-analytics"]


# --- expressions ----------------------------------------------------------------------


def test_a_red_flag_that_does_not_compile_is_refused_naming_file_question_and_compiler_message():
    data = vendor_data()
    find_question(data, "O2")["red_flags"][0]["when"] = 'answer.status == "no" &&'

    problems = problems_for(data, source="frameworks/vendor.yaml")

    assert problems == [
        "question O2, red flag O2a: condition 'answer.status == \"no\" &&' does not compile: "
        + compiler_message('answer.status == "no" &&')
    ]
    assert "Syntax error" in problems[0]


def test_a_show_if_that_does_not_compile_is_refused_naming_the_question():
    data = vendor_data()
    find_question(data, "S2")["show_if"] = 'answers["S1"].status in ['

    problems = problems_for(data)

    assert problems == [
        "question S2: show_if 'answers[\"S1\"].status in [' does not compile: "
        + compiler_message('answers["S1"].status in [')
    ]


def test_a_rule_reading_an_unknown_question_is_refused():
    data = vendor_data()
    find_question(data, "O2")["red_flags"][0]["when"] = (
        'answer.status == "no" && answers["X9"].status == "no"'
    )
    find_question(data, "S2")["show_if"] = "answers['S0'].status == 'yes'"

    assert problems_for(data) == [
        "question S2, show_if: refers to unknown question(s) S0",
        "question O2, red flag O2a: refers to unknown question(s) X9",
    ]


def test_a_number_rule_without_a_null_guard_is_refused_because_it_fails_on_an_empty_questionnaire():
    data = vendor_data()
    find_question(data, "S3")["red_flags"][0]["when"] = "answer.number > 3.0"

    problems = problems_for(data)

    assert len(problems) == 1
    assert problems[0].startswith(
        "question S3, red flag S3a: fails on an unanswered questionnaire "
        "(guard numbers with 'answer.number != null'): "
    )


def test_a_rule_that_is_not_true_or_false_is_refused():
    data = vendor_data()
    find_question(data, "O1")["red_flags"][0]["when"] = "size(answer.text)"

    assert problems_for(data) == [
        "question O1, red flag O1a: fails on an unanswered questionnaire "
        "(guard numbers with 'answer.number != null'): "
        "the expression must be true or false, but it gave 0"
    ]


# --- structure ------------------------------------------------------------------------


def test_unknown_keys_are_refused_at_every_level_naming_the_place():
    data = vendor_data()
    data["colour"] = "blue"
    data["criteria"][1]["owner"] = "ops"
    find_question(data, "S3")["unit"] = "incidents"
    find_question(data, "S1")["red_flags"][0]["level"] = 2

    assert problems_for(data) == [
        "unknown key(s) colour; allowed: criteria, description, kind, levels, name, slug, version",
        "question S1, red flag S1a: unknown key(s) level; allowed: code, message, severity, when",
        "question S3: unknown key(s) unit; allowed: answer, choices, code, guidance, red_flags, "
        "required, show_if, text, weight",
        "criterion O: unknown key(s) owner; allowed: code, explanation, principle, questions, "
        "recommendations, requirements, title, weight",
    ]


def test_missing_required_fields_are_each_named():
    data = vendor_data()
    del data["name"]
    data["version"] = ""
    del data["criteria"][1]["title"]
    del find_question(data, "S2")["text"]
    flag = find_question(data, "O1")["red_flags"][0]
    del flag["message"]
    del flag["severity"]
    del find_question(data, "S3")["red_flags"][0]["when"]

    assert problems_for(data) == [
        "'name' is required",
        "'version' is required",
        "question S2: 'text' is required",
        "question S3, red flag S3a: 'when' is required",
        "criterion O: 'title' is required",
        "question O1, red flag O1a: 'severity' is required",
        "question O1, red flag O1a: 'message' is required",
    ]


def test_a_question_without_a_code_is_named_by_its_position():
    data = vendor_data()
    del data["criteria"][1]["questions"][1]["code"]

    problems = problems_for(data)

    assert problems[0] == "criterion O, question #2: 'code' is required"


def test_duplicate_codes_are_refused():
    data = vendor_data()
    data["criteria"][1]["code"] = "S"
    find_question(data, "O3")["code"] = "S1"
    find_question(data, "O2")["red_flags"][0]["code"] = "S1a"

    assert problems_for(data) == [
        "criterion S: the code is used twice",
        "question O2, red flag S1a: the red-flag code is used twice in the framework",
        "question S1: the code is used twice",
    ]


def test_an_unknown_answer_type_is_refused():
    data = vendor_data()
    find_question(data, "O1")["answer"] = "essay"

    assert problems_for(data) == [
        "question O1: answer type 'essay' must be one of status, text, number, choice"
    ]


def test_a_choice_question_without_choices_is_refused():
    data = vendor_data()
    del find_question(data, "O3")["choices"]
    find_question(data, "S2")["choices"] = ["Cloud KMS", "Cloud KMS"]

    assert problems_for(data) == [
        "question S2: 'choices' has the same choice twice",
        "question O3: a choice question needs a non-empty 'choices' list",
    ]


def test_an_unknown_kind_severity_and_a_bad_slug_are_refused():
    data = vendor_data()
    data["slug"] = "Vendor Security"
    data["kind"] = "survey"
    find_question(data, "S1")["red_flags"][0]["severity"] = "fatal"

    assert problems_for(data) == [
        "slug 'Vendor Security' must be lower-case letters, digits and hyphens",
        "kind 'survey' must be one of maturity, questionnaire",
        "question S1, red flag S1a: severity 'fatal' must be one of critical, major, minor",
    ]


def test_an_unquoted_version_number_is_refused_because_yaml_loses_what_was_written():
    text = vendor_yaml().replace('version: "1.0"', "version: 1.10")

    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(text, "vendor.yaml")

    assert caught.value.problems == [
        "'version' must be quoted text (\"1.1\"): YAML reads an unquoted 1.10 as the number 1.1"
    ]


@pytest.mark.parametrize(
    ("levels", "problem"),
    [
        (
            [
                {"level": 1, "name": "Low", "min_score": 0.0},
                {"level": 2, "name": "High", "min_score": 1.5},
            ],
            "level #2: 'min_score' must be a number from 0 to 1",
        ),
        (
            [
                {"level": 1, "name": "Low", "min_score": 0.6},
                {"level": 2, "name": "High", "min_score": 0.3},
            ],
            "levels: higher levels must have higher 'min_score'",
        ),
        (
            [
                {"level": 1, "name": "Low", "min_score": 0.0},
                {"level": 2, "name": "Mid", "min_score": 0.5},
                {"level": 3, "name": "High", "min_score": 0.5},
            ],
            "levels: higher levels must have higher 'min_score'",
        ),
        (
            [
                {"level": 1, "name": "Low", "min_score": 0.2},
                {"level": 2, "name": "High", "min_score": 0.6},
            ],
            "levels: the lowest level must have 'min_score' 0, so every score has a level",
        ),
        (
            [{"level": "one", "name": "Low", "min_score": 0.0}],
            "level #1: 'level' must be a whole number",
        ),
        ([{"level": 1, "min_score": 0.0}], "level #1: 'name' is required"),
        ([], "levels: must be a non-empty list"),
    ],
    ids=[
        "score-above-one",
        "scores-descending",
        "scores-equal",
        "lowest-not-zero",
        "level-not-number",
        "name-missing",
        "empty",
    ],
)
def test_bad_levels_are_refused(levels, problem):
    data = vendor_data()
    data["levels"] = levels
    data["criteria"][0]["recommendations"] = {}

    assert problem in problems_for(data)


def test_a_recommendation_for_a_level_the_framework_does_not_define_is_refused():
    data = vendor_data()
    data["criteria"][0]["recommendations"][5] = "Be excellent."

    assert problems_for(data) == [
        "criterion S: recommendation for level 5, which the framework does not define"
    ]


def test_without_levels_the_default_five_levels_apply():
    data = vendor_data()
    del data["levels"]
    del data["criteria"][0]["recommendations"]

    parsed = parse_framework(to_yaml(data), "vendor.yaml")

    assert [level["name"] for level in parsed["levels"]] == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimising",
    ]


def test_text_that_is_not_yaml_is_refused():
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework("slug: [unclosed\n", "bad.yaml")

    assert caught.value.problems[0].startswith("this is not valid YAML: ")


def test_a_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework("- just\n- a list\n", "list.yaml")

    assert caught.value.problems == ["must be a mapping of keys to values"]


def test_a_criterion_naming_an_unknown_principle_is_refused_and_nothing_is_stored(
    principles_loaded,
):
    data = vendor_data()
    data["criteria"][1]["principle"] = "world-peace"

    with pytest.raises(FrameworkFileError) as caught:
        framework_load(text=to_yaml(data), source="vendor.yaml")

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(
        "unknown principle(s) world-peace; known: practical-accuracy, "
    )
    assert counts() == {"frameworks": 0, "criteria": 0, "questions": 0, "red_flags": 0}


# --- the load_framework command --------------------------------------------------------


def test_the_command_loads_a_file_and_says_so_then_reports_nothing_to_do(principles_loaded):
    out = StringIO()
    call_command("load_framework", str(VENDOR_FILE), stdout=out)
    call_command("load_framework", str(VENDOR_FILE), stdout=out)

    assert out.getvalue().splitlines() == [
        "Loaded vendor-security-questionnaire@1.0: 2 criteria, 6 questions.",
        "vendor-security-questionnaire@1.0 is already loaded with the same content; nothing to do.",
    ]
    assert counts()["frameworks"] == 1


def test_the_command_refuses_a_broken_file_with_a_command_error():
    with pytest.raises(CommandError) as caught:
        call_command("load_framework", str(BROKEN_RULE_FILE), stdout=StringIO())

    message = str(caught.value)
    assert message.startswith(f"{BROKEN_RULE_FILE}: the framework was not loaded:")
    assert "question B1, red flag B1a: condition 'answer.status ==' does not compile: " in message
    assert "Syntax error" in message
    assert counts()["frameworks"] == 0


def test_the_command_refuses_changed_content_with_a_command_error(principles_loaded, tmp_path):
    call_command("load_framework", str(VENDOR_FILE), stdout=StringIO())
    data = vendor_data()
    data["description"] = "Changed after publication."
    edited = tmp_path / "edited.yaml"
    edited.write_text(to_yaml(data), encoding="utf-8")

    with pytest.raises(CommandError, match="already loaded with different content"):
        call_command("load_framework", str(edited), stdout=StringIO())


def test_the_command_refuses_a_missing_file_and_no_arguments(tmp_path):
    with pytest.raises(CommandError, match=r"missing\.yaml: cannot be read"):
        call_command("load_framework", str(tmp_path / "missing.yaml"), stdout=StringIO())
    with pytest.raises(CommandError, match=r"Give one or more framework files, or --bundled\."):
        call_command("load_framework", stdout=StringIO())


def test_the_command_with_bundled_loads_the_principles_and_the_bundled_model():
    out = StringIO()

    call_command("load_framework", "--bundled", stdout=out)

    assert Principle.objects.count() == 9
    framework = Framework.objects.get(slug="ml-maturity-model", version="1.0")
    assert framework.owner is None
    assert (
        f"Loaded ml-maturity-model@1.0: 8 criteria, {framework.questions.count()} questions."
        in out.getvalue()
    )


def test_the_command_with_an_owner_makes_a_private_framework(principles_loaded, supplier_a_org):
    call_command("load_framework", str(VENDOR_FILE), "--owner", "acme-analytics", stdout=StringIO())

    framework = Framework.objects.get(slug="vendor-security-questionnaire")
    assert framework.owner == supplier_a_org


def test_the_command_refuses_an_unknown_owner():
    with pytest.raises(CommandError, match="No organisation with slug 'nobody'."):
        call_command("load_framework", str(VENDOR_FILE), "--owner", "nobody", stdout=StringIO())


def test_the_command_run_as_a_program_exits_non_zero_without_a_traceback(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    completed = subprocess.run(
        [sys.executable, "manage.py", "load_framework", str(BROKEN_RULE_FILE)],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith(
        f"CommandError: {BROKEN_RULE_FILE}: the framework was not loaded:"
    )
    assert "question B1, red flag B1a" in completed.stderr
    assert Path(BROKEN_RULE_FILE).exists()  # the test read the fixture, not a missing file
