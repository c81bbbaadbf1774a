"""CEL red-flag and show_if conditions (DESIGN §3): plain data in, a boolean out."""

from __future__ import annotations

import pytest

from principles.rules import (
    Evaluator,
    RuleError,
    compile_rule,
    evaluate,
    normalise_answer,
    referenced_questions,
)


@pytest.mark.parametrize(
    ("status", "raised"),
    [("no", True), ("yes", False), ("partial", False), ("na", False), ("", False)],
)
def test_a_status_rule_is_true_only_for_that_status(status, raised):
    assert evaluate('answer.status == "no"', {"status": status}) is raised


def test_an_unanswered_question_reads_as_an_empty_status():
    assert evaluate('answer.status == ""', None) is True
    assert evaluate('answer.status == ""', {"status": "yes"}) is False


@pytest.mark.parametrize(
    ("text", "raised"),
    [
        ("", False),
        ("Too short.", True),
        ("We page the on-call engineer within fifteen minutes.", False),
    ],
)
def test_a_text_size_rule_measures_the_explanation(text, raised):
    rule = 'answer.text != "" && size(answer.text) < 40'
    assert evaluate(rule, {"text": text}) is raised


@pytest.mark.parametrize(
    ("number", "raised"), [(None, False), (2, False), (3.0, False), (4, True), ("7", True)]
)
def test_a_guarded_number_rule_handles_a_missing_number(number, raised):
    rule = "answer.number != null && answer.number > 3.0"
    assert evaluate(rule, {"number": number}) is raised


def test_an_unguarded_number_rule_fails_on_a_missing_number_with_the_reason():
    with pytest.raises(RuleError, match="No such overload"):
        evaluate("answer.number > 3.0", {"status": "yes"})


@pytest.mark.parametrize(
    ("choices", "contains_none", "several"),
    [
        ([], False, False),
        (["SOC 2"], False, False),
        (["None"], True, False),
        (["ISO 27001", "SOC 2"], False, True),
    ],
)
def test_choice_rules_use_in_and_size(choices, contains_none, several):
    assert evaluate('"None" in answer.choices', {"choices": choices}) is contains_none
    assert evaluate("size(answer.choices) > 1", {"choices": choices}) is several


def test_a_cross_question_rule_reads_another_answer():
    rule = 'answer.status == "no" && answers["S1"].status == "no"'
    evaluator = Evaluator(
        {"S1": {"status": "no"}, "O2": {"status": "no"}, "O3": {"status": "no"}}, ["S1", "O2", "O3"]
    )

    assert evaluator.evaluate(rule, "O2") is True
    assert (
        Evaluator({"S1": {"status": "yes"}, "O2": {"status": "no"}}).evaluate(rule, "O2") is False
    )


def test_a_cross_question_rule_sees_an_unanswered_question_as_empty_when_the_codes_are_given():
    evaluator = Evaluator({"O2": {"status": "no"}}, ["S1", "O2"])

    assert evaluator.evaluate('answers["S1"].status == ""', "O2") is True
    assert evaluator.answer("S1") == normalise_answer(None)


def test_rules_of_different_questions_see_their_own_answer():
    evaluator = Evaluator({"A": {"status": "yes"}, "B": {"status": "no"}})

    assert [evaluator.evaluate('answer.status == "no"', code) for code in ("A", "B", "A")] == [
        False,
        True,
        False,
    ]


def test_a_dynamic_read_of_answers_sees_every_answer():
    evaluator = Evaluator({"A": {"status": "no"}, "B": {"status": "no"}, "C": {"status": "yes"}})

    assert evaluator.evaluate('answers.all(code, answers[code].status == "no")', "A") is False
    assert evaluator.evaluate('answers.exists(code, answers[code].status == "yes")', "A") is True
    assert evaluator.evaluate("size(answers) == 3", "B") is True


@pytest.mark.parametrize(("count", "raised"), [(0, True), (1, False), (3, False)])
def test_an_evidence_rule_counts_attached_evidence(count, raised):
    rule = 'answer.status == "yes" && answer.evidence_count == 0'
    assert evaluate(rule, {"status": "yes", "evidence_count": count}) is raised


def test_an_expression_that_does_not_compile_raises_rule_error_with_the_compiler_message():
    with pytest.raises(RuleError) as caught:
        compile_rule('answer.status == "no" &&')

    message = str(caught.value)
    assert message.startswith("Failed to parse expression 'answer.status == \"no\" &&'")
    assert "Syntax error" in message


def test_an_empty_expression_is_refused():
    with pytest.raises(RuleError, match="the expression is empty"):
        compile_rule("   ")


def test_a_compiled_rule_is_cached_and_reused():
    source = 'answer.status == "partial" && answer.evidence_count > 1'

    first = compile_rule(source)

    assert compile_rule(source) is first
    assert first.source == source


def test_a_result_that_is_not_true_or_false_is_refused():
    with pytest.raises(RuleError, match=r"the expression must be true or false, but it gave 'yes'"):
        evaluate("answer.status", {"status": "yes"})
    with pytest.raises(RuleError, match=r"the expression must be true or false, but it gave 3"):
        evaluate("size(answer.text)", {"text": "abc"})


def test_reading_a_field_that_does_not_exist_is_an_error():
    with pytest.raises(RuleError):
        evaluate("answer.score > 1", {"status": "yes"})


def test_normalise_answer_fills_every_field_for_an_unanswered_question():
    assert normalise_answer(None) == {
        "status": "",
        "text": "",
        "number": None,
        "choices": [],
        "evidence_count": 0,
    }


def test_normalise_answer_coerces_types():
    raw = {
        "status": "partial",
        "text": 42,
        "number": "3.5",
        "choices": "SOC 2",
        "evidence_count": "2",
    }

    assert normalise_answer(raw) == {
        "status": "partial",
        "text": "42",
        "number": 3.5,
        "choices": ["SOC 2"],
        "evidence_count": 2,
    }


def test_normalise_answer_reads_an_empty_number_as_null_and_keeps_zero():
    assert normalise_answer({"number": ""})["number"] is None
    assert normalise_answer({"number": 0})["number"] == 0.0
    assert normalise_answer({"choices": [1, "b"]})["choices"] == ["1", "b"]
    assert normalise_answer({"status": None})["status"] == ""


def test_normalise_answer_refuses_an_unknown_status_and_a_non_number():
    with pytest.raises(RuleError, match="unknown status 'maybe'"):
        normalise_answer({"status": "maybe"})
    with pytest.raises(RuleError, match="number 'lots' is not a number"):
        normalise_answer({"number": "lots"})


def test_referenced_questions_lists_codes_read_through_answers():
    source = (
        """answers["1.2"].status == "no" && answers[ '3.4' ].text != "" && "S1" in answer.choices"""
    )

    assert referenced_questions(source) == ["1.2", "3.4"]
    assert referenced_questions('answer.status == "no"') == []
