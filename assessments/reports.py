"""The PDF maturity report (DESIGN §7): context, radar chart and rendering.

`report_render` is what the worker runs. It reads everything the report
needs in a handful of queries, hands plain data to `build_report_context`
(no database), renders `templates/assessments/reports/maturity_report.html`
and converts it with WeasyPrint to PDF/A-3b, so the file stays readable in an
archive. `radar_svg` draws the criteria chart as inline SVG: WeasyPrint runs
no JavaScript, and a vector chart stays sharp in print.
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from html import escape
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from assessments.models import ConsensusScore, RedFlag, Report, ReviewerScore, Scorecard
from assessments.scoring import MAX_SCORE, SCORE_LABELS
from core.exceptions import ApplicationError
from principles.models import Framework
from principles.selectors import framework_tree

# WeasyPrint logs every layout step of every page at INFO; a worker's log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PRODUCT_NAME = "Responsible AI Procurement"
TEMPLATE = "assessments/reports/maturity_report.html"
# PDF/A-3b: archival PDF with embedded fonts, sRGB output intent and XMP metadata.
# WeasyPrint 70 also offers 4u/4e/4f, but PDF/A-3b is what archive validators
# and document-management systems accept most widely.
PDF_VARIANT = "pdf/a-3b"

SEVERITIES = ("critical", "major", "minor")
SEVERITY_NAMES = {"critical": "Critical", "major": "Major", "minor": "Minor"}
STATUS_WORDS = {
    "yes": "Yes",
    "partial": "Partially",
    "no": "No",
    "na": "Not applicable",
    "": "Not answered",
}
SOURCE_WORDS = {
    "consensus": "agreed by the review panel",
    "reviewers": "mean of the reviewers' scores",
    "answer": "suggested from the answer",
    "na": "not applicable",
    "unscored": "not scored yet",
}
UNSCORED_WORDS = {
    "na": "not applicable",
    "unscored": "not scored yet (answers of this type are scored by a reviewer)",
}
UNSCORED_TALLY = {"na": "not applicable", "unscored": "not scored yet"}
# Colours from the lowest level to the highest; other level counts are spread over them.
LEVEL_COLOURS = ("#b42318", "#c4500a", "#a15c07", "#2e7d32", "#1b5e20")
RADAR_RINGS = (0.25, 0.5, 0.75, 1.0)
# A render takes about a second; one "running" for this long lost its worker.
RUNNING_STALE_AFTER = timedelta(minutes=10)


# --- radar chart ------------------------------------------------------------------------------


def radar_points(
    values: Sequence[float | None], *, centre_x: float, centre_y: float, radius: float
) -> list[tuple[float, float]]:
    """Polygon corners for scores in [0, 1], clockwise from the top; None is drawn at 0."""
    count = len(values)
    points = []
    for index, value in enumerate(values):
        fraction = 0.0 if value is None else min(max(float(value), 0.0), 1.0)
        angle = -math.pi / 2 + 2 * math.pi * index / count
        points.append(
            (
                centre_x + radius * fraction * math.cos(angle),
                centre_y + radius * fraction * math.sin(angle),
            )
        )
    return points


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def radar_svg(
    axes: Sequence[tuple[str, float | None]],
    *,
    width: int = 760,
    height: int = 500,
    rings: Sequence[float] = RADAR_RINGS,
    label_width: int = 22,
) -> SafeString:
    """An SVG radar chart of (label, score in [0, 1] or None) pairs, at least three.

    A score of None (a criterion left out because all its questions were not
    applicable) sits at the centre and its label reads "n/a". The canvas is
    wider than tall because labels sit left and right of the chart.
    """
    if len(axes) < 3:
        raise ValueError("A radar chart needs at least three axes.")
    count = len(axes)
    line_height = 14
    radius = height / 2 - 3.2 * line_height - 8
    centre_x, centre_y = width / 2, height / 2
    font = 'font-family="DejaVu Sans, sans-serif"'
    grid = 'fill="none" stroke="#c9d1dd" stroke-width="1"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Score per criterion">'
    ]

    def corners(values: Sequence[float | None], at: float = radius) -> list[tuple[float, float]]:
        return radar_points(values, centre_x=centre_x, centre_y=centre_y, radius=at)

    for ring in rings:
        parts.append(f'<polygon points="{_points(corners([ring] * count))}" {grid}/>')
    for x, y in corners([1.0] * count):
        parts.append(
            f'<line x1="{centre_x:.1f}" y1="{centre_y:.1f}" x2="{x:.1f}" y2="{y:.1f}" {grid}/>'
        )
    for ring in rings:
        parts.append(
            f'<text x="{centre_x + 4:.1f}" y="{centre_y - radius * ring + 11:.1f}" {font} '
            f'font-size="9" fill="#7a8699">{round(ring * 100)}%</text>'
        )

    values = [value for _, value in axes]
    shape = corners(values)
    parts.append(
        f'<polygon class="radar-scores" points="{_points(shape)}" fill="#1d4f91" '
        f'fill-opacity="0.16" stroke="#1d4f91" stroke-width="2.5" stroke-linejoin="round"/>'
    )
    for (x, y), value in zip(shape, values, strict=True):
        fill = "#ffffff" if value is None else "#1d4f91"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="#1d4f91" '
            f'stroke-width="1.5"/>'
        )

    for (label, value), (x, y) in zip(axes, corners([1.0] * count, radius + 14), strict=True):
        lines = _wrap(label, label_width)
        figure = "n/a" if value is None else percent(min(max(value, 0.0), 1.0))
        dx, dy = x - centre_x, y - centre_y
        anchor = "middle" if abs(dx) < 1 else ("start" if dx > 0 else "end")
        block = (len(lines) + 1) * line_height
        # Above the centre a label grows upwards, below it grows downwards; at the sides it
        # is centred on its axis.
        if anchor != "middle" and abs(dy) < radius * 0.75:
            top = y - block / 2
        elif dy < 0:
            top = y - block
        else:
            top = y
        baseline = top + line_height * 0.8
        colour = "#7a8699" if value is None else "#1b2533"
        parts.append(f'<text text-anchor="{anchor}" {font} font-size="11.5" fill="{colour}">')
        for number, line in enumerate(lines):
            parts.append(
                f'<tspan x="{x:.1f}" y="{baseline + number * line_height:.1f}">'
                f"{escape(line)}</tspan>"
            )
        figure_colour = "#7a8699" if value is None else "#1d4f91"
        parts.append(
            f'<tspan x="{x:.1f}" y="{baseline + len(lines) * line_height:.1f}" font-weight="bold" '
            f'fill="{figure_colour}">{figure}</tspan></text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label is escaped above


def _points(corners: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)


# --- context (plain data in, plain data out) --------------------------------------------------


def percent(score: float | None) -> str:
    return "n/a" if score is None else f"{round(score * 100)}%"


def level_colour(level: int | None, levels: Sequence[Mapping[str, Any]]) -> str:
    if level is None or not levels:
        return "#5b6678"
    ordered = sorted(entry["level"] for entry in levels)
    position = ordered.index(level) if level in ordered else 0
    if len(ordered) == 1:
        return LEVEL_COLOURS[-1]
    return LEVEL_COLOURS[round(position * (len(LEVEL_COLOURS) - 1) / (len(ordered) - 1))]


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def score_words(score: float | None) -> str:
    """'2 of 3 (Met)'; a reviewers' mean keeps its decimals."""
    if score is None:
        return "Not applicable"
    label = SCORE_LABELS.get(int(score)) if float(score).is_integer() else None
    shown = format_number(round(score, 2))
    return f"{shown} of {MAX_SCORE} ({label})" if label else f"{shown} of {MAX_SCORE}"


def build_report_context(
    *,
    meta: Mapping[str, Any],
    framework: Mapping[str, Any],
    scorecard: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    comments: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    dismissal_reasons: Mapping[str, str] | None = None,
    competition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, from plain data.

    `framework` is the shape `framework_data` returns; `scorecard` is
    `Scorecard.data`; `answers` is the version's snapshot; `comments` maps a
    question code to `{"author", "score", "text"}` entries (authors are roles,
    never names: the report goes to the respondent too); `dismissal_reasons`
    maps a red-flag code to the reviewer's reason; `competition` is optional
    and shown only when given.
    """
    comments = comments or {}
    dismissal_reasons = dismissal_reasons or {}
    levels = list(framework.get("levels") or [])
    criteria_scores = scorecard.get("criteria") or {}
    question_scores = scorecard.get("questions") or {}
    raw_scores = scorecard.get("raw_scores") or {}
    divergences = set(scorecard.get("divergences") or [])

    questions: dict[str, dict[str, Any]] = {}
    criterion_of: dict[str, Mapping[str, Any]] = {}
    for criterion in framework["criteria"]:
        for question in criterion["questions"]:
            questions[question["code"]] = question
            criterion_of[question["code"]] = criterion

    def flag_entry(flag: Mapping[str, Any]) -> dict[str, Any]:
        question = questions.get(flag["question"], {})
        criterion = criterion_of.get(flag["question"], {})
        return {
            "code": flag["code"],
            "severity": flag["severity"],
            "severity_name": SEVERITY_NAMES.get(flag["severity"], flag["severity"].title()),
            "message": flag["message"],
            "question_code": flag["question"],
            "question_text": question.get("text", ""),
            "criterion_title": criterion.get("title", ""),
            "reason": dismissal_reasons.get(flag["code"], ""),
        }

    active_flags = [flag_entry(flag) for flag in scorecard.get("red_flags") or []]
    dismissed_flags = [flag_entry(flag) for flag in scorecard.get("dismissed_red_flags") or []]
    flags_by_severity = [
        {
            "severity": severity,
            "name": SEVERITY_NAMES[severity],
            "flags": [flag for flag in active_flags if flag["severity"] == severity],
        }
        for severity in SEVERITIES
    ]
    active_by_question: dict[str, list[dict]] = {}
    for flag in active_flags:
        active_by_question.setdefault(flag["question_code"], []).append(flag)

    criteria = []
    appendix = []
    axes: list[tuple[str, float | None]] = []
    for criterion in framework["criteria"]:
        result = criteria_scores.get(criterion["code"])
        score = result["score"] if result else None
        level = result["level"] if result else None
        codes = [question["code"] for question in criterion["questions"]]
        severity_counts = {severity: 0 for severity in SEVERITIES}
        for code in codes:
            for flag in active_by_question.get(code, []):
                severity_counts[flag["severity"]] = severity_counts.get(flag["severity"], 0) + 1
        tally = {label.lower(): 0 for label in SCORE_LABELS.values()}
        tally.update({words: 0 for words in UNSCORED_TALLY.values()})
        for code in codes:
            question_result = question_scores.get(code) or {}
            used = question_result.get("score")
            if used is not None:
                tally[SCORE_LABELS[min(MAX_SCORE, max(0, round(used)))].lower()] += 1
            else:
                tally[UNSCORED_TALLY.get(question_result.get("source", ""), "not applicable")] += 1
        recommendations = criterion.get("recommendations") or {}
        criteria.append(
            {
                "code": criterion["code"],
                "title": criterion["title"],
                "principle": criterion.get("principle") or "",
                "principle_summary": criterion.get("principle_summary") or "",
                "explanation": criterion.get("explanation") or "",
                "weight": criterion.get("weight", 1),
                "left_out": result is None,
                "score": score,
                "score_percent": percent(score),
                "bar_width": 0 if score is None else round(min(max(score, 0.0), 1.0) * 100, 1),
                "level": level["level"] if level else None,
                "level_name": level["name"] if level else "",
                "level_colour": level_colour(level["level"] if level else None, levels),
                "recommendation": recommendations.get(str(level["level"])) if level else "",
                "red_flag_counts": [
                    {
                        "severity": severity,
                        "name": SEVERITY_NAMES[severity],
                        "count": severity_counts[severity],
                    }
                    for severity in SEVERITIES
                    if severity_counts[severity]
                ],
                "question_count": len(codes),
                "score_tally": [
                    {"label": label, "count": count} for label, count in tally.items() if count
                ],
            }
        )
        axes.append((f"{criterion['code']}. {criterion['title']}", score))
        appendix.append(
            {
                "code": criterion["code"],
                "title": criterion["title"],
                "questions": [
                    _appendix_entry(
                        question,
                        answers.get(question["code"]),
                        question_scores.get(question["code"]),
                        raw_scores.get(question["code"]),
                        question["code"] in divergences,
                        active_by_question.get(question["code"], []),
                    )
                    for question in criterion["questions"]
                ],
            }
        )

    comment_groups = []
    for criterion in framework["criteria"]:
        for question in criterion["questions"]:
            entries = comments.get(question["code"]) or []
            if entries:
                comment_groups.append(
                    {
                        "question_code": question["code"],
                        "question_text": question["text"],
                        "criterion_title": criterion["title"],
                        "entries": [
                            {
                                "author": entry["author"],
                                "text": entry["text"],
                                "score": score_words(entry["score"])
                                if entry.get("score") is not None
                                else "",
                            }
                            for entry in entries
                        ],
                    }
                )

    overall_level = scorecard.get("level")
    overall_score = scorecard.get("score")
    level_number = overall_level["level"] if overall_level else None
    return {
        "product_name": PRODUCT_NAME,
        "meta": meta,
        "framework": {
            key: framework.get(key) for key in ("name", "version", "slug", "description")
        },
        "overall": {
            "score": overall_score,
            "score_percent": percent(overall_score),
            "level": level_number,
            "level_name": overall_level["name"] if overall_level else "Not rated",
            "level_colour": level_colour(level_number, levels),
        },
        "levels": [
            {
                **entry,
                "min_percent": percent(entry["min_score"]),
                "colour": level_colour(entry["level"], levels),
                "reached": level_number is not None and entry["level"] == level_number,
            }
            for entry in sorted(levels, key=lambda entry: entry["level"])
        ],
        "radar": radar_svg(axes) if len(axes) >= 3 else None,
        "criteria": criteria,
        "criteria_scored": sum(1 for criterion in criteria if not criterion["left_out"]),
        "red_flags": flags_by_severity,
        "red_flag_total": len(active_flags),
        "dismissed_flags": dismissed_flags,
        "comments": comment_groups,
        "appendix": appendix,
        "divergence_count": len(divergences),
        "rule_error_count": len(scorecard.get("rule_errors") or []),
        "competition": competition_block(competition) if competition else None,
        "score_scale": [{"score": score, "label": label} for score, label in SCORE_LABELS.items()],
    }


def competition_block(result: Mapping[str, Any]) -> dict[str, Any]:
    """A supplier's competition results for a PDF, from `score_predictions` output (DESIGN §5)
    plus optional `name`, `summary`, `primary_metric` and `verdict_words` keys.

    Worded by `rfx.competition_display`, the helpers the competition pages use, so that a
    page and a PDF say the same bar in the same words and show the same percentages. Keys a
    partial result lacks are left out rather than guessed.
    """
    from rfx import competition_display as display  # rfx builds on assessments

    primary = result.get("primary_metric")
    metrics = [
        {
            "key": key,
            "name": display.METRIC_NAMES[key],
            "value": display.percent(result.get(key), 2),
            "primary": key == primary,
        }
        for key in ("accuracy", "macro_f1", "weighted_f1")
        if key in result
    ]
    per_class = [
        {
            "label": label,
            "precision": display.percent(values.get("precision")),
            "recall": display.percent(values.get("recall")),
            "f1": display.percent(values.get("f1")),
            "support": values.get("support", ""),
        }
        for label, values in (result.get("per_class") or {}).items()
    ]
    scored_bars = list(result.get("bars") or [])
    matrix = result.get("confusion_matrix") or {}
    labels = list(matrix.get("labels") or [])
    groups = []
    if result.get("per_class") and result.get("groups"):
        for chart in display.group_charts(dict(result)):
            groups.append(
                {
                    "column": chart["column"],
                    "classes": chart["classes"],
                    "rows": [
                        {
                            "value": row["value"],
                            "support": row["support"],
                            "accuracy": display.percent(row["accuracy"]),
                            "recalls": [
                                "no rows"
                                if recall["value"] is None
                                else display.percent(recall["value"])
                                for recall in row["recalls"]
                            ],
                        }
                        for row in chart["rows"]
                    ],
                    "accuracy_gap": display.points(chart["accuracy_gap"]),
                    "recall_gaps": [display.points(gap["value"]) for gap in chart["recall_gaps"]],
                }
            )
    passed = result.get("passed")
    return {
        "name": result.get("name", ""),
        "summary": result.get("summary", ""),
        "passed": passed,
        "verdict_words": result.get("verdict_words")
        or (display.verdict(passed, "done")[1] if passed is not None else ""),
        "metrics": metrics,
        "per_class": per_class,
        "bars": display.bar_rows(scored_bars, scored_bars),
        "matrix_labels": labels,
        "matrix_rows": [
            {"label": label, "cells": row, "total": sum(row)}
            for label, row in zip(labels, matrix.get("matrix") or [], strict=False)
        ],
        "groups": groups,
    }


def _appendix_entry(
    question: Mapping[str, Any],
    answer: Mapping[str, Any] | None,
    result: Mapping[str, Any] | None,
    raw_score: float | None,
    diverged: bool,
    flags: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    answer = answer or {}
    result = result or {}
    status = answer.get("status") or ""
    used = result.get("score")
    source = result.get("source", "")
    forced = used is not None and raw_score is not None and raw_score != used
    answer_type = question.get("answer_type", "status")
    status_words = STATUS_WORDS.get(status, status) if answer_type == "status" or status else ""
    return {
        "code": question["code"],
        "text": question["text"],
        "answer_type": answer_type,
        "hidden": bool(result.get("hidden")),
        "status": status,
        "status_words": status_words,
        "text_answer": (answer.get("text") or "").strip(),
        "number": format_number(answer.get("number")),
        "choices": list(answer.get("choices") or []),
        "evidence": [
            {
                "title": item.get("title") or item.get("url") or "Untitled",
                "is_link": bool(item.get("url")),
            }
            for item in answer.get("evidence") or []
        ],
        "score_words": score_words(used)
        if used is not None
        else UNSCORED_WORDS.get(source, source),
        "source_words": SOURCE_WORDS.get(source, source) if used is not None else "",
        "forced_to_zero": forced,
        "raw_score_words": score_words(raw_score) if forced else "",
        "diverged": diverged,
        "flags": list(flags),
    }


# --- reading the database ---------------------------------------------------------------------


def framework_data(framework: Framework) -> dict[str, Any]:
    """The framework as plain data for the report (three queries)."""
    return {
        "name": framework.name,
        "version": framework.version,
        "slug": framework.slug,
        "description": framework.description,
        "levels": framework.levels,
        "criteria": [
            {
                "code": criterion.code,
                "title": criterion.title,
                "principle": criterion.principle.name if criterion.principle else "",
                "principle_summary": criterion.principle.summary if criterion.principle else "",
                "weight": criterion.weight,
                "explanation": criterion.explanation,
                "recommendations": criterion.recommendations,
                "questions": [
                    {
                        "code": question.code,
                        "text": question.text,
                        "answer_type": question.answer_type,
                    }
                    for question in criterion.questions.all()
                ],
            }
            for criterion in framework_tree(framework)
        ],
    }


def reviewer_comments(assessment_id: int) -> dict[str, list[dict[str, Any]]]:
    """question code → comments, consensus first, without reviewers' names."""
    comments: dict[str, list[dict[str, Any]]] = {}
    consensus = (
        ConsensusScore.objects.filter(assessment_id=assessment_id)
        .exclude(comment="")
        .values_list("question__code", "score", "comment")
    )
    for code, score, text in consensus:
        comments.setdefault(code, []).append(
            {"author": "Review panel (agreed)", "score": score, "text": text}
        )
    individual = (
        ReviewerScore.objects.filter(assessment_id=assessment_id)
        .exclude(comment="")
        .order_by("question__code", "created_at")
        .values_list("question__code", "score", "comment")
    )
    for code, score, text in individual:
        comments.setdefault(code, []).append({"author": "Reviewer", "score": score, "text": text})
    return comments


def report_context(
    report: Report, *, competition: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    version = report.version
    assessment = report.assessment
    scorecard = Scorecard.objects.filter(version=version).first()
    if scorecard is None:
        raise ApplicationError(
            "The answers of this version have not been scored yet. Retry once scoring has finished."
        )
    reasons = dict(
        RedFlag.objects.filter(assessment=assessment, status=RedFlag.Status.DISMISSED).values_list(
            "rule__code", "dismissed_reason"
        )
    )
    meta = {
        "organisation": assessment.organisation.name,
        "title": assessment.title,
        "kind": assessment.get_kind_display(),
        "reviewing_organisation": assessment.reviewing_organisation.name
        if assessment.reviewing_organisation
        else "",
        "version_number": version.number,
        "submitted_at": version.created_at,
        "scored_at": scorecard.updated_at,
        "generated_at": timezone.now(),
        "report_id": report.pk,
    }
    return build_report_context(
        meta=meta,
        framework=framework_data(assessment.framework),
        scorecard=scorecard.data,
        answers=version.answers,
        comments=reviewer_comments(assessment.pk),
        dismissal_reasons=reasons,
        competition=competition,
    )


# --- rendering --------------------------------------------------------------------------------


def render_html(context: Mapping[str, Any]) -> str:
    return render_to_string(TEMPLATE, dict(context))


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The report needs nothing from outside: refusing every fetch keeps answers
    # from pulling in remote content and keeps rendering fast and offline.
    fetcher = URLFetcher(allowed_protocols=["data"])
    # Layout creates a great many short-lived objects; the cyclic collector's passes over
    # them cost about a tenth of the render and free nothing before it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf(
            pdf_variant=PDF_VARIANT
        )
    finally:
        if collecting:
            gc.enable()


def report_filename(report: Report) -> str:
    """The name a person sees when downloading, e.g. acme-analytics-ml-maturity-model-1-0-v2.pdf."""
    assessment = report.assessment
    framework = assessment.framework
    stem = slugify(
        f"{assessment.organisation.name} {framework.slug} {framework.version.replace('.', '-')}"
    )
    return f"{stem or 'maturity-report'}-v{report.version.number}.pdf"


def _failure_reason(error: Exception) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    detail = str(error).strip() or type(error).__name__
    message = (
        f"The PDF could not be produced ({type(error).__name__}: {detail}). "
        "Retry; if it fails again, tell your administrator."
    )
    return message[:2000]


def claim_report(model, report_id: int) -> bool:
    """Claim a PDF job with a conditional update, so a second worker stops at once; a job
    still marked running long after it started belongs to a worker that died, and the
    redelivered task may take it over."""
    now = timezone.now()
    claimable = Q(status__in=[model.Status.QUEUED, model.Status.FAILED]) | Q(
        status=model.Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER
    )
    return bool(
        model.objects.filter(claimable, pk=report_id).update(
            status=model.Status.RUNNING, started_at=now, error=""
        )
    )


def store_rendered_pdf(report, filename: str, render: Callable[[], bytes]):
    """Render and store a claimed job's PDF, then mark it done, or failed with the reason.

    The file is written first and the row updated after, in one statement; the
    previous file, if a retry replaces one, is deleted only once the row points
    at the new one, so the row never names a missing file.
    """
    model = type(report)
    previous_name = report.file.name if report.file else ""
    new_name = ""
    try:
        pdf = render()
        report.file.save(filename, ContentFile(pdf), save=False)
        new_name = report.file.name
        model.objects.filter(pk=report.pk).update(
            file=new_name,
            size=len(pdf),
            status=model.Status.DONE,
            finished_at=timezone.now(),
            error="",
            attempts=report.attempts + 1,
        )
    except Exception as error:
        if new_name and new_name != previous_name:
            report.file.storage.delete(new_name)
        model.objects.filter(pk=report.pk).update(
            status=model.Status.FAILED,
            finished_at=timezone.now(),
            error=_failure_reason(error),
            attempts=report.attempts + 1,
        )
        if isinstance(error, ApplicationError):
            # Expected (e.g. not scored yet): the reason is on the page, no traceback needed.
            return None
        raise
    if previous_name and previous_name != new_name:
        report.file.storage.delete(previous_name)
    report.refresh_from_db()
    return report


def report_render(*, report_id: int) -> Report | None:
    """Render the report's PDF and store it; safe to run twice (see claim_report and
    store_rendered_pdf)."""
    if not claim_report(Report, report_id):
        return None
    report = Report.objects.select_related(
        "version",
        "assessment__framework",
        "assessment__organisation",
        "assessment__reviewing_organisation",
    ).get(pk=report_id)
    from rfx.selectors import maturity_report_competition  # rfx builds on assessments

    def render() -> bytes:
        competition = maturity_report_competition(report.assessment_id)
        return render_pdf(render_html(report_context(report, competition=competition)))

    return store_rendered_pdf(report, report_filename(report), render)
