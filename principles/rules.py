"""Red-flag and visibility conditions written in CEL (Common Expression Language).

Plain data in, plain data out: the loader, the scoring worker and the
`score_answers` command share this module. Each expression is compiled once
per process and cached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cel

STATUSES = ("yes", "partial", "no", "na", "")

# `answers["1.2"]` in an expression: a reference to another question's answer.
_ANSWER_REFERENCE = re.compile(r"""answers\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\]""")


class RuleError(Exception):
    """An expression that does not compile, or fails when evaluated."""


@dataclass(frozen=True)
class Rule:
    source: str
    program: Any
    # The answers it reads: question codes named in it, or None when it reads
    # `answers` in a way that cannot be known before evaluating (it gets all).
    answer_codes: frozenset[str] | None


# Any string literal; a literal that is a question code may be read from `answers`.
_STRING_LITERAL = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""")
_ANSWERS_IDENTIFIER = re.compile(r"\banswers\b")
_STATIC_USE = re.compile(
    r"""answers\s*\[\s*(?:"[^"]*"|'[^']*')\s*\]|(?:"[^"]*"|'[^']*')\s+in\s+answers\b"""
)


@lru_cache(maxsize=8192)
def compile_rule(source: str) -> Rule:
    source = source.strip()
    if not source:
        raise RuleError("the expression is empty")
    try:
        program = cel.compile(source)
    except Exception as error:  # the binding raises ValueError today; any failure is a refusal
        raise RuleError(_first_lines(str(error))) from error
    return Rule(source=source, program=program, answer_codes=_answer_codes(source))


def _answer_codes(source: str) -> frozenset[str] | None:
    uses = len(_ANSWERS_IDENTIFIER.findall(source))
    if uses == 0:
        return frozenset()
    if uses != len(_STATIC_USE.findall(source)):
        return None
    return frozenset(double or single for double, single in _STRING_LITERAL.findall(source))


def referenced_questions(source: str) -> list[str]:
    """Codes of the questions an expression reads through `answers[...]`."""
    return [double or single for double, single in _ANSWER_REFERENCE.findall(source)]


def normalise_answer(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answer object rules see, with every field present and typed."""
    raw = raw or {}
    status = raw.get("status") or ""
    if status not in STATUSES:
        raise RuleError(f"unknown status {status!r}; expected one of yes, partial, no, na or empty")
    number = raw.get("number")
    if number is not None and number != "":
        try:
            number = float(number)
        except (TypeError, ValueError) as error:
            raise RuleError(f"number {raw.get('number')!r} is not a number") from error
    else:
        number = None
    choices = raw.get("choices") or []
    if isinstance(choices, str):
        choices = [choices]
    return {
        "status": status,
        "text": str(raw.get("text") or ""),
        "number": number,
        "choices": [str(choice) for choice in choices],
        "evidence_count": int(raw.get("evidence_count") or 0),
    }


class Evaluator:
    """Evaluates many rules against one set of answers.

    Handing a Python dict to CEL converts all of it on every change of the
    context, so each question gets its own small context holding its answer
    and only the other answers its rules name (all of them only for a rule
    that reads `answers` dynamically).
    """

    def __init__(
        self, answers: Mapping[str, Mapping[str, Any]], question_codes: list[str] | None = None
    ):
        self.answers = {code: normalise_answer(value) for code, value in answers.items()}
        # Questions with no answer yet read as unanswered, so cross-question
        # rules never fail on a missing key.
        for code in question_codes or []:
            if code not in self.answers:
                self.answers[code] = normalise_answer(None)
        self._contexts: dict[str, tuple[cel.Context, set[str] | None]] = {}

    def answer(self, code: str) -> dict[str, Any]:
        return self.answers.get(code) or normalise_answer(None)

    def _context(self, question_code: str, rule: Rule) -> cel.Context:
        context, included = self._contexts.get(question_code, (None, set()))
        needed = rule.answer_codes
        if context is not None and (
            included is None or (needed is not None and needed <= included)
        ):
            return context
        if needed is None or included is None:
            included, visible = None, self.answers
        else:
            included = included | needed
            visible = {code: self.answers[code] for code in included if code in self.answers}
        if context is None:
            context = cel.Context({"answer": self.answer(question_code), "answers": visible})
        else:
            context.add_variable("answers", visible)
        self._contexts[question_code] = (context, included)
        return context

    def evaluate(self, source: str, question_code: str) -> bool:
        rule = compile_rule(source)
        context = self._context(question_code, rule)
        try:
            result = rule.program.execute(context)
        except (
            Exception
        ) as error:  # type mismatch, missing key: the rule is wrong for these answers
            raise RuleError(_first_lines(str(error))) from error
        if not isinstance(result, bool):
            raise RuleError(f"the expression must be true or false, but it gave {result!r}")
        return result


def evaluate(
    source: str,
    answer: Mapping[str, Any] | None,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> bool:
    """Evaluate one expression for one answer (convenience for tests and one-off checks)."""
    answers = dict(answers or {})
    answers.setdefault("__current__", answer or {})
    evaluator = Evaluator(answers)
    return evaluator.evaluate(source, "__current__")


def _first_lines(message: str, limit: int = 6) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return "\n".join(lines[:limit])
