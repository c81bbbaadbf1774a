"""The bundled ML Maturity Model meets DESIGN §2 and §3."""

from __future__ import annotations

import re

import pytest

from principles.loader import BUNDLED_DIR, parse_framework
from principles.models import Framework, Principle
from principles.rules import Evaluator, RuleError
from principles.selectors import framework_tree

MODEL_FILE = BUNDLED_DIR / "ml-maturity-model-1.0.yaml"

# DESIGN §2: the eight criteria in order, each with its principle.
CRITERIA = [
    ("1", "Practical benchmarks", "practical-accuracy"),
    ("2", "Explainability by justification", "explainability-by-justification"),
    ("3", "Infrastructure for reproducible operations", "reproducible-operations"),
    ("4", "Data and model assessment processes", "bias-evaluation"),
    ("5", "Privacy-enforcing infrastructure", "trust-by-privacy"),
    ("6", "Operational process design", "human-augmentation"),
    ("7", "Change-management capabilities", "displacement-strategy"),
    ("8", "Security risk processes", "security-and-data-risk"),
]

PRINCIPLES = [
    ("practical-accuracy", "Practical accuracy", False),
    ("explainability-by-justification", "Explainability by justification", False),
    ("reproducible-operations", "Reproducible operations", False),
    ("bias-evaluation", "Bias evaluation", False),
    ("trust-by-privacy", "Trust by privacy", False),
    ("human-augmentation", "Human augmentation", False),
    ("displacement-strategy", "Displacement strategy", False),
    ("security-and-data-risk", "Security and data risk", False),
    ("alignment-with-intent", "Alignment with intent", True),
]

# DESIGN §2 topics, as patterns over question text and guidance.
TOPICS = {
    "metrics beyond accuracy": r"metric",
    "cost of errors": r"cost",
    "time and resource benchmarks": r"time and computing resources|latency",
    "audit trails": r"audit",
    "feature importance": r"feature",
    "versioning and rollback": r"roll ?back",
    "dev/prod separation": r"production environments|environments separated|separat",
    "dataset representativeness": r"represent",
    "bias tracking in production": r"per-group",
    "access restriction": r"access",
    "anonymisation": r"anonymi[sz]",
    "consent": r"consent",
    "human in the loop by impact of errors": r"impact of the model's errors",
    "rollout": r"rollout",
    "training": r"training tailored|training",
    "handover": r"handover",
    "encryption in transit and at rest": r"in transit",
    "key handling": r"keys",
    "secrets out of logs": r"logs",
    "staff expertise": r"experience",
    "documentation": r"documentation",
}


@pytest.fixture
def model(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def tree(model):
    return framework_tree(model)


def questions_of(tree):
    return [question for criterion in tree for question in criterion.questions.all()]


def test_the_bundled_file_is_the_ml_maturity_model_1_0_and_loads_cleanly():
    data = parse_framework(MODEL_FILE.read_text(encoding="utf-8"), str(MODEL_FILE))

    assert (data["slug"], data["name"], data["version"], data["kind"]) == (
        "ml-maturity-model",
        "ML Maturity Model",
        "1.0",
        "maturity",
    )
    assert data["description"]


def test_eight_criteria_in_order_with_the_titles_and_principles_of_design(tree):
    assert [(c.code, c.title, c.principle.slug) for c in tree] == CRITERIA


def test_each_criterion_has_five_to_thirteen_questions_and_at_least_55_in_all(tree):
    sizes = {criterion.code: len(criterion.questions.all()) for criterion in tree}

    assert all(5 <= size <= 13 for size in sizes.values()), sizes
    assert sum(sizes.values()) >= 55


def test_every_question_has_text_guidance_and_at_least_one_red_flag(tree):
    lacking = [
        question.code
        for question in questions_of(tree)
        if not question.text.strip()
        or not question.guidance.strip()
        or not question.red_flags.all()
    ]

    assert lacking == []


def test_every_red_flag_has_a_message_and_a_known_severity(tree):
    flags = [flag for question in questions_of(tree) for flag in question.red_flags.all()]

    assert all(
        flag.message.strip() and flag.severity in ("critical", "major", "minor") for flag in flags
    )
    assert {flag.severity for flag in flags} == {"critical", "major", "minor"}


def test_every_criterion_explains_itself_and_recommends_something_for_every_level(model, tree):
    levels = [level["level"] for level in model.levels]
    assert levels == [1, 2, 3, 4, 5]
    for criterion in tree:
        assert criterion.explanation.strip(), criterion.code
        assert criterion.requirements.strip(), criterion.code
        assert all(criterion.recommendation_for(level).strip() for level in levels), criterion.code


def test_the_questions_use_every_answer_type_and_choice_questions_have_choices(tree):
    questions = questions_of(tree)

    assert {question.answer_type for question in questions} == {
        "status",
        "text",
        "number",
        "choice",
    }
    assert all(
        len(question.choices) >= 2 for question in questions if question.answer_type == "choice"
    )


def test_the_questions_cover_the_topics_design_names(tree):
    corpus = " ".join(
        f"{question.text} {question.guidance}" for question in questions_of(tree)
    ).lower()

    missing = [topic for topic, pattern in TOPICS.items() if not re.search(pattern, corpus)]

    assert missing == []


def test_nine_principles_are_loaded_and_only_the_ninth_is_optional(bundled):
    assert [(p.slug, p.name, p.optional) for p in Principle.objects.order_by("order")] == PRINCIPLES
    assert all(p.summary and p.description for p in Principle.objects.all())


def test_some_rules_use_cel_beyond_the_status(tree):
    rules = [flag.when for question in questions_of(tree) for flag in question.red_flags.all()]
    rules += [question.show_if for question in questions_of(tree) if question.show_if]

    assert any("answer.evidence_count" in rule for rule in rules)
    assert any("size(answer.text)" in rule for rule in rules)
    assert any("answers[" in rule for rule in rules)
    assert any("answer.number != null" in rule for rule in rules)
    assert any(" in answer.choices" in rule for rule in rules)
    assert any(question.show_if for question in questions_of(tree))


def answer_set(tree, kind: str) -> dict[str, dict]:
    """All-yes, all-no or empty answers, with a value of the right type for every question."""
    if kind == "empty":
        return {}
    answers = {}
    for question in questions_of(tree):
        if kind == "yes":
            answers[question.code] = {
                "status": "yes",
                "text": "A detailed, documented and regularly reviewed practice. " * 4,
                "number": 100.0,
                "choices": question.choices[:1],
                "evidence_count": 2,
            }
        else:
            answers[question.code] = {
                "status": "no",
                "text": "",
                "number": 0.0,
                "choices": question.choices[-1:],
                "evidence_count": 0,
            }
    return answers


def raised_flags(tree, answers: dict[str, dict]) -> dict[str, list[str]]:
    """Red flags raised per criterion; a rule that fails to evaluate fails the test, naming it."""
    evaluator = Evaluator(answers, [question.code for question in questions_of(tree)])
    raised: dict[str, list[str]] = {}
    for criterion in tree:
        raised[criterion.code] = []
        for question in criterion.questions.all():
            expressions = [("show_if", question.show_if)] if question.show_if else []
            expressions += [(flag.code, flag.when) for flag in question.red_flags.all()]
            for what, source in expressions:
                try:
                    result = evaluator.evaluate(source, question.code)
                except RuleError as error:
                    pytest.fail(f"question {question.code}, {what}: {source!r} failed: {error}")
                if what != "show_if" and result:
                    raised[criterion.code].append(what)
    return raised


@pytest.mark.parametrize("kind", ["yes", "no", "empty"])
def test_every_rule_evaluates_without_error(tree, kind):
    raised_flags(tree, answer_set(tree, kind))


def test_answering_no_everywhere_raises_red_flags_in_every_criterion(tree):
    raised = raised_flags(tree, answer_set(tree, "no"))

    assert [code for code, flags in raised.items() if not flags] == []


def test_answering_yes_with_evidence_raises_far_fewer_flags_than_answering_no(tree):
    yes = sum(len(flags) for flags in raised_flags(tree, answer_set(tree, "yes")).values())
    no = sum(len(flags) for flags in raised_flags(tree, answer_set(tree, "no")).values())

    assert yes * 4 <= no, (yes, no)
