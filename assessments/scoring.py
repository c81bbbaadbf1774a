"""The scorecard of one set of answers (DESIGN §4), as plain data.

Input is a framework in the loader's normalised form (see
`principles.loader.parse_framework` and `principles.selectors.framework_spec`),
the answers, the reviewers' scores and the dismissed red flags; output is the
scorecard. The scoring worker, the pages, the API and `score_answers` all call
`score`, so there is one implementation of the formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from principles.rules import Evaluator, RuleError

MAX_SCORE = 3
STATUS_SUGGESTION = {"yes": 2.0, "partial": 1.0, "no": 0.0, "": 0.0}
SCORE_LABELS = {0: "Not met", 1: "Partially met", 2: "Met", 3: "Exceeds"}
DIVERGENCE_GAP = 2


class Source:
    CONSENSUS = "consensus"
    REVIEWERS = "reviewers"
    ANSWER = "answer"
    NA = "na"
    UNSCORED = "unscored"


@dataclass
class QuestionResult:
    score: float | None
    source: str
    hidden: bool
    raw_score: float | None = None  # before a critical red flag forced it to 0


@dataclass
class Scorecard:
    score: float | None
    level: dict | None
    criteria: dict[str, dict | None]
    questions: dict[str, QuestionResult]
    red_flags: list[dict]
    dismissed_red_flags: list[dict]
    divergences: list[str]
    rule_errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of DESIGN §4 (`score_answers` output)."""
        return {
            "score": self.score,
            "level": self.level,
            "criteria": self.criteria,
            "questions": {
                code: {"score": result.score, "source": result.source, "hidden": result.hidden}
                for code, result in self.questions.items()
            },
            "red_flags": self.red_flags,
            "divergences": self.divergences,
        }


def level_for(score: float, levels: list[dict]) -> dict:
    """The highest level whose min_score ≤ score, compared at 9 decimals so 7/10 reaches 0.7."""
    rounded = round(score, 9)
    reached = levels[0]
    for level in sorted(levels, key=lambda item: item["min_score"]):
        if level["min_score"] <= rounded:
            reached = level
    return {"level": reached["level"], "name": reached["name"]}


def question_codes(framework: Mapping[str, Any]) -> list[str]:
    return [
        question["code"]
        for criterion in framework["criteria"]
        for question in criterion["questions"]
    ]


def visibility(framework: Mapping[str, Any], evaluator: Evaluator) -> dict[str, bool]:
    """Which questions are shown; a show_if that cannot be evaluated shows the question."""
    shown = {}
    for criterion in framework["criteria"]:
        for question in criterion["questions"]:
            condition = question.get("show_if")
            if not condition:
                shown[question["code"]] = True
                continue
            try:
                shown[question["code"]] = evaluator.evaluate(condition, question["code"])
            except RuleError:
                shown[question["code"]] = True
    return shown


def is_answered(answer_type: str, answer: Mapping[str, Any]) -> bool:
    if answer_type == "status":
        return bool(answer["status"])
    if answer_type == "number":
        return answer["number"] is not None or answer["status"] == "na"
    if answer_type == "choice":
        return bool(answer["choices"]) or answer["status"] == "na"
    return bool(answer["text"].strip()) or answer["status"] == "na"


def missing_required(
    framework: Mapping[str, Any], answers: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Codes of required questions that are shown and not answered, in framework order."""
    evaluator = Evaluator(answers, question_codes(framework))
    shown = visibility(framework, evaluator)
    return [
        question["code"]
        for criterion in framework["criteria"]
        for question in criterion["questions"]
        if question.get("required", True)
        and shown[question["code"]]
        and not is_answered(question.get("answer", "status"), evaluator.answer(question["code"]))
    ]


def score(
    framework: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    reviews: Mapping[str, Mapping[str, Any]] | None = None,
    dismissed: Iterable[str] = (),
) -> Scorecard:
    reviews = reviews or {}
    dismissed = set(dismissed)
    evaluator = Evaluator(answers, question_codes(framework))
    shown = visibility(framework, evaluator)

    questions: dict[str, QuestionResult] = {}
    red_flags: list[dict] = []
    dismissed_flags: list[dict] = []
    rule_errors: list[dict] = []
    divergences: list[str] = []
    criteria: dict[str, dict | None] = {}
    weighted_criteria = 0.0
    criteria_weight = 0.0

    for criterion in framework["criteria"]:
        weighted_sum = 0.0
        weight_sum = 0.0
        for question in criterion["questions"]:
            code = question["code"]
            review = reviews.get(code) or {}
            reviewer_scores = [
                float(value) for value in review.get("scores") or [] if value is not None
            ]
            if (
                len(reviewer_scores) >= 2
                and max(reviewer_scores) - min(reviewer_scores) >= DIVERGENCE_GAP
            ):
                divergences.append(code)

            if not shown[code]:
                questions[code] = QuestionResult(score=None, source=Source.NA, hidden=True)
                continue

            value, source = _question_score(
                question, evaluator.answer(code), review, reviewer_scores
            )
            critical = False
            for flag in question.get("red_flags") or []:
                try:
                    raised = evaluator.evaluate(flag["when"], code)
                except RuleError as error:
                    rule_errors.append(
                        {"question": code, "code": flag["code"], "error": str(error)}
                    )
                    continue
                if not raised:
                    continue
                entry = {
                    "question": code,
                    "code": flag["code"],
                    "severity": flag["severity"],
                    "message": flag["message"],
                }
                if flag["code"] in dismissed:
                    dismissed_flags.append(entry)
                    continue
                red_flags.append(entry)
                critical = critical or flag["severity"] == "critical"

            raw = value
            if critical:
                value = 0.0
            questions[code] = QuestionResult(
                score=value, source=source, hidden=False, raw_score=raw
            )
            if value is not None:
                weight = float(question.get("weight", 1.0))
                weighted_sum += weight * value
                weight_sum += weight

        if weight_sum > 0:
            criterion_score = weighted_sum / (MAX_SCORE * weight_sum)
            criteria[criterion["code"]] = {
                "score": criterion_score,
                "level": level_for(criterion_score, framework["levels"]),
            }
            criterion_weight = float(criterion.get("weight", 1.0))
            weighted_criteria += criterion_weight * criterion_score
            criteria_weight += criterion_weight
        else:
            criteria[criterion["code"]] = None

    overall = weighted_criteria / criteria_weight if criteria_weight > 0 else None
    return Scorecard(
        score=overall,
        level=level_for(overall, framework["levels"]) if overall is not None else None,
        criteria=criteria,
        questions=questions,
        red_flags=red_flags,
        dismissed_red_flags=dismissed_flags,
        divergences=divergences,
        rule_errors=rule_errors,
    )


def _question_score(
    question: Mapping[str, Any],
    answer: Mapping[str, Any],
    review: Mapping[str, Any],
    reviewer_scores: list[float],
) -> tuple[float | None, str]:
    consensus = review.get("consensus")
    if consensus is not None:
        return float(consensus), Source.CONSENSUS
    if reviewer_scores:
        return sum(reviewer_scores) / len(reviewer_scores), Source.REVIEWERS
    if question.get("answer", "status") == "status":
        if answer["status"] == "na":
            return None, Source.NA
        return STATUS_SUGGESTION[answer["status"]], Source.ANSWER
    return None, Source.UNSCORED


class InputError(ValueError):
    """Answers or reviews that do not fit the framework."""


def check_inputs(
    framework: Mapping[str, Any],
    answers: Mapping[str, Any],
    reviews: Mapping[str, Any] | None = None,
) -> None:
    """Refuse unknown question codes and malformed values, naming each one."""
    from principles.rules import normalise_answer

    known = {q["code"]: q for c in framework["criteria"] for q in c["questions"]}
    problems: list[str] = []
    if not isinstance(answers, Mapping):
        raise InputError("answers must be a JSON object mapping question codes to answers")
    for code, answer in answers.items():
        if code not in known:
            problems.append(f"answers: unknown question code {code!r}")
            continue
        if not isinstance(answer, Mapping):
            problems.append(
                f"answers[{code!r}]: must be an object with status, text, number, choices "
                "or evidence_count"
            )
            continue
        unknown_keys = sorted(
            set(answer) - {"status", "text", "number", "choices", "evidence_count"}
        )
        if unknown_keys:
            problems.append(f"answers[{code!r}]: unknown key(s) {', '.join(unknown_keys)}")
        try:
            normalised = normalise_answer(answer)
        except (RuleError, TypeError, ValueError) as error:
            problems.append(f"answers[{code!r}]: {error}")
            continue
        choices = known[code].get("choices") or []
        if choices and any(choice not in choices for choice in normalised["choices"]):
            problems.append(f"answers[{code!r}]: choices must be among {', '.join(choices)}")
    if reviews is not None and not isinstance(reviews, Mapping):
        raise InputError("reviews must be a JSON object mapping question codes to reviews")
    for code, review in (reviews or {}).items():
        if code not in known:
            problems.append(f"reviews: unknown question code {code!r}")
            continue
        if not isinstance(review, Mapping):
            problems.append(f"reviews[{code!r}]: must be an object with scores and/or consensus")
            continue
        values = list(review.get("scores") or [])
        if review.get("consensus") is not None:
            values.append(review["consensus"])
        for value in values:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= MAX_SCORE
            ):
                problems.append(
                    f"reviews[{code!r}]: score {value!r} must be a number from 0 to {MAX_SCORE}"
                )
    if problems:
        raise InputError("\n".join(problems))
