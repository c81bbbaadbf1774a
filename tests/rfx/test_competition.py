"""Tender competition scoring (DESIGN §5): metrics against scikit-learn, groups, bars, checks."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_digits, load_wine
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import cross_val_predict
from sklearn.naive_bayes import GaussianNB

from rfx.competition import (
    BarsError,
    CompetitionFileError,
    Evaluation,
    check_bars,
    read_labels,
    score,
    validate,
)

TOLERANCE = 1e-9
TOP_LEVEL_KEYS = {
    "accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix",
    "groups", "gaps", "bars", "passed",
}  # fmt: skip


def csv_bytes(header: str, rows) -> bytes:
    return (header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)).encode()


def files(truth, predicted, groups: dict | None = None, *, order=None):
    """Labels and predictions CSV bytes for ids 0..n-1; `order` lists prediction rows."""
    groups = groups or {}
    ids = [f"id{index:05d}" for index in range(len(truth))]
    header = ",".join(["id", "label", *groups])
    labels = csv_bytes(header, zip(ids, truth, *groups.values(), strict=True))
    order = range(len(truth)) if order is None else order
    predictions = csv_bytes("id,prediction", ((ids[i], predicted[i]) for i in order))
    return labels, predictions


def errors_of(labels, predictions, **options) -> list[str]:
    with pytest.raises(CompetitionFileError) as caught:
        validate(labels, predictions, **options)
    return caught.value.messages


def approx(value):
    return pytest.approx(value, abs=TOLERANCE, rel=0)


def assert_matches_sklearn(metrics: dict, truth, predicted, classes) -> None:
    """Every overall metric (or one group's) against scikit-learn's own functions."""
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0, labels=classes
    )
    assert metrics["accuracy"] == approx(accuracy_score(truth, predicted))
    assert metrics["macro_f1"] == approx(
        f1_score(truth, predicted, average="macro", zero_division=0)
    )
    assert metrics["weighted_f1"] == approx(
        f1_score(truth, predicted, average="weighted", zero_division=0)
    )
    assert list(metrics["per_class"]) == list(classes)
    for index, label in enumerate(classes):
        assert metrics["per_class"][label] == {
            "precision": approx(precision[index]),
            "recall": approx(recall[index]),
            "f1": approx(f1[index]),
            "support": int(support[index]),
        }
    assert metrics["confusion_matrix"] == {
        "labels": list(classes),
        "matrix": confusion_matrix(truth, predicted, labels=classes).tolist(),
    }


def assert_groups_match_sklearn(result: dict, truth, predicted, groups: dict, classes) -> None:
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    for column, values in groups.items():
        values = np.asarray(values)
        assert list(result["groups"][column]) == sorted(set(values))
        accuracies, recalls = [], {label: [] for label in classes}
        for value in sorted(set(values)):
            inside = values == value
            group = result["groups"][column][value]
            assert group["support"] == int(inside.sum())
            assert_matches_sklearn(group, truth[inside], predicted[inside], classes)
            accuracies.append(accuracy_score(truth[inside], predicted[inside]))
            for label in classes:
                if (truth[inside] == label).any():  # recall is undefined without true instances
                    recalls[label].append(
                        precision_recall_fscore_support(
                            truth[inside], predicted[inside], labels=[label], zero_division=0
                        )[1][0]
                    )
        gaps = result["gaps"][column]
        assert gaps["accuracy"] == approx(max(accuracies) - min(accuracies))
        assert gaps["recall"] == {
            label: approx(max(found) - min(found) if len(found) >= 2 else 0.0)
            for label, found in recalls.items()
        }


def generated(seed: int):
    """Imbalanced classes (2 to 7), one never predicted, and two group columns."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    n = int(rng.integers(300, 3000))
    classes = [f"class-{chr(ord('A') + index)}" for index in range(k)]
    weights = rng.dirichlet(np.full(k, 0.6))
    codes = rng.choice(k, size=n, p=weights)
    codes[:k] = np.arange(k)  # every class occurs in the truth
    noisy = rng.random(n) < rng.uniform(0.1, 0.6)
    predicted = np.where(noisy, rng.choice(k, size=n), codes)
    never = int(rng.integers(k))
    predicted[predicted == never] = (never + 1) % k
    sites = np.array(["north", "south", "east"])[rng.choice(3, size=n, p=[0.6, 0.3, 0.1])]
    shifts = np.where(codes % 2 == 0, "day", "night")  # a group correlated with the class
    truth = [classes[code] for code in codes]
    return truth, [classes[code] for code in predicted], {"site": sites, "shift": shifts}, classes


# ---------------------------------------------------------------- metrics


@pytest.mark.parametrize("seed", range(8))
def test_every_metric_matches_scikit_learn_on_generated_data(seed):
    truth, predicted, groups, classes = generated(seed)
    labels, predictions = files(truth, predicted, {key: list(v) for key, v in groups.items()})

    result = score(labels, predictions)

    assert set(result) == TOP_LEVEL_KEYS
    assert_matches_sklearn(result, truth, predicted, classes)
    assert_groups_match_sklearn(result, truth, predicted, groups, classes)
    assert result["bars"] == []
    assert result["passed"] is True


def test_a_class_never_predicted_has_zero_precision_and_f1_as_scikit_learn_says():
    truth = ["A", "A", "B", "B", "C", "C"]
    predicted = ["A", "B", "B", "A", "A", "B"]  # C is never predicted

    result = score(*files(truth, predicted))

    assert result["per_class"]["C"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert_matches_sklearn(result, truth, predicted, ["A", "B", "C"])


def test_known_classes_allow_a_prediction_absent_from_the_truth_and_still_match_scikit_learn():
    truth = ["cat", "dog", "dog", "cat", "dog"]
    predicted = ["cat", "fox", "dog", "fox", "dog"]
    classes = ["cat", "dog", "fox", "owl"]  # owl is in neither: left out of the macro average

    result = score(*files(truth, predicted), classes=classes)

    assert_matches_sklearn(result, truth, predicted, classes)
    assert result["per_class"]["owl"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_it_matches_scikit_learn_on_the_digits_data_set_with_a_classifiers_predictions():
    digits = load_digits()
    predicted_codes = cross_val_predict(GaussianNB(), digits.data, digits.target, cv=5)
    truth = [f"digit {code}" for code in digits.target]
    predicted = [f"digit {code}" for code in predicted_codes]
    # Odd and even image rows stand in for two data sources.
    source = ["scanner" if index % 2 else "tablet" for index in range(len(truth))]

    result = score(*files(truth, predicted, {"source": source}))

    classes = sorted(set(truth))
    assert result["accuracy"] < 0.9  # a weak classifier: every cell of the matrix matters
    assert_matches_sklearn(result, truth, predicted, classes)
    assert_groups_match_sklearn(result, truth, predicted, {"source": source}, classes)


def test_it_matches_scikit_learn_on_the_wine_data_set_grouped_by_alcohol():
    wine = load_wine()
    predicted_codes = cross_val_predict(GaussianNB(), wine.data[:, :2], wine.target, cv=3)
    names = list(wine.target_names)
    truth = [names[code] for code in wine.target]
    predicted = [names[code] for code in predicted_codes]
    median = np.median(wine.data[:, 0])
    alcohol = ["high" if value > median else "low" for value in wine.data[:, 0]]

    result = score(*files(truth, predicted, {"alcohol": alcohol}))

    assert_matches_sklearn(result, truth, predicted, sorted(names))
    assert_groups_match_sklearn(result, truth, predicted, {"alcohol": alcohol}, sorted(names))
    assert result["gaps"]["alcohol"]["accuracy"] > 0


@pytest.mark.parametrize("seed", range(3))
def test_the_order_of_the_predictions_does_not_change_any_figure(seed):
    truth, predicted, groups, _ = generated(seed)
    groups = {key: list(values) for key, values in groups.items()}
    labels, in_order = files(truth, predicted, groups)
    shuffled_order = np.random.default_rng(seed).permutation(len(truth))
    _, shuffled = files(truth, predicted, groups, order=shuffled_order)
    assert shuffled != in_order

    assert score(labels, shuffled) == score(labels, in_order)


def test_a_class_absent_from_a_group_has_recall_zero_there_but_is_left_out_of_the_recall_gap():
    truth = ["A", "B", "A", "B", "B", "B", "A", "B"]
    predicted = ["A", "B", "B", "B", "B", "A", "A", "B"]
    site = ["x", "x", "x", "x", "y", "y", "z", "z"]  # y has no true A

    result = score(*files(truth, predicted, {"site": site}))

    assert result["groups"]["site"]["y"]["per_class"]["A"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0,
    }  # fmt: skip
    # A's recall is 0.5 at x and 1.0 at z; y does not make it 1.0 - 0.0.
    assert result["gaps"]["site"]["recall"]["A"] == approx(0.5)
    assert result["gaps"]["site"]["recall"]["B"] == approx(0.5)  # 1.0 at x and z, 0.5 at y
    assert result["gaps"]["site"]["accuracy"] == approx(1.0 - 0.5)
    assert_groups_match_sklearn(result, truth, predicted, {"site": site}, ["A", "B"])


def test_a_gap_with_fewer_than_two_groups_to_compare_is_zero():
    truth = ["A", "B", "B", "A"]
    predicted = ["B", "B", "A", "A"]

    one_group = score(*files(truth, predicted, {"site": ["x"] * 4}))
    a_only_at_x = score(*files(truth, predicted, {"site": ["x", "y", "y", "y"]}))

    assert one_group["gaps"]["site"] == {"accuracy": 0.0, "recall": {"A": 0.0, "B": 0.0}}
    # A occurs in the truth at x (row 1) and at y (row 4): compared; recall 0 at x, 1 at y.
    assert a_only_at_x["gaps"]["site"]["recall"]["A"] == approx(1.0)
    only_x = score(*files(["A", "B", "B"], ["A", "B", "A"], {"site": ["x", "y", "y"]}))
    assert only_x["gaps"]["site"]["recall"]["A"] == 0.0


def test_the_json_has_the_documented_shape_and_is_serialisable():
    result = score(*files(["A", "B"], ["A", "A"], {"site": ["x", "y"]}))

    assert json.loads(json.dumps(result)) == result
    assert set(result["per_class"]["A"]) == {"precision", "recall", "f1", "support"}
    assert set(result["groups"]["site"]["x"]) == {
        "accuracy", "macro_f1", "weighted_f1", "support", "per_class", "confusion_matrix",
    }  # fmt: skip
    assert set(result["gaps"]["site"]) == {"accuracy", "recall"}
    assert result["confusion_matrix"] == {"labels": ["A", "B"], "matrix": [[1, 0], [1, 0]]}


def test_labels_are_sorted_and_trimmed_and_ids_compared_as_text():
    labels = b"id,label,site\n007, zebra,x\n7,apple , y\n8,apple,y \n"
    predictions = b"id,prediction\n 7 ,apple\n007, apple\n8,apple\n"

    result = score(labels, predictions)

    assert result["confusion_matrix"] == {"labels": ["apple", "zebra"], "matrix": [[2, 0], [1, 0]]}
    assert list(result["groups"]["site"]) == ["x", "y"]
    assert result["groups"]["site"]["y"]["support"] == 2


# ---------------------------------------------------------------- bars


def test_bars_pass_and_fail_on_every_kind_of_metric():
    truth = ["A"] * 10 + ["B"] * 10
    predicted = ["A"] * 9 + ["B"] + ["B"] * 7 + ["A"] * 3
    site = ["x"] * 5 + ["y"] * 5 + ["x"] * 5 + ["y"] * 5
    bars = [
        {"metric": "accuracy", "min": 0.8},  # 16/20 = 0.8 exactly: holds
        {"metric": "macro_f1", "min": 0.81},
        {"metric": "weighted_f1", "max": 0.9},
        {"metric": "precision", "class": "A", "min": 0.75},  # 9/12
        {"metric": "recall", "class": "B", "min": 0.8},  # 7/10
        {"metric": "f1", "class": "A", "min": 0.8},
        {"metric": "accuracy_gap", "column": "site", "max": 0.5},  # 1.0 at x, 0.6 at y
        {"metric": "recall_gap", "column": "site", "class": "B", "max": 0.2},  # 1.0 and 0.4
    ]

    result = score(*files(truth, predicted, {"site": site}), bars)

    values = [bar["value"] for bar in result["bars"]]
    assert [bar["passed"] for bar in result["bars"]] == [
        True, False, True, True, False, True, True, False,
    ]  # fmt: skip
    assert values[0] == 0.8 and values[3] == approx(0.75) and values[4] == approx(0.7)
    assert values[6] == approx(0.4) == approx(result["gaps"]["site"]["accuracy"])
    assert values[7] == approx(0.6) == approx(result["gaps"]["site"]["recall"]["B"])
    given = [
        {k: v for k, v in bar.items() if k not in ("value", "passed")} for bar in result["bars"]
    ]
    assert given == bars
    assert result["passed"] is False


def test_all_bars_holding_passes_including_a_fairness_bar():
    truth = ["A", "B"] * 10
    site = ["x"] * 10 + ["y"] * 10
    predicted = list(truth)
    predicted[0] = "B"  # one A at x missed: A's recall 0.8 at x, 1.0 at y
    bars = [
        {"metric": "accuracy", "min": 0.9},
        {"metric": "recall_gap", "column": "site", "class": "A", "max": 0.2},
    ]

    passing = score(*files(truth, predicted, {"site": site}), bars)
    failing = score(*files(truth, predicted, {"site": site}), [{**bars[1], "max": 0.19}])

    assert passing["passed"] is True
    assert passing["bars"][1]["value"] == approx(0.2)
    assert failing["passed"] is False
    assert failing["bars"][0]["passed"] is False


def test_a_value_equal_to_the_bar_holds_despite_floating_point():
    # Recall 0.7 at x and 0.8 at y: 0.8 - 0.7 is 0.10000000000000009 in floating point.
    truth = ["A"] * 20
    predicted = ["A"] * 7 + ["B"] * 3 + ["A"] * 8 + ["B"] * 2
    site = ["x"] * 10 + ["y"] * 10
    bar = {"metric": "recall_gap", "column": "site", "class": "A", "max": 0.1}

    result = score(*files(truth, predicted, {"site": site}), [bar], classes=["A", "B"])

    assert result["bars"][0]["value"] > 0.1
    assert result["bars"][0]["passed"] is True


@pytest.mark.parametrize(
    ("bar", "message"),
    [
        ({"metric": "auc", "min": 0.5}, "Bar 1: metric “auc” is not one of accuracy, macro_f1"),
        ({"min": 0.5}, "Bar 1: names no metric"),
        ({"metric": "recall", "min": 0.5}, "Bar 1: recall needs a class (a label)."),
        (
            {"metric": "accuracy", "class": "A", "min": 0.5},
            "Bar 1: accuracy does not take a class.",
        ),
        ({"metric": "recall_gap", "class": "A", "max": 0.1}, "Bar 1: recall_gap needs a column"),
        ({"metric": "accuracy_gap", "column": "site"}, "Bar 1: give either a min or a max."),
        ({"metric": "accuracy", "min": 0.5, "max": 0.9}, "Bar 1: give a min or a max, not both."),
        ({"metric": "accuracy", "min": "0.8"}, "Bar 1: min must be a number between 0 and 1."),
        ({"metric": "accuracy", "min": True}, "Bar 1: min must be a number between 0 and 1."),
        ({"metric": "accuracy", "min": 80}, "Bar 1: min must be between 0 and 1, not 80."),
        ({"metric": "accuracy", "minimum": 0.8}, "Bar 1: unknown key “minimum”"),
        ("accuracy", "Bar 1: must be an object"),
    ],
)
def test_a_malformed_bar_is_refused_with_a_clear_message(bar, message):
    with pytest.raises(BarsError) as caught:
        score(*files(["A", "B"], ["A", "B"]), [bar])

    assert any(found.startswith(message) for found in caught.value.messages), caught.value.messages


def test_bars_naming_a_class_or_column_that_does_not_exist_are_refused_before_scoring():
    bars = [
        {"metric": "accuracy", "min": 0.5},
        {"metric": "recall", "class": "Z", "min": 0.5},
        {"metric": "accuracy_gap", "column": "region", "max": 0.1},
    ]

    with pytest.raises(BarsError) as caught:
        score(*files(["A", "B"], ["A", "B"], {"site": ["x", "y"]}), bars)

    assert caught.value.messages == [
        "Bar 2: class “Z” is not a label of the competition (“A”, “B”).",
        "Bar 3: column “region” is not a group column of the labels file (group columns: “site”).",
    ]


def test_bars_must_be_a_list_and_are_checked_without_labels_for_their_shape():
    with pytest.raises(BarsError, match="must be a JSON list"):
        check_bars({"metric": "accuracy", "min": 0.8})
    assert check_bars([{"metric": "recall", "class": "anything", "min": 0.8}]) == [
        {"metric": "recall", "class": "anything", "min": 0.8}
    ]


# ---------------------------------------------------------------- predictions file checks

LABELS = csv_bytes("id,label", [(f"r{i}", "AB"[i % 2]) for i in range(1, 31)])


def predictions_for(ids=range(1, 31)) -> list[list[str]]:
    return [[f"r{i}", "AB"[i % 2]] for i in ids]


def test_valid_predictions_give_an_evaluation_of_codes():
    evaluation = validate(LABELS, csv_bytes("id,prediction", predictions_for()))

    assert isinstance(evaluation, Evaluation)
    assert evaluation.classes == ["A", "B"]
    assert len(evaluation.truth) == len(evaluation.predicted) == 30
    assert (evaluation.truth == evaluation.predicted).all()


def test_missing_ids_are_counted_with_ten_examples():
    labels = csv_bytes("id,label", [(f"e{i}", "A") for i in range(4000)])
    predictions = csv_bytes("id,prediction", [(f"e{i}", "A") for i in range(588)])

    assert errors_of(labels, predictions) == [
        "3,412 ids of the evaluation set are missing from the predictions, e.g. "
        + ", ".join(f"“e{i}”" for i in range(588, 598))
        + "."
    ]


def test_unknown_ids_name_their_rows():
    rows = predictions_for() + [["r99", "A"], ["zz", "B"]]

    assert errors_of(LABELS, csv_bytes("id,prediction", rows)) == [
        "2 rows have an id that is not in the evaluation set, e.g. row 32 (“r99”), row 33 (“zz”)."
    ]


def test_duplicate_ids_name_every_row_they_appear_on():
    rows = predictions_for() + [["r3", "A"], ["r3", "B"], ["r7", "A"]]

    assert errors_of(LABELS, csv_bytes("id,prediction", rows)) == [
        "2 ids appear more than once in the predictions, e.g. “r3” (rows 4, 32, 33), "
        "“r7” (rows 8, 34). Each id must appear exactly once."
    ]


def test_a_duplicate_that_stands_in_for_a_missing_id_is_still_caught():
    rows = predictions_for(range(1, 30)) + [["r1", "B"]]  # r30 missing, r1 twice: same count

    assert errors_of(LABELS, csv_bytes("id,prediction", rows)) == [
        "1 id appears more than once in the predictions, e.g. “r1” (rows 2, 31). "
        "Each id must appear exactly once.",
        "1 id of the evaluation set is missing from the predictions, e.g. “r30”.",
    ]


def test_predictions_outside_the_known_labels_are_capped_at_ten_examples_with_the_count():
    rows = predictions_for()
    for row in rows[:25]:
        row[1] = "C"
    rows[3][1] = "a"  # case matters

    assert errors_of(LABELS, csv_bytes("id,prediction", rows)) == [
        "25 rows have a prediction outside the known labels (“A”, “B”), e.g. "
        + ", ".join(f"row {n} (“{'a' if n == 5 else 'C'}”)" for n in range(2, 12))
        + "."
    ]


def test_empty_ids_and_predictions_name_their_rows_and_several_kinds_are_reported_together():
    rows = predictions_for()
    rows[0][0] = ""
    rows[4][1] = "  "
    rows.append(["r1", "Q"])

    messages = errors_of(LABELS, csv_bytes("id,prediction", rows))

    assert messages == [
        "1 row has an empty id, e.g. row 2.",
        "1 row has an empty prediction, e.g. row 6.",
        "1 row has a prediction outside the known labels (“A”, “B”), e.g. row 32 (“Q”).",
    ]


def test_row_numbers_count_blank_lines_and_a_value_over_two_lines_as_a_spreadsheet_does():
    predictions = (
        b'id,prediction\nr1,B\n\nr2,"A\nB"\n'  # row 3 blank, row 4 spans two lines
        + b"".join(f"r{i},{'AB'[i % 2]}\n".encode() for i in range(3, 31))
        + b"r99,A\n\n\n"
    )

    assert errors_of(LABELS, predictions) == [
        "1 row has a prediction outside the known labels (“A”, “B”), e.g. row 4 (“A\\nB”).",
        "1 row has an id that is not in the evaluation set, e.g. row 33 (“r99”).",
    ]


def test_a_missing_header_is_named():
    rows = predictions_for()

    assert errors_of(LABELS, csv_bytes("r0,A", rows)) == [
        "Row 1 of the predictions file must be the header id,prediction; found “r0,A”. "
        "The first row is read as the header; is the header missing?"
    ]


def test_semicolons_extra_columns_and_header_case():
    rows = predictions_for()
    semicolons = ("id;prediction\n" + "".join(f"{a};{b}\n" for a, b in rows)).encode()

    assert errors_of(LABELS, semicolons) == [
        "Row 1 of the predictions file must be the header id,prediction; found “id;prediction”. "
        "The values must be separated by commas, not semicolons or tabs."
    ]
    assert errors_of(LABELS, csv_bytes("id,prediction,confidence", [[*r, 1] for r in rows])) == [
        "The predictions file must have exactly the columns id,prediction; "
        "it also has “confidence”."
    ]
    assert validate(LABELS, csv_bytes(" ID , Prediction", rows)).truth.size == 30


def test_text_that_is_not_utf8_names_its_rows():
    rows = csv_bytes("id,prediction", predictions_for()).split(b"\n")
    rows[4] = rows[4] + b"\xe9"  # Latin-1 é
    rows[9] = rows[9] + b"\xff"

    assert errors_of(LABELS, b"\n".join(rows)) == [
        "2 rows are not UTF-8 text, e.g. rows 5, 10. Save the file as “CSV UTF-8”."
    ]
    assert errors_of(LABELS, "id,prediction\n".encode("utf-16")) == [
        "The predictions file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8 (comma delimited)”."
    ]
    assert errors_of(LABELS, b"\xe9d,prediction\n") == [
        "Row 1 of the predictions file is not UTF-8 text. Save the file as “CSV UTF-8”."
    ]


def test_a_byte_order_mark_and_windows_line_ends_are_accepted():
    text = "id,prediction\r\n" + "".join(f"{a},{b}\r\n" for a, b in predictions_for())

    evaluation = validate(LABELS, text.encode("utf-8-sig"))

    assert (evaluation.truth == evaluation.predicted).all()


def test_rows_with_too_many_values_and_unclosed_quotes_are_named():
    rows = predictions_for()
    ragged = csv_bytes("id,prediction", rows).replace(b"r4,A\n", b"r4,A,extra\n")
    ragged = ragged.replace(b"r12,A\n", b"r12,A,1,2\n")
    quote = csv_bytes("id,prediction", rows).replace(b"r6,A\n", b'r6,"A\n')

    assert errors_of(LABELS, ragged) == [
        "2 rows have more than the 2 values of the header, e.g. row 5 (3 values), "
        "row 13 (4 values). A value that contains a comma must be in quotes."
    ]
    assert errors_of(LABELS, quote) == [
        'Row 7 of the predictions file has a quote (") that is not closed or is followed by '
        "other text; put quotes around the whole value and double any quote inside it."
    ]


def test_empty_files_and_size_limits():
    assert errors_of(LABELS, b"") == ["The predictions file is empty."]
    assert errors_of(LABELS, b"\xef\xbb\xbf \r\n\n") == ["The predictions file is empty."]
    assert errors_of(LABELS, b"id,prediction\n\n") == [
        "The predictions file has a header but no rows."
    ]
    big = csv_bytes("id,prediction", predictions_for())
    assert len(big) == 185
    assert errors_of(LABELS, big, max_bytes=184) == [
        "The predictions file is 185 bytes; the limit is 184 bytes."
    ]
    assert errors_of(LABELS, io.BytesIO(big), max_bytes=184) == [
        "The predictions file is larger than the limit of 184 bytes."
    ]
    assert errors_of(LABELS, b"id,prediction\n" * 1000, max_bytes=2048) == [
        "The predictions file is 13.7 KB; the limit is 2.0 KB."
    ]
    assert errors_of(LABELS, big, max_rows=29) == ["The labels file has 30 rows; the limit is 29."]
    labels = read_labels(LABELS)
    assert errors_of(labels, big, max_rows=29) == [
        "The predictions file has 30 rows; the limit is 29."
    ]


def test_the_error_says_which_file_is_wrong():
    with pytest.raises(CompetitionFileError) as labels_error:
        validate(b"id,label\n1,\n", csv_bytes("id,prediction", predictions_for()))
    with pytest.raises(CompetitionFileError) as predictions_error:
        validate(LABELS, b"id,prediction\n")

    assert labels_error.value.which == "labels"
    assert predictions_error.value.which == "predictions"


def test_paths_text_and_binary_files_and_a_labels_object_are_all_accepted(tmp_path):
    predictions = csv_bytes("id,prediction", predictions_for())
    (tmp_path / "labels.csv").write_bytes(LABELS)
    (tmp_path / "predictions.csv").write_bytes(predictions)
    binary = io.BytesIO(predictions)
    binary.read()  # a file already read once (as after an upload check) is read from the start
    expected = score(LABELS, predictions)

    assert score(tmp_path / "labels.csv", str(tmp_path / "predictions.csv")) == expected
    assert score(io.BytesIO(LABELS), binary) == expected
    assert score(read_labels(LABELS), io.StringIO(predictions.decode())) == expected
    assert score(validate(LABELS, predictions)) == expected
    assert errors_of(tmp_path / "nowhere.csv", predictions)[0].startswith(
        "The labels file cannot be read: No such file or directory"
    )


# ---------------------------------------------------------------- labels file checks


def test_the_labels_file_names_duplicate_ids_empty_labels_and_empty_group_values():
    labels = csv_bytes(
        "id,label,site",
        [("a", "X", "n"), ("b", "", "n"), ("a", "Y", "s"), ("c", "X", ""), ("", "X", "s")],
    )

    with pytest.raises(CompetitionFileError) as caught:
        read_labels(labels)

    assert caught.value.which == "labels"
    assert caught.value.messages == [
        "1 row has an empty id, e.g. row 6.",
        "1 row has an empty label, e.g. row 3.",
        "1 row has an empty value in column “site”, e.g. row 5.",
        "1 id appears more than once in the labels file, e.g. “a” (rows 2, 4). "
        "Each id must appear exactly once.",
    ]


def test_the_labels_file_caps_duplicate_examples_at_ten_and_lists_at_most_five_rows_each():
    rows = [(f"d{i % 12}", "A") for i in range(12 * 7)]

    with pytest.raises(CompetitionFileError) as caught:
        read_labels(csv_bytes("id,label", rows))

    (message,) = caught.value.messages
    assert message.startswith(
        "12 ids appear more than once in the labels file, e.g. “d0” (rows 2, 14, 26, 38, 50, …), "
    )
    assert message.count("(rows") == 10


def test_the_labels_file_header_and_limits():
    with pytest.raises(CompetitionFileError, match="must be the header id,label,<group columns…>"):
        read_labels(b"label,id\nA,1\n")
    with pytest.raises(CompetitionFileError, match="names “site” more than once"):
        read_labels(b"id,label,site,site\n1,A,x,y\n")
    with pytest.raises(CompetitionFileError, match="a column with no name"):
        read_labels(b"id,label,\n1,A,x\n")
    many_labels = csv_bytes("id,label", [(i, f"L{i}") for i in range(12)])
    with pytest.raises(CompetitionFileError, match="has more than 10 different labels"):
        read_labels(many_labels, max_classes=10)
    many_groups = csv_bytes("id,label,person", [(i, "A", f"p{i}") for i in range(12)])
    with pytest.raises(
        CompetitionFileError,
        match="Column “person” has more than 10 different values, the most a group column",
    ):
        read_labels(many_groups, max_groups=10)


def test_the_labels_file_must_keep_to_known_classes_when_they_are_given():
    with pytest.raises(CompetitionFileError) as caught:
        read_labels(b"id,label\n1,A\n2,B\n3,C\n", classes=["A", "B"])

    assert caught.value.messages == [
        "1 row has a label outside the known labels (“A”, “B”), e.g. row 4 (“C”)."
    ]


def test_a_labels_object_is_read_once_for_many_predictions():
    labels = read_labels(b"id,label,site\n1,A,x\n2,B,y\n")

    assert labels.classes == ["A", "B"]
    assert labels.groups == {"site": ["x", "y"]}
    assert labels.rows == 2
    assert score(labels, b"id,prediction\n1,A\n2,A\n")["accuracy"] == 0.5
    assert score(labels, b"id,prediction\n2,B\n1,A\n")["accuracy"] == 1.0


def test_ids_that_share_a_hash_are_still_told_apart(monkeypatch):
    # Ids are matched on a 64-bit hash first; make every id of one length share a hash.
    monkeypatch.setattr(
        pl.Expr, "hash", lambda self, *args, **kwargs: self.str.len_bytes().cast(pl.UInt64)
    )
    truth, predicted = ["A", "B", "B", "A", "B"], ["A", "B", "A", "A", "A"]
    order = [4, 2, 0, 3, 1]

    labels = read_labels(files(truth, predicted)[0])
    result = score(labels, files(truth, predicted, order=order)[1])

    assert labels.unique_keys is False
    assert_matches_sklearn(result, truth, predicted, ["A", "B"])
    assert errors_of(labels, csv_bytes("id,prediction", [("id00000", "A"), ("id00000", "B")])) == [
        "1 id appears more than once in the predictions, e.g. “id00000” (rows 2, 3). "
        "Each id must appear exactly once.",
        "4 ids of the evaluation set are missing from the predictions, e.g. "
        "“id00001”, “id00002”, “id00003”, “id00004”.",
    ]


def test_labels_whose_hashes_no_longer_match_are_matched_by_their_text():
    truth, predicted = ["A", "A", "B", "B", "B"], ["B", "A", "A", "B", "B"]
    labels_file, predictions = files(truth, predicted)
    labels = read_labels(labels_file)
    # As if the labels had been read by another version of polars, hashing differently.
    stale = dataclasses.replace(labels, frame=labels.frame.with_columns(pl.col("key").reverse()))
    result = score(stale, predictions)

    assert result == score(labels, predictions)
    assert_matches_sklearn(result, truth, predicted, ["A", "B"])


def test_group_columns_may_have_any_name_but_id_and_label():
    labels = b"id,label,row,key,code,group 0\n1,A,r,k,c,g\n2,B,s,k,c,h\n"

    result = score(labels, b"id,prediction\n1,A\n2,A\n")

    assert list(result["groups"]) == ["row", "key", "code", "group 0"]
    assert result["groups"]["row"]["r"]["accuracy"] == 1.0
    assert result["groups"]["group 0"]["h"]["accuracy"] == 0.0
    with pytest.raises(CompetitionFileError, match="names “Label” more than once"):
        read_labels(b"id,label,Label\n1,A,B\n")
