"""The formulas of DESIGN §4, pinned on small frameworks built in the test."""

import pytest

from assessments.scoring import InputError, check_inputs, level_for, missing_required, score

LEVELS = [
    {"level": 1, "name": "Initial", "min_score": 0.0},
    {"level": 2, "name": "Developing", "min_score": 0.25},
    {"level": 3, "name": "Defined", "min_score": 0.5},
    {"level": 4, "name": "Managed", "min_score": 0.7},
    {"level": 5, "name": "Optimising", "min_score": 0.9},
]


def question(
    code, answer="status", weight=1.0, required=True, show_if="", red_flags=(), choices=()
):
    return {
        "code": code,
        "answer": answer,
        "weight": weight,
        "required": required,
        "show_if": show_if,
        "red_flags": list(red_flags),
        "choices": list(choices),
    }


def flag(code, when, severity="major", message="Something is wrong."):
    return {"code": code, "when": when, "severity": severity, "message": message}


def framework(*criteria):
    return {"levels": LEVELS, "criteria": list(criteria)}


def criterion(code, *questions, weight=1.0):
    return {"code": code, "weight": weight, "questions": list(questions)}


def test_status_answers_suggest_scores_and_na_is_left_out():
    spec = framework(
        criterion(
            "1", question("1.1"), question("1.2"), question("1.3"), question("1.4"), question("1.5")
        )
    )
    card = score(
        spec,
        {
            "1.1": {"status": "yes"},
            "1.2": {"status": "partial"},
            "1.3": {"status": "no"},
            "1.4": {"status": "na"},
        },
    )
    got = {code: (q.score, q.source) for code, q in card.questions.items()}
    assert got == {
        "1.1": (2.0, "answer"),
        "1.2": (1.0, "answer"),
        "1.3": (0.0, "answer"),
        "1.4": (None, "na"),
        "1.5": (0.0, "answer"),
    }
    # (2 + 1 + 0 + 0) / (3 * 4)
    assert card.criteria["1"]["score"] == pytest.approx(3 / 12)


def test_consensus_beats_the_reviewers_mean_which_beats_the_answer():
    spec = framework(criterion("1", question("1.1"), question("1.2"), question("1.3")))
    answers = {code: {"status": "no"} for code in ("1.1", "1.2", "1.3")}
    reviews = {"1.1": {"scores": [1, 2], "consensus": 3}, "1.2": {"scores": [1, 2]}}
    card = score(spec, answers, reviews)
    assert (card.questions["1.1"].score, card.questions["1.1"].source) == (3.0, "consensus")
    assert (card.questions["1.2"].score, card.questions["1.2"].source) == (1.5, "reviewers")
    assert (card.questions["1.3"].score, card.questions["1.3"].source) == (0.0, "answer")


def test_reviewer_mean_is_a_float_not_rounded():
    spec = framework(criterion("1", question("1.1")))
    card = score(spec, {}, {"1.1": {"scores": [1, 1, 2]}})
    assert card.questions["1.1"].score == pytest.approx(4 / 3)


def test_other_answer_types_are_unscored_until_a_reviewer_scores_them():
    spec = framework(
        criterion("1", question("1.1", "text"), question("1.2", "number"), question("1.3"))
    )
    card = score(spec, {"1.1": {"text": "long"}, "1.2": {"number": 4}, "1.3": {"status": "yes"}})
    assert (card.questions["1.1"].score, card.questions["1.1"].source) == (None, "unscored")
    assert (card.questions["1.2"].score, card.questions["1.2"].source) == (None, "unscored")
    assert card.criteria["1"]["score"] == pytest.approx(2 / 3)
    card = score(spec, {"1.3": {"status": "yes"}}, {"1.1": {"scores": [3]}})
    assert card.criteria["1"]["score"] == pytest.approx((3 + 2) / 6)


def test_weights_apply_to_questions_and_criteria():
    spec = framework(
        criterion("1", question("1.1", weight=3), question("1.2", weight=1), weight=2),
        criterion("2", question("2.1"), weight=1),
    )
    card = score(
        spec, {"1.1": {"status": "yes"}, "1.2": {"status": "no"}, "2.1": {"status": "partial"}}
    )
    c1 = (3 * 2 + 1 * 0) / (3 * 4)
    c2 = 1 / 3
    assert card.criteria["1"]["score"] == pytest.approx(c1)
    assert card.criteria["2"]["score"] == pytest.approx(c2)
    assert card.score == pytest.approx((2 * c1 + 1 * c2) / 3)


def test_a_criterion_whose_questions_are_all_na_is_left_out_of_the_framework_score():
    spec = framework(criterion("1", question("1.1")), criterion("2", question("2.1")))
    card = score(spec, {"1.1": {"status": "yes"}, "2.1": {"status": "na"}})
    assert card.criteria["2"] is None
    assert card.score == pytest.approx(2 / 3)
    assert card.level == {"level": 3, "name": "Defined"}


def test_nothing_scorable_gives_no_score_and_no_level():
    spec = framework(criterion("1", question("1.1")))
    card = score(spec, {"1.1": {"status": "na"}})
    assert (card.score, card.level, card.criteria) == (None, None, {"1": None})


def test_level_thresholds_compare_after_rounding_to_nine_decimals():
    # 7/10 as floating point is 0.7000000000000001 or 0.6999999999999999 depending on the sum.
    assert level_for(0.1 * 7, LEVELS)["level"] == 4
    assert level_for(0.6999999999, LEVELS)["level"] == 4  # rounds to 0.7 at 9 decimals
    assert level_for(0.699999998, LEVELS)["level"] == 3
    assert level_for(0.0, LEVELS) == {"level": 1, "name": "Initial"}
    assert level_for(1.0, LEVELS) == {"level": 5, "name": "Optimising"}


def test_seven_tenths_reaches_a_point_seven_threshold_end_to_end():
    questions = [question(f"1.{i}", weight=1) for i in range(1, 11)]
    spec = framework(criterion("1", *questions))
    # 7 questions at 3 (consensus) and 3 at 0 → 21 / 30 = 0.7
    reviews = {f"1.{i}": {"consensus": 3} for i in range(1, 8)}
    answers = {f"1.{i}": {"status": "no"} for i in range(8, 11)}
    card = score(spec, answers, reviews)
    assert card.criteria["1"]["level"] == {"level": 4, "name": "Managed"}


def test_an_active_critical_red_flag_makes_the_effective_score_zero():
    spec = framework(
        criterion(
            "1",
            question("1.1", red_flags=[flag("1.1a", "answer.evidence_count == 0", "critical")]),
            question("1.2"),
        )
    )
    answers = {"1.1": {"status": "yes"}, "1.2": {"status": "yes"}}
    card = score(spec, answers, {"1.1": {"consensus": 3}})
    assert card.questions["1.1"].score == 0.0
    assert card.questions["1.1"].raw_score == 3.0
    assert card.criteria["1"]["score"] == pytest.approx(2 / 6)
    assert card.red_flags == [
        {
            "question": "1.1",
            "code": "1.1a",
            "severity": "critical",
            "message": "Something is wrong.",
        }
    ]


def test_a_dismissed_critical_flag_no_longer_zeroes_the_score():
    spec = framework(
        criterion(
            "1", question("1.1", red_flags=[flag("1.1a", 'answer.status == "yes"', "critical")])
        )
    )
    card = score(spec, {"1.1": {"status": "yes"}}, dismissed={"1.1a"})
    assert card.questions["1.1"].score == 2.0
    assert card.red_flags == []
    assert [f["code"] for f in card.dismissed_red_flags] == ["1.1a"]


def test_major_and_minor_flags_do_not_change_the_score():
    spec = framework(
        criterion(
            "1",
            question(
                "1.1", red_flags=[flag("1.1a", "true", "major"), flag("1.1b", "true", "minor")]
            ),
        )
    )
    card = score(spec, {"1.1": {"status": "yes"}})
    assert card.questions["1.1"].score == 2.0
    assert [f["severity"] for f in card.red_flags] == ["major", "minor"]


def test_hidden_questions_are_na_raise_no_flags_and_are_not_required():
    spec = framework(
        criterion(
            "1",
            question("1.1"),
            question(
                "1.2",
                show_if='answers["1.1"].status == "yes"',
                red_flags=[flag("1.2a", "true", "critical")],
            ),
        )
    )
    card = score(spec, {"1.1": {"status": "no"}})
    assert (
        card.questions["1.2"].score,
        card.questions["1.2"].source,
        card.questions["1.2"].hidden,
    ) == (None, "na", True)
    assert card.red_flags == []
    assert missing_required(spec, {"1.1": {"status": "no"}}) == []
    assert missing_required(spec, {"1.1": {"status": "yes"}}) == ["1.2"]
    shown = score(spec, {"1.1": {"status": "yes"}})
    assert shown.questions["1.2"].hidden is False
    assert [f["code"] for f in shown.red_flags] == ["1.2a"]


def test_divergence_is_a_gap_of_two_or_more_between_reviewers():
    spec = framework(criterion("1", question("1.1"), question("1.2"), question("1.3")))
    card = score(
        spec,
        {},
        {"1.1": {"scores": [0, 2]}, "1.2": {"scores": [1, 2, 2]}, "1.3": {"scores": [3, 1, 2]}},
    )
    assert card.divergences == ["1.1", "1.3"]


def test_missing_required_counts_each_answer_type_and_skips_optional_questions():
    spec = framework(
        criterion(
            "1",
            question("1.1"),
            question("1.2", "number"),
            question("1.3", "choice", choices=["a", "b"]),
            question("1.4", "text"),
            question("1.5", required=False),
        )
    )
    assert missing_required(spec, {}) == ["1.1", "1.2", "1.3", "1.4"]
    answers = {
        "1.1": {"status": "no"},
        "1.2": {"number": 0},
        "1.3": {"choices": ["a"]},
        "1.4": {"text": "  "},
    }
    assert missing_required(spec, answers) == ["1.4"]


def test_as_dict_has_exactly_the_design_keys():
    spec = framework(criterion("1", question("1.1")))
    data = score(spec, {"1.1": {"status": "partial"}}).as_dict()
    assert data == {
        "score": pytest.approx(1 / 3),
        "level": {"level": 2, "name": "Developing"},
        "criteria": {
            "1": {"score": pytest.approx(1 / 3), "level": {"level": 2, "name": "Developing"}}
        },
        "questions": {"1.1": {"score": 1.0, "source": "answer", "hidden": False}},
        "red_flags": [],
        "divergences": [],
    }


def test_check_inputs_names_unknown_codes_and_bad_values():
    spec = framework(criterion("1", question("1.1"), question("1.2", "choice", choices=["a"])))
    with pytest.raises(InputError) as error:
        check_inputs(
            spec,
            {"9.9": {}, "1.1": {"status": "maybe"}, "1.2": {"choices": ["z"]}},
            {"1.1": {"scores": [4]}, "8.8": {}},
        )
    message = str(error.value)
    for part in (
        "unknown question code '9.9'",
        "unknown status 'maybe'",
        "choices must be among a",
        "score 4 must be a number from 0 to 3",
        "reviews: unknown question code '8.8'",
    ):
        assert part in message
    check_inputs(spec, {"1.1": {"status": "yes"}}, {"1.1": {"scores": [2], "consensus": 3}})
