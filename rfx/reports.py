"""The RFx comparison scorecard (DESIGN §7) and the evaluation matrix it shares with exports.

`comparison_data` reads what the ranking needs in a fixed number of queries and calls
`rfx.evaluation.rank`, so the page, the exports and the PDF agree. What a person sees
depends on who they are: prices and the cost component only with `rfx.view_price`,
supplier names only when they are not grading blind (pseudonyms otherwise).

`comparison_render` is what the worker runs; it reuses the maturity report's PDF/A
rendering, the claim with a conditional update and the write-then-mark pattern of
`assessments.reports.report_render`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from assessments.models import Scorecard
from assessments.reports import (
    PRODUCT_NAME,
    claim_report,
    competition_block,
    percent,
    render_pdf,
    store_rendered_pdf,
)
from core.exceptions import ApplicationError
from rfx.competition_display import METRIC_NAMES, bar_rows, result_outcome
from rfx.competition_display import percent as rate
from rfx.evaluation import LABELS, rank
from rfx.models import ComparisonReport, Proposal, ProposalVersion, RFx
from rfx.permissions import evaluator, is_buyer_manager, is_opened
from rfx.selectors import (
    competition_for_rfx,
    competition_results,
    evaluation_inputs,
    supplier_pseudonyms,
)

logger = logging.getLogger(__name__)

TEMPLATE = "rfx/reports/comparison_scorecard.html"
STATUS_WORDS = {
    ComparisonReport.Status.QUEUED: "queued",
    ComparisonReport.Status.RUNNING: "rendering",
    ComparisonReport.Status.DONE: "ready",
    ComparisonReport.Status.FAILED: "failed",
}
NO_PRICE_NOTE = "Prices and the cost score are left out until the technical scores are locked."

may_compare = is_opened & evaluator


# --- who sees what ---------------------------------------------------------------------------


def can_view_comparison(user: User, rfx: RFx) -> bool:
    """The procurement managers and the cleared reviewers of the RFx, once it has closed."""
    return bool(user.is_authenticated and may_compare.test(user, rfx))


def can_view_prices(user: User, rfx: RFx) -> bool:
    """`rfx.view_price` on the RFx's proposals (the same for each one for the buyer's team)."""
    proposal = Proposal.objects.filter(rfx=rfx).select_related("rfx").first()
    return proposal is not None and user.has_perm("rfx.view_price", proposal)


def can_view_names(user: User, rfx: RFx) -> bool:
    return not rfx.blind_grading or is_buyer_manager.test(user, rfx)


# --- plain data ------------------------------------------------------------------------------


def _maturity_scorecards(rfx: RFx) -> tuple[dict[int, dict], list[dict[str, str]]]:
    """proposal id → the maturity scorecard data of its latest submission; the criteria."""
    latest: dict[int, tuple[int | None, int | None]] = {}
    for proposal_id, assessment_id, snapshot in (
        ProposalVersion.objects.filter(proposal__rfx=rfx, proposal__submitted_at__isnull=False)
        .order_by("proposal_id", "number")
        .values_list("proposal_id", "proposal__maturity_assessment_id", "snapshot")
    ):
        latest[proposal_id] = (assessment_id, (snapshot or {}).get("maturity_assessment_version"))
    wanted = {pair for pair in latest.values() if pair[0] and pair[1]}
    cards = {
        (assessment_id, number): data
        for assessment_id, number, data in Scorecard.objects.filter(
            version__assessment_id__in={assessment_id for assessment_id, _ in wanted}
        ).values_list("version__assessment_id", "version__number", "data")
        if (assessment_id, number) in wanted
    }
    criteria = []
    if rfx.framework_id:
        criteria = [
            {"code": code, "title": title}
            for code, title in rfx.framework.criteria.order_by("order", "code").values_list(
                "code", "title"
            )
        ]
    return {pk: cards.get(pair) or {} for pk, pair in latest.items()}, criteria


def comparison_data(
    rfx: RFx,
    *,
    with_prices: bool,
    with_names: bool,
) -> dict[str, Any]:
    """The evaluation matrix: one row per submitted proposal, ranked first, then excluded.

    Raises ApplicationError (from the ranking) when the proposals cannot be ranked. The
    competition's own results are `competition_section`'s, for the PDF only.
    """
    inputs = evaluation_inputs(rfx)
    pseudonyms = {} if with_names else supplier_pseudonyms(rfx)
    proposal_of = {}
    for item in inputs:
        proposal_of[item["supplier_id"]] = item.pop("proposal_id")
        if not with_names:
            item["supplier_name"] = pseudonyms.get(item["supplier_id"], "Supplier")
    weights = dict(rfx.weights)
    notes: list[str] = []
    if not with_prices:
        weights["cost"] = 0
        if rfx.weight_cost:
            notes.append(NO_PRICE_NOTE)
    result = rank(
        inputs,
        weights,
        {
            "disqualify_on_critical_red_flags": rfx.disqualify_on_critical_red_flags,
            "has_competition": rfx.has_competition,
        },
    )
    cards, criteria = _maturity_scorecards(rfx)

    rows = []
    for entry in [*result["ranking"], *result["excluded"]]:
        card = cards.get(proposal_of[entry["supplier_id"]], {})
        criteria_scores = card.get("criteria") or {}
        components = dict(entry["components"])
        if not with_prices:
            components["cost"] = None
        rows.append(
            {
                "supplier_id": entry["supplier_id"],
                "supplier": entry["supplier_name"],
                "rank": entry["rank"],
                "total": entry["total"],
                "maturity": components.get("maturity"),
                "extra": components.get("extra"),
                "terms": components.get("terms"),
                "cost": components.get("cost"),
                "price": entry["price"] if with_prices else None,
                "currency": entry["currency"] if with_prices else None,
                "excluded_reason": "; ".join(entry["reasons"]),
                "breakdown": [
                    part
                    for part in entry["breakdown"]
                    if with_prices or part["component"] != "cost"
                ],
                "criteria": [
                    (criteria_scores.get(criterion["code"]) or {}).get("score")
                    for criterion in criteria
                ],
                "divergences": sorted(card.get("divergences") or []),
                "open_critical_red_flags": entry["open_critical_red_flags"],
            }
        )
    weight_rows = [
        {"name": name, **values}
        for name, values in result["weights"].items()
        if with_prices or name != "cost"
    ]
    sensitivity = [
        {**item, "label": LABELS[item["weight"]]}
        for item in result["sensitivity"]
        if with_prices or item["weight"] != "cost"
    ]
    return {
        "rows": rows,
        "criteria": criteria,
        "weights": weight_rows,
        "sensitivity": sensitivity,
        "notes": notes + result["notes"],
        "with_prices": with_prices,
        "with_names": with_names,
    }


def competition_section(
    rfx: RFx, *, names: Mapping[int, str], with_names: bool
) -> dict[str, Any] | None:
    """The scorecard's tender competition section: the leaderboard by the primary metric,
    each bar passed or failed, the verdict, and each supplier's confusion matrix and figures
    per group. None when the RFx has no competition.

    `names` maps a supplier id to the name the ranking section gives it (a pseudonym when
    grading blind, `with_names` False), so both sections name a supplier the same way.
    Worded by the helpers the competition pages use.
    """
    competition = competition_for_rfx(rfx) if rfx.has_competition else None
    if competition is None:
        return None
    bars = list(competition.bars)
    results = competition_results(rfx)
    if not with_names and any(row["supplier_id"] not in names for row in results):
        names = {**supplier_pseudonyms(rfx), **names}
    rows = []
    for row in results:
        name = names.get(row["supplier_id"]) or (row["supplier_name"] if with_names else "Supplier")
        metrics = row["metrics"]
        rows.append(
            {
                "rank": row["rank"],
                "supplier": name,
                "number": row["number"],
                "value_text": rate(row["value"], 2),
                **result_outcome(row, bars),
                "block": competition_block(
                    {**metrics, "primary_metric": competition.primary_metric}
                )
                if metrics
                else None,
            }
        )
    return {
        "metric_name": METRIC_NAMES[competition.primary_metric],
        "bars": bar_rows(bars, None),
        "rows": rows,
        "passed_count": sum(1 for row in rows if row["verdict"] == "passed"),
    }


# --- requesting --------------------------------------------------------------------------------


def enqueue(report: ComparisonReport) -> None:
    from rfx.tasks import render_comparison_report

    report_id = report.pk
    transaction.on_commit(lambda: render_comparison_report.delay(report_id), robust=True)


@transaction.atomic
def scorecard_request(*, rfx: RFx, user: User) -> ComparisonReport:
    """Ask for a comparison scorecard as this person may see it; one pending at a time."""
    if not can_view_comparison(user, rfx):
        raise ApplicationError(
            "The comparison scorecard is for the procurement team once the RFx has closed."
        )
    with_prices = can_view_prices(user, rfx)
    with_names = can_view_names(user, rfx)
    pending = ComparisonReport.objects.filter(
        rfx=rfx,
        with_prices=with_prices,
        with_names=with_names,
        status__in=[ComparisonReport.Status.QUEUED, ComparisonReport.Status.RUNNING],
    ).first()
    if pending:
        return pending
    report = ComparisonReport.objects.create(
        rfx=rfx,
        requested_by=user,
        with_prices=with_prices,
        with_names=with_names,
        queued_at=timezone.now(),
    )
    enqueue(report)
    return report


@transaction.atomic
def scorecard_retry(*, report: ComparisonReport) -> ComparisonReport:
    if report.status != ComparisonReport.Status.FAILED:
        raise ApplicationError("Only a scorecard that failed can be retried.")
    ComparisonReport.objects.filter(pk=report.pk).update(
        status=ComparisonReport.Status.QUEUED, queued_at=timezone.now(), error=""
    )
    report.refresh_from_db()
    enqueue(report)
    return report


def reports_for_user(user: User, rfx: RFx):
    """The scorecards this person may download: none that shows more than they may see."""
    visible = Q(rfx=rfx)
    if not can_view_prices(user, rfx):
        visible &= Q(with_prices=False)
    if not can_view_names(user, rfx):
        visible &= Q(with_names=False)
    return ComparisonReport.objects.filter(visible)


# --- rendering ---------------------------------------------------------------------------------


def _figure(value: float | None) -> str:
    return percent(value)


def build_context(
    rfx: RFx,
    data: Mapping[str, Any],
    *,
    report_id: int | None = None,
    competition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    rows = []
    for row in data["rows"]:
        rows.append(
            {
                **row,
                "total_text": "" if row["total"] is None else f"{row['total']:.1f}",
                "maturity_text": _figure(row["maturity"]),
                "extra_text": _figure(row["extra"]),
                "terms_text": _figure(row["terms"]),
                "cost_text": _figure(row["cost"]),
                "criteria_text": [_figure(score) for score in row["criteria"]],
                "breakdown_text": [
                    {
                        "label": part["label"],
                        "value": _figure(part["value"]),
                        "share": f"{part['share'] * 100:.0f}%",
                        "contribution": f"{part['contribution']:.1f}",
                    }
                    for part in row["breakdown"]
                ],
            }
        )
    return {
        "product_name": PRODUCT_NAME,
        "rfx": rfx,
        "buyer": rfx.buyer.name,
        "generated_at": timezone.now(),
        "report_id": report_id,
        "rows": rows,
        "ranked": [row for row in rows if row["rank"] is not None],
        "excluded": [row for row in rows if row["rank"] is None],
        "criteria": data["criteria"],
        "weights": [
            {**weight, "share_text": f"{weight['share'] * 100:.0f}%"} for weight in data["weights"]
        ],
        "sensitivity": [
            {
                **item,
                "current_text": f"{item['current']:g}",
                "low_text": f"{item['low']:.2f}".rstrip("0").rstrip("."),
                "high_text": f"{item['high']:.2f}".rstrip("0").rstrip("."),
            }
            for item in data["sensitivity"]
        ],
        "notes": data["notes"],
        "with_prices": data["with_prices"],
        "with_names": data["with_names"],
        "divergence_total": sum(len(row["divergences"]) for row in rows),
        "competition": competition,
    }


def render_html(context: Mapping[str, Any]) -> str:
    return render_to_string(TEMPLATE, dict(context))


def report_filename(report: ComparisonReport) -> str:
    stem = slugify(f"{report.rfx.title} comparison scorecard")
    return f"{stem or 'comparison-scorecard'}-{report.pk}.pdf"


def comparison_render(*, report_id: int) -> ComparisonReport | None:
    """Render the scorecard's PDF and store it; safe to run twice (see report_render)."""
    if not claim_report(ComparisonReport, report_id):
        return None
    report = ComparisonReport.objects.select_related("rfx__buyer", "rfx__framework").get(
        pk=report_id
    )

    def render() -> bytes:
        data = comparison_data(
            report.rfx, with_prices=report.with_prices, with_names=report.with_names
        )
        names = {row["supplier_id"]: row["supplier"] for row in data["rows"]}
        competition = competition_section(report.rfx, names=names, with_names=report.with_names)
        context = build_context(report.rfx, data, report_id=report.pk, competition=competition)
        return render_pdf(render_html(context))

    return store_rendered_pdf(report, report_filename(report), render)
