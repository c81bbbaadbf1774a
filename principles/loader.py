"""Reading and checking framework files (DESIGN §3) before anything is stored.

`parse_framework` turns YAML text into normalised plain data or raises
`FrameworkFileError` listing every problem with the file name and the code of
the criterion, question or red flag concerned, so an author can fix a whole
file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from principles.models import DEFAULT_LEVELS
from principles.rules import Evaluator, RuleError, compile_rule, referenced_questions

BUNDLED_DIR = Path(__file__).resolve().parent / "frameworks"
PRINCIPLES_FILE = BUNDLED_DIR / "principles.yaml"

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ANSWER_TYPES = ("status", "text", "number", "choice")
SEVERITIES = ("critical", "major", "minor")
KINDS = ("maturity", "questionnaire")

_FRAMEWORK_KEYS = {"slug", "name", "version", "kind", "description", "levels", "criteria"}
_LEVEL_KEYS = {"level", "name", "min_score"}
_CRITERION_KEYS = {
    "code",
    "title",
    "principle",
    "weight",
    "explanation",
    "requirements",
    "recommendations",
    "questions",
}
_QUESTION_KEYS = {
    "code",
    "text",
    "guidance",
    "answer",
    "choices",
    "required",
    "weight",
    "show_if",
    "red_flags",
}
_RED_FLAG_KEYS = {"code", "when", "severity", "message"}


class FrameworkFileError(Exception):
    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: the framework was not loaded:\n{listed}")


def content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FrameworkFileError(source, [f"this is not valid YAML: {error}"]) from error


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def text(self, mapping: dict, key: str, where: str, *, required: bool = False) -> str:
        value = mapping.get(key)
        if value is None or value == "":
            if required:
                self.problem(where, f"'{key}' is required")
            return ""
        if isinstance(value, float):
            # YAML reads an unquoted 1.10 as the number 1.1, so the text written is already lost.
            self.problem(
                where,
                f"'{key}' must be quoted text (\"{value}\"): "
                "YAML reads an unquoted 1.10 as the number 1.1",
            )
            return str(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.problem(where, f"'{key}' must be text")
            return ""
        return value.strip()

    def number(self, mapping: dict, key: str, where: str, default: float) -> float:
        value = mapping.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            self.problem(where, f"'{key}' must be a number of zero or more, not {value!r}")
            return default
        return float(value)

    def keys(self, mapping: Any, allowed: set[str], where: str) -> bool:
        if not isinstance(mapping, dict):
            self.problem(where, "must be a mapping of keys to values")
            return False
        unknown = sorted(set(map(str, mapping)) - allowed)
        if unknown:
            self.problem(
                where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
            )
        return True

    def expression(self, source: str, where: str, what: str) -> None:
        try:
            compile_rule(source)
        except RuleError as error:
            self.problem(where, f"{what} does not compile: {error}")


def parse_framework(text: str, source: str = "<framework>") -> dict:
    data = read_yaml(text, source)
    check = _Checker(source)
    if not check.keys(data, _FRAMEWORK_KEYS, ""):
        raise FrameworkFileError(source, check.problems)

    framework = {
        "slug": check.text(data, "slug", "", required=True),
        "name": check.text(data, "name", "", required=True),
        "version": check.text(data, "version", "", required=True),
        "kind": check.text(data, "kind", "") or "maturity",
        "description": check.text(data, "description", ""),
    }
    if framework["slug"] and not SLUG.match(framework["slug"]):
        check.problem(
            "", f"slug {framework['slug']!r} must be lower-case letters, digits and hyphens"
        )
    if framework["kind"] not in KINDS:
        check.problem("", f"kind {framework['kind']!r} must be one of {', '.join(KINDS)}")
    framework["levels"] = _parse_levels(data.get("levels"), check)
    level_numbers = {level["level"] for level in framework["levels"]}

    criteria_data = data.get("criteria")
    if not isinstance(criteria_data, list) or not criteria_data:
        check.problem("", "'criteria' must be a non-empty list")
        criteria_data = []

    criteria: list[dict] = []
    criterion_codes: set[str] = set()
    question_codes: list[str] = []
    red_flag_codes: set[str] = set()
    for index, raw in enumerate(criteria_data, start=1):
        where = _named(raw, "criterion", f"criterion #{index}")
        if not check.keys(raw, _CRITERION_KEYS, where):
            continue
        code = check.text(raw, "code", where, required=True)
        where = f"criterion {code}" if code else where
        if code in criterion_codes:
            check.problem(where, "the code is used twice")
        criterion_codes.add(code)
        criterion = {
            "code": code,
            "title": check.text(raw, "title", where, required=True),
            "principle": check.text(raw, "principle", where),
            "weight": check.number(raw, "weight", where, 1.0),
            "explanation": check.text(raw, "explanation", where),
            "requirements": check.text(raw, "requirements", where),
            "recommendations": _parse_recommendations(
                raw.get("recommendations"), level_numbers, where, check
            ),
            "questions": [],
        }
        questions_data = raw.get("questions")
        if not isinstance(questions_data, list) or not questions_data:
            check.problem(where, "'questions' must be a non-empty list")
            questions_data = []
        for q_index, q_raw in enumerate(questions_data, start=1):
            question = _parse_question(
                q_raw, f"{where}, question #{q_index}", check, red_flag_codes
            )
            if question is None:
                continue
            if question["code"] in question_codes:
                check.problem(f"question {question['code']}", "the code is used twice")
            question_codes.append(question["code"])
            criterion["questions"].append(question)
        criteria.append(criterion)
    framework["criteria"] = criteria

    if not check.problems:
        _check_references_and_smoke_test(framework, question_codes, check)
    if check.problems:
        raise FrameworkFileError(source, check.problems)
    return framework


def _named(raw: Any, what: str, fallback: str) -> str:
    """Where a part is, by its code when it has a usable one, else by its position."""
    code = raw.get("code") if isinstance(raw, dict) else None
    usable = isinstance(code, (str, int)) and not isinstance(code, bool) and code != ""
    return f"{what} {code}" if usable else fallback


def _parse_levels(raw: Any, check: _Checker) -> list[dict]:
    if raw is None:
        return [dict(level) for level in DEFAULT_LEVELS]
    if not isinstance(raw, list) or not raw:
        check.problem("levels", "must be a non-empty list")
        return [dict(level) for level in DEFAULT_LEVELS]
    levels = []
    for index, item in enumerate(raw, start=1):
        where = f"level #{index}"
        if not check.keys(item, _LEVEL_KEYS, where):
            continue
        level, min_score = item.get("level"), item.get("min_score")
        if isinstance(level, bool) or not isinstance(level, int):
            check.problem(where, "'level' must be a whole number")
            continue
        if (
            isinstance(min_score, bool)
            or not isinstance(min_score, (int, float))
            or not 0 <= min_score <= 1
        ):
            check.problem(where, "'min_score' must be a number from 0 to 1")
            continue
        levels.append(
            {
                "level": level,
                "name": check.text(item, "name", where, required=True),
                "min_score": float(min_score),
            }
        )
    if levels:
        ordered = sorted(levels, key=lambda level: (level["level"], level["min_score"]))
        scores = [level["min_score"] for level in ordered]
        # Equal scores would make the lower level unreachable, so they must strictly increase.
        if any(lower >= higher for lower, higher in zip(scores, scores[1:], strict=False)):
            check.problem("levels", "higher levels must have higher 'min_score'")
        if len({level["level"] for level in levels}) != len(levels):
            check.problem("levels", "each level number may appear once")
        if ordered[0]["min_score"] != 0:
            check.problem(
                "levels", "the lowest level must have 'min_score' 0, so every score has a level"
            )
        levels = ordered
    return levels


def _parse_recommendations(
    raw: Any, level_numbers: set[int], where: str, check: _Checker
) -> dict[str, str]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        check.problem(where, "'recommendations' must map level numbers to text")
        return {}
    recommendations = {}
    for level, text in raw.items():
        try:
            number = int(level)
        except (TypeError, ValueError):
            check.problem(where, f"recommendation key {level!r} is not a level number")
            continue
        if number not in level_numbers:
            check.problem(
                where, f"recommendation for level {number}, which the framework does not define"
            )
        if not isinstance(text, str) or not text.strip():
            check.problem(where, f"recommendation for level {number} must be text")
            continue
        recommendations[str(number)] = text.strip()
    return recommendations


def _parse_question(raw: Any, where: str, check: _Checker, red_flag_codes: set[str]) -> dict | None:
    if not check.keys(raw, _QUESTION_KEYS, _named(raw, "question", where)):
        return None
    code = check.text(raw, "code", where, required=True)
    where = f"question {code}" if code else where
    answer_type = check.text(raw, "answer", where) or "status"
    if answer_type not in ANSWER_TYPES:
        check.problem(
            where, f"answer type {answer_type!r} must be one of {', '.join(ANSWER_TYPES)}"
        )
    choices = raw.get("choices") or []
    if not isinstance(choices, list) or not all(
        isinstance(choice, (str, int, float)) for choice in choices
    ):
        check.problem(where, "'choices' must be a list of texts")
        choices = []
    choices = [str(choice) for choice in choices]
    if answer_type == "choice" and not choices:
        check.problem(where, "a choice question needs a non-empty 'choices' list")
    if len(set(choices)) != len(choices):
        check.problem(where, "'choices' has the same choice twice")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        check.problem(where, "'required' must be true or false")
        required = True
    show_if = check.text(raw, "show_if", where)
    if show_if:
        check.expression(show_if, where, f"show_if {show_if!r}")
    question = {
        "code": code,
        "text": check.text(raw, "text", where, required=True),
        "guidance": check.text(raw, "guidance", where),
        "answer": answer_type,
        "choices": choices,
        "required": required,
        "weight": check.number(raw, "weight", where, 1.0),
        "show_if": show_if,
        "red_flags": [],
    }
    flags = raw.get("red_flags") or []
    if not isinstance(flags, list):
        check.problem(where, "'red_flags' must be a list")
        flags = []
    for index, flag_raw in enumerate(flags, start=1):
        flag_where = f"{where}, red flag #{index}"
        named = _named(flag_raw, f"{where}, red flag", flag_where)
        if not check.keys(flag_raw, _RED_FLAG_KEYS, named):
            continue
        flag_code = check.text(flag_raw, "code", flag_where, required=True)
        flag_where = f"{where}, red flag {flag_code}" if flag_code else flag_where
        if flag_code and flag_code in red_flag_codes:
            check.problem(flag_where, "the red-flag code is used twice in the framework")
        red_flag_codes.add(flag_code)
        severity = check.text(flag_raw, "severity", flag_where, required=True)
        if severity and severity not in SEVERITIES:
            check.problem(
                flag_where, f"severity {severity!r} must be one of {', '.join(SEVERITIES)}"
            )
        when = check.text(flag_raw, "when", flag_where, required=True)
        if when:
            check.expression(when, flag_where, f"condition {when!r}")
        question["red_flags"].append(
            {
                "code": flag_code,
                "when": when,
                "severity": severity,
                "message": check.text(flag_raw, "message", flag_where, required=True),
            }
        )
    return question


def _check_references_and_smoke_test(
    framework: dict, question_codes: list[str], check: _Checker
) -> None:
    """Refuse rules that read unknown questions or that fail on an empty questionnaire."""
    known = set(question_codes)
    empty = Evaluator({}, question_codes)
    for criterion in framework["criteria"]:
        for question in criterion["questions"]:
            where = f"question {question['code']}"
            expressions = [("show_if", question["show_if"])] if question["show_if"] else []
            expressions += [
                (f"red flag {flag['code']}", flag["when"]) for flag in question["red_flags"]
            ]
            for what, source in expressions:
                unknown = sorted(set(referenced_questions(source)) - known)
                if unknown:
                    check.problem(
                        f"{where}, {what}", f"refers to unknown question(s) {', '.join(unknown)}"
                    )
                    continue
                try:
                    empty.evaluate(source, question["code"])
                except RuleError as error:
                    check.problem(
                        f"{where}, {what}",
                        f"fails on an unanswered questionnaire (guard numbers with "
                        f"'answer.number != null'): {error}",
                    )


def parse_principles(text: str, source: str = "<principles>") -> list[dict]:
    data = read_yaml(text, source)
    check = _Checker(source)
    items = data.get("principles") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise FrameworkFileError(source, ["'principles' must be a non-empty list"])
    principles = []
    for index, raw in enumerate(items, start=1):
        where = f"principle #{index}"
        if not check.keys(
            raw, {"slug", "name", "order", "summary", "description", "optional"}, where
        ):
            continue
        slug = check.text(raw, "slug", where, required=True)
        if slug and not SLUG.match(slug):
            check.problem(where, f"slug {slug!r} must be lower-case letters, digits and hyphens")
        principles.append(
            {
                "slug": slug,
                "name": check.text(raw, "name", where, required=True),
                "order": int(raw.get("order") or index),
                "summary": check.text(raw, "summary", where),
                "description": check.text(raw, "description", where),
                "optional": bool(raw.get("optional", False)),
            }
        )
    if check.problems:
        raise FrameworkFileError(source, check.problems)
    return principles
