"""The competition's bars and metrics in plain words and as tables a page can draw (DESIGN §5).

Plain data in, plain data out: the metrics JSON of `rfx.competition` (read back through
`in_scorer_order`) and the bars as DESIGN §5 writes them. Rates are shown as percentages and
gaps between groups as percentage points, for every reader alike.
"""

from __future__ import annotations

from typing import Any

METRIC_NAMES = {
    "accuracy": "Accuracy",
    "macro_f1": "Macro F1",
    "weighted_f1": "Weighted F1",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "accuracy_gap": "Accuracy gap",
    "recall_gap": "Recall gap",
}
METRIC_MEANINGS = {
    "accuracy": "the share of rows whose prediction is right",
    "macro_f1": "the F1 of each class, averaged so that every class counts the same",
    "weighted_f1": "the F1 of each class, averaged by how many rows each class has",
    "precision": "of the rows predicted as this class, the share that truly are",
    "recall": "of the rows that truly are this class, the share predicted as it",
    "f1": "precision and recall of this class combined (their harmonic mean)",
    "accuracy_gap": "the largest difference in accuracy between two groups",
    "recall_gap": "the largest difference in this class's recall between two groups",
}


def percent(value: float | None, digits: int = 1) -> str:
    """0.8 → "80%", 0.83333 → "83.3%"; None → "—"."""
    if value is None:
        return "—"
    text = f"{value * 100:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def points(value: float | None, digits: int = 1) -> str:
    """A gap between two rates: 0.125 → "12.5 points"."""
    if value is None:
        return "—"
    text = percent(value, digits)[:-1]
    return f"{text} point{'' if text == '1' else 's'}"


def is_gap(bar: dict[str, Any]) -> bool:
    return str(bar.get("metric", "")).endswith("_gap")


def value_words(bar: dict[str, Any], value: float | None, digits: int = 1) -> str:
    return points(value, digits) if is_gap(bar) else percent(value, digits)


def _limit(bar: dict[str, Any]) -> tuple[str, str, float]:
    key = "min" if "min" in bar else "max"
    return key, "at least" if key == "min" else "at most", bar[key]


def bar_in_words(bar: dict[str, Any]) -> str:
    """A bar as a sentence: "Recall of “REPAIR” must be at least 90%"."""
    metric = bar["metric"]
    _, relation, limit = _limit(bar)
    amount = value_words(bar, limit)
    label = bar.get("class")
    if metric == "accuracy_gap":
        return (
            f"Accuracy must not differ by more than {amount} between any two groups of "
            f"“{bar['column']}”"
            if relation == "at most"
            else f"The accuracy gap between groups of “{bar['column']}” must be at least {amount}"
        )
    if metric == "recall_gap":
        return (
            f"Recall of “{label}” must not differ by more than {amount} between any two groups "
            f"of “{bar['column']}”"
            if relation == "at most"
            else f"The recall gap of “{label}” between groups of “{bar['column']}” must be at "
            f"least {amount}"
        )
    subject = METRIC_NAMES[metric] + (f" of “{label}”" if label is not None else "")
    return f"{subject} must be {relation} {amount}"


def bar_short(bar: dict[str, Any]) -> str:
    """A bar as a column heading, such as "Recall “REPAIR” ≥ 90%"."""
    key, _, limit = _limit(bar)
    sign = "≥" if key == "min" else "≤"
    parts = [METRIC_NAMES[bar["metric"]]]
    if bar.get("class") is not None:
        parts.append(f"“{bar['class']}”")
    if bar.get("column") is not None:
        parts.append(f"by {bar['column']}")
    amount = f"{percent(limit)[:-1]} pts" if is_gap(bar) else percent(limit)
    return f"{' '.join(parts)} {sign} {amount}"


def bar_result_words(passed: bool | None) -> str:
    """A bar's outcome in the same words on every page and PDF."""
    if passed is None:
        return "Not scored yet"
    return "Passed" if passed else "Failed"


VERDICT_WORDS = {
    "passed": "Passed the competition bar",
    "failed": "Did not pass the competition bar",
    "none": "No valid predictions file: not ranked",
    "error": "Scoring failed: not ranked until it is scored",
    "pending": "Being scored: not ranked until it is scored",
}


# The verdict's keys with their words, as the API's choices (one enum in the OpenAPI schema).
VERDICT_CHOICES = list(VERDICT_WORDS.items())


def verdict(passed: bool | None, status: str | None) -> tuple[str, str]:
    """(key, words) of a supplier's competition outcome from its counted file's verdict and
    scoring status ("done", "failed", "queued", "running", or None without a valid file)."""
    if passed is True:
        key = "passed"
    elif passed is False:
        key = "failed"
    elif status is None:
        key = "none"
    elif status == "failed":
        key = "error"
    else:
        key = "pending"
    return key, VERDICT_WORDS[key]


def bar_rows(bars: list[dict[str, Any]], results: list[dict[str, Any]] | None) -> list[dict]:
    """Each bar with its words and, once scored, its value and whether it held."""
    rows = []
    for index, bar in enumerate(bars):
        result = results[index] if results and index < len(results) else None
        rows.append(
            {
                "words": bar_in_words(bar),
                "short": bar_short(bar),
                "meaning": METRIC_MEANINGS[bar["metric"]],
                "value": None if result is None else result["value"],
                "value_words": None if result is None else value_words(bar, result["value"], 2),
                "passed": None if result is None else result["passed"],
                "result_words": bar_result_words(None if result is None else result["passed"]),
            }
        )
    return rows


def result_outcome(row: dict[str, Any], bars: list[dict[str, Any]]) -> dict[str, Any]:
    """A `competition_results` row's verdict and bars, worded for the leaderboard page, its
    API and the scorecard PDF alike."""
    metrics = row["metrics"]
    key, words = verdict(row["passed"], row["status"])
    return {
        "verdict": key,
        "verdict_words": words,
        "bars": bar_rows(bars, metrics["bars"] if metrics else None),
    }


def _shade(share: float, *, right: bool) -> str:
    """Background for a confusion-matrix cell: green on the diagonal, red off it, by share."""
    if share <= 0:
        return ""
    alpha = 0.1 + 0.75 * share
    colour = "25, 135, 84" if right else "220, 53, 69"
    text = "color: #fff; " if alpha > 0.55 else ""
    return f"{text}background-color: rgba({colour}, {alpha:.2f})"


def confusion_table(metrics: dict[str, Any]) -> dict[str, Any]:
    """Rows are the true classes, columns the predicted ones; each cell shaded by its share
    of the row, so that a row reads as where that class's rows went."""
    matrix = metrics["confusion_matrix"]
    labels = matrix["labels"]
    rows = []
    for truth, counts in zip(labels, matrix["matrix"], strict=True):
        total = sum(counts)
        cells = []
        for predicted, count in zip(labels, counts, strict=True):
            share = count / total if total else 0.0
            right = truth == predicted
            cells.append(
                {
                    "count": count,
                    "share": share,
                    "right": right,
                    "style": _shade(share, right=right),
                    "title": f"{count} of {total} rows that are “{truth}” predicted as "
                    f"“{predicted}” ({percent(share)})",
                }
            )
        rows.append({"label": truth, "total": total, "cells": cells})
    return {"labels": labels, "rows": rows}


def per_class_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"label": label, **values} for label, values in metrics["per_class"].items()]


def group_charts(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Per group column: each group's accuracy and per-class recall, and the largest gaps.

    A class with no row in a group has no recall there (None): it is left out of the gap.
    """
    classes = list(metrics["per_class"])
    charts = []
    for column, groups in (metrics.get("groups") or {}).items():
        gaps = (metrics.get("gaps") or {}).get(column, {})
        rows = []
        for value, block in groups.items():
            recalls = []
            for label in classes:
                values = block["per_class"].get(label, {})
                defined = values.get("support", 0) > 0
                recalls.append(
                    {
                        "label": label,
                        "value": values.get("recall") if defined else None,
                        "support": values.get("support", 0),
                    }
                )
            rows.append(
                {
                    "value": value,
                    "support": block.get("support", 0),
                    "accuracy": block["accuracy"],
                    "recalls": recalls,
                }
            )
        charts.append(
            {
                "column": column,
                "classes": classes,
                "rows": rows,
                "accuracy_gap": gaps.get("accuracy"),
                "recall_gaps": [
                    {"label": label, "value": (gaps.get("recall") or {}).get(label)}
                    for label in classes
                ],
            }
        )
    return charts


def metrics_view(
    metrics: dict[str, Any], bars: list[dict[str, Any]], primary_metric: str
) -> dict[str, Any]:
    """Everything the results partial draws for one scored predictions file."""
    return {
        "headline": [
            {
                "key": key,
                "name": METRIC_NAMES[key],
                "meaning": METRIC_MEANINGS[key],
                "value": metrics[key],
                "primary": key == primary_metric,
            }
            for key in ("accuracy", "macro_f1", "weighted_f1")
        ],
        "passed": metrics.get("passed"),
        "bars": bar_rows(bars, metrics.get("bars")),
        "per_class": per_class_rows(metrics),
        "confusion": confusion_table(metrics),
        "groups": group_charts(metrics),
    }
