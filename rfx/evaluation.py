"""Ranking of RFx proposals (DESIGN §4 "RFx evaluation of a proposal"), as plain data.

`rank(proposals, weights, settings)` takes plain data and returns a JSON-serialisable
dict, so the comparison page, the API, the exports and the reports share one
implementation; `feedback_for(result, supplier_id)` cuts one supplier's own part out
of that result for the feedback sent to unsuccessful suppliers.

Components of a proposal, each in [0, 1]:

- ``maturity`` M, the framework score of its maturity assessment;
- ``extra`` E, the same formula on the buyer's own questionnaire;
- ``terms`` L = the reviewers' licence and terms score (0..3) / 3;
- ``cost`` K = lowest eligible price / this price.

``Total = 100 · Σ weight_i·component_i / Σ weight_i`` over the components that apply.

Decisions (the tests pin each of them):

- A component *applies* when its weight is above zero and at least one proposal has a
  value for it. A weighted component that no proposal has a value for (no extra
  questionnaire, terms not scored for anyone) is left out for everyone, its weight is
  dropped and a note says so. A proposal missing a value of a component that applies
  is not ranked ("no licence and terms score yet", ...): totals over different sets of
  components cannot be compared, and counting the gap as 0 would punish a supplier for
  work the evaluation team has not done yet. A missing value of a zero-weight
  component does not matter.
- Every ranked proposal needs a price, whatever the cost weight: an unpriced proposal
  is incomplete and the tie-break uses the price. It is listed as not ranked with
  "no price given" and plays no part in the lowest eligible price.
- Prices are compared only in one currency: proposals with prices in more than one
  currency (a missing currency counts as one of them) are refused with a message that
  names them. Codes are compared upper-cased.
- Gate: when the settings say the RFx has a competition (or, when they do not say,
  when any proposal has a competition result) a
  proposal that failed is not ranked ("did not pass the competition bar") and one with
  no result is not ranked either ("no competition result"). With
  ``disqualify_on_critical_red_flags``, an open critical red flag also excludes
  ("open critical red flag"). All the reasons that hold are listed.
- "Eligible" means ranked. K uses the lowest eligible price; an excluded proposal is
  shown with K = min(lowest eligible price, its price) / its price (the cost score it
  would have next to the ranked ones; 1 when nothing is ranked), and no total.
- Order: Total descending, then M descending (a missing M last), then lower price.
  Totals within 1e-9 (on the 0..100 scale) and maturity scores within 1e-9 count as
  equal, so float noise (0.1 + 0.2) never decides a ranking. Proposals equal on all
  three share a rank, standard competition ranking "1, 1, 3"; within a shared rank
  they are listed by supplier name.
- The breakdown of a ranked proposal lists each applied component with its value,
  weight, share (weight / Σ applied weights) and contribution = 100 · share · value;
  the total is the sum of the contributions.
- Sensitivity, for each component in play: weight j moves to x in [0, S] (S = sum of
  the applied weights) and every other applied weight is multiplied by
  (S - x) / (S - w_j), so the sum stays S. With t = x / S each total is linear in t:
  ``T_p(t) = 100 · (t·c_pj + (1 - t)·B_p)`` where B_p is the proposal's total without
  j. The bounds are the crossings of the leader's line with every other ranked
  proposal's, nearest to the current weight on each side, solved exactly (no
  stepping). At a crossing the tie-break decides, so the leader keeps first place at or
  just past it; the number is the crossing either way. A leader ahead today only on the
  tie-break (totals equal) loses first place as soon as the weight moves the way that
  opens the gap against it: that bound is the current weight. Lines parallel within
  the ranking's tolerance never cross. "The top changes" means the set of proposals
  ranked first changes, so a shared first place holds only while the sharers' lines
  coincide. ``low``/``high`` are the bounds 0 and S when the top never changes; a
  component that is the only weighted one has no other weight to rescale (the
  zero weights stay zero), so its range is the whole 0..S. Proposals excluded today
  stay excluded: sensitivity is about the weights, not about eligibility. A
  zero-weight component in play is analysed too (current 0) when every ranked proposal
  has a value for it; otherwise a note says why it is not. With fewer than two ranked
  proposals there is no sensitivity and a note says so. Bounds are rounded to 9
  decimals.
- Weights: the four names only, each a finite number ≥ 0, a missing name counts as 0,
  not all zero; weights are kept as given (any scale), shares are weight / S.
- Bad input raises ``EvaluationError`` (an ``ApplicationError``) with a message a
  person can act on.
- Prices come back as strings of the exact decimal amount ("150.00"); scores, totals,
  shares and bounds as floats, unrounded except the bounds.
- ``feedback_for`` returns the supplier's own entry (components, breakdown, total,
  rank or reasons) and the weights; nothing from another proposal, no sensitivity, no
  notes, not even how many proposals were ranked. Note that the cost score, by its
  published formula, lets a supplier work out the lowest eligible price (its own price
  × K): that is inherent to the formula, not something this module adds.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cmp_to_key
from typing import Any

from core.exceptions import ApplicationError

COMPONENTS = ("maturity", "extra", "terms", "cost")
SCORED_COMPONENTS = ("maturity", "extra", "terms")
HAVING = {
    "maturity": "a maturity score",
    "extra": "an extra questionnaire score",
    "terms": "a licence and terms score",
    "cost": "a price",
}
LABELS = {
    "maturity": "Maturity",
    "extra": "Extra questionnaire",
    "terms": "Licence and service terms",
    "cost": "Cost",
}
DEFAULT_WEIGHTS: dict[str, float] = {"maturity": 40, "extra": 20, "terms": 10, "cost": 30}
MAX_TERMS_SCORE = 3
# Totals (0..100) and maturity scores closer than this are equal: float noise must not rank.
TOTAL_TOLERANCE = 1e-9
SCORE_TOLERANCE = 1e-9
BOUND_DECIMALS = 9


class EvaluationError(ApplicationError):
    """The proposals or the weights cannot be ranked as given."""


class Reason:
    COMPETITION_FAILED = "did not pass the competition bar"
    NO_COMPETITION_RESULT = "no competition result"
    CRITICAL_RED_FLAG = "open critical red flag"
    NO_PRICE = "no price given"
    MISSING = {
        "maturity": "no maturity score yet",
        "extra": "no extra questionnaire score yet",
        "terms": "no licence and terms score yet",
    }


@dataclass(frozen=True)
class ProposalInput:
    """One proposal as the ranking sees it (a dict with these keys is accepted too).

    - ``supplier_id``, ``supplier_name``: who; the id is unique within one ranking.
    - ``price``: a positive amount (Decimal, int, float or numeric string), None when
      the proposal gives none; ``currency``: its code, one for every priced proposal.
    - ``maturity``, ``extra``: scores in [0, 1] (DESIGN §4), None when there is none
      yet or, for ``extra``, when the RFx has no extra questionnaire.
    - ``terms``: the reviewers' licence and terms score 0..3 (a mean may be
      fractional), None when not scored.
    - ``competition_passed``: the competition bars' verdict, None when the RFx has no
      competition (or, in an RFx with one, when the supplier has no result).
    - ``open_critical_red_flags``: how many critical red flags are open on its
      maturity assessment.
    """

    supplier_id: int | str
    supplier_name: str
    price: Decimal | int | float | str | None
    currency: str | None = None
    maturity: float | None = None
    extra: float | None = None
    terms: float | None = None
    competition_passed: bool | None = None
    open_critical_red_flags: int = 0


@dataclass(frozen=True)
class EvaluationSettings:
    """The RFx's evaluation settings (a dict with these keys is accepted too)."""

    disqualify_on_critical_red_flags: bool = False
    # True: the RFx has a competition, so a proposal with no result is not ranked even when
    # nobody has one yet. None: inferred from the proposals (any with a result).
    has_competition: bool | None = None


@dataclass
class _Candidate:
    supplier_id: int | str
    supplier_name: str
    price: Decimal | None
    currency: str | None
    terms_score: float | None
    competition_passed: bool | None
    open_critical_red_flags: int
    values: dict[str, float | None]
    reasons: list[str]
    total: float | None = None
    rank: int | None = None
    breakdown: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier_id": self.supplier_id,
            "supplier_name": self.supplier_name,
            "rank": self.rank,
            "total": self.total,
            "price": None if self.price is None else format(self.price, "f"),
            "currency": self.currency,
            "components": dict(self.values),
            "terms_score": self.terms_score,
            "breakdown": self.breakdown or [],
            "competition_passed": self.competition_passed,
            "open_critical_red_flags": self.open_critical_red_flags,
            "reasons": list(self.reasons),
        }


# --- input checks ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def clean_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """The four weights as numbers, refusing unknown names, negatives and all zeros."""
    if not isinstance(weights, Mapping):
        raise EvaluationError("The weights must be given as a name → number mapping.")
    unknown = sorted(str(name) for name in weights if name not in COMPONENTS)
    if unknown:
        raise EvaluationError(
            f"Unknown weight {', '.join(repr(name) for name in unknown)}: the weights are "
            "maturity, extra, terms and cost."
        )
    cleaned: dict[str, float] = {}
    for name in COMPONENTS:
        value = weights.get(name, 0)
        if not _is_number(value) or not math.isfinite(value):
            raise EvaluationError(
                f"The {LABELS[name].lower()} weight must be a number (got {value!r})."
            )
        if value < 0:
            raise EvaluationError(
                f"The {LABELS[name].lower()} weight cannot be negative (got {value})."
            )
        cleaned[name] = float(value) if isinstance(value, Decimal) else value
    if not any(cleaned.values()):
        raise EvaluationError(
            "The weights are all zero: give at least one of them a weight above zero."
        )
    return cleaned


def _clean_settings(settings: EvaluationSettings | Mapping[str, Any] | None) -> EvaluationSettings:
    if settings is None:
        return EvaluationSettings()
    if isinstance(settings, Mapping):
        return EvaluationSettings(**settings)
    return settings


def _unit_score(value: Any, *, name: str, supplier: str, top: float) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(value):
        raise EvaluationError(
            f"{supplier}'s {LABELS[name].lower()} score must be a number (got {value!r})."
        )
    value = float(value)
    # Scores computed by the scoring module may overshoot 0 or the top by a rounding error.
    if not -SCORE_TOLERANCE <= value <= top + SCORE_TOLERANCE:
        raise EvaluationError(
            f"{supplier}'s {LABELS[name].lower()} score must be between 0 and {top:g} "
            f"(got {value:g})."
        )
    return min(max(value, 0.0), top)


def _clean_price(value: Any, *, supplier: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise EvaluationError(f"{supplier}'s price must be an amount (got {value!r}).")
    try:
        price = (
            Decimal(str(value).strip()) if isinstance(value, int | float | str) else Decimal(value)
        )
    except (InvalidOperation, TypeError, ValueError):
        raise EvaluationError(f"{supplier}'s price must be an amount (got {value!r}).") from None
    if not price.is_finite() or price <= 0:
        raise EvaluationError(f"{supplier}'s price must be an amount above zero (got {value!r}).")
    return price


def _clean_proposal(item: ProposalInput | Mapping[str, Any]) -> _Candidate:
    proposal = ProposalInput(**item) if isinstance(item, Mapping) else item
    if isinstance(proposal.supplier_id, bool) or not isinstance(proposal.supplier_id, int | str):
        raise EvaluationError(
            f"A supplier id must be a number or a string (got {proposal.supplier_id!r})."
        )
    supplier = str(proposal.supplier_name)
    terms = _unit_score(proposal.terms, name="terms", supplier=supplier, top=MAX_TERMS_SCORE)
    if proposal.competition_passed not in (None, True, False):
        raise EvaluationError(f"{supplier}'s competition result must be passed, failed or none.")
    flags = proposal.open_critical_red_flags
    if isinstance(flags, bool) or not isinstance(flags, int) or flags < 0:
        raise EvaluationError(f"{supplier}'s number of open critical red flags must be 0 or more.")
    currency = (proposal.currency or "").strip().upper() or None
    return _Candidate(
        supplier_id=proposal.supplier_id,
        supplier_name=supplier,
        price=_clean_price(proposal.price, supplier=supplier),
        currency=currency,
        terms_score=terms,
        competition_passed=proposal.competition_passed,
        open_critical_red_flags=flags,
        values={
            "maturity": _unit_score(proposal.maturity, name="maturity", supplier=supplier, top=1.0),
            "extra": _unit_score(proposal.extra, name="extra", supplier=supplier, top=1.0),
            "terms": None if terms is None else terms / MAX_TERMS_SCORE,
            "cost": None,
        },
        reasons=[],
    )


def _check_unique(candidates: list[_Candidate]) -> None:
    seen: dict[int | str, str] = {}
    for candidate in candidates:
        if candidate.supplier_id in seen:
            raise EvaluationError(
                f"{seen[candidate.supplier_id]} and {candidate.supplier_name} have the same "
                f"supplier id ({candidate.supplier_id!r}): rank one proposal per supplier."
            )
        seen[candidate.supplier_id] = candidate.supplier_name


def _check_one_currency(candidates: list[_Candidate]) -> None:
    by_currency: dict[str, list[str]] = {}
    for candidate in candidates:
        if candidate.price is not None:
            by_currency.setdefault(candidate.currency or "no currency", []).append(
                candidate.supplier_name
            )
    if len(by_currency) > 1:
        listing = "; ".join(
            f"{code}: {', '.join(names)}" for code, names in sorted(by_currency.items())
        )
        raise EvaluationError(
            "Prices in different currencies cannot be compared "
            f"({listing}). Convert every price to one currency first."
        )


# --- ordering -------------------------------------------------------------------------------


def _tie_break(a: _Candidate, b: _Candidate) -> int:
    """Negative when a goes first on the tie-break (higher M, then lower price), 0 when equal."""
    maturity_a, maturity_b = a.values["maturity"], b.values["maturity"]
    if maturity_a is not None and maturity_b is not None:
        if abs(maturity_a - maturity_b) > SCORE_TOLERANCE:
            return -1 if maturity_a > maturity_b else 1
    elif maturity_a is not None or maturity_b is not None:
        return -1 if maturity_a is not None else 1
    assert a.price is not None and b.price is not None  # noqa: S101 - only ranked proposals compare
    if a.price != b.price:
        return -1 if a.price < b.price else 1
    return 0


def _compare(a: _Candidate, b: _Candidate) -> int:
    assert a.total is not None and b.total is not None  # noqa: S101 - only ranked proposals compare
    if abs(a.total - b.total) > TOTAL_TOLERANCE:
        return -1 if a.total > b.total else 1
    return _tie_break(a, b)


def _display_order(a: _Candidate, b: _Candidate) -> int:
    order = _compare(a, b)
    if order:
        return order
    key_a = (a.supplier_name.casefold(), str(a.supplier_id))
    key_b = (b.supplier_name.casefold(), str(b.supplier_id))
    return (key_a > key_b) - (key_a < key_b)


# --- the ranking ----------------------------------------------------------------------------


def rank(
    proposals: Iterable[ProposalInput | Mapping[str, Any]],
    weights: Mapping[str, Any] | None = None,
    settings: EvaluationSettings | Mapping[str, Any] | None = None,
    *,
    with_sensitivity: bool = True,
) -> dict[str, Any]:
    """Rank the proposals; see the module docstring for every rule.

    ``weights`` maps ``maturity``, ``extra``, ``terms`` and ``cost`` to numbers ≥ 0
    (``DEFAULT_WEIGHTS`` when None). Returns
    ``{"ranking", "excluded", "weights", "sensitivity", "notes"}``:

    - ``ranking``: ranked entries best first; ``excluded``: the others in the given
      order. An entry has ``supplier_id``, ``supplier_name``, ``rank`` (None when
      excluded), ``total`` (None when excluded), ``price`` (exact decimal string),
      ``currency``, ``components`` (maturity, extra, terms, cost values as used, None
      when missing), ``terms_score`` (0..3 as given), ``breakdown`` (per applied
      component: ``component``, ``label``, ``value``, ``weight``, ``share``,
      ``contribution``; empty when excluded), ``competition_passed``,
      ``open_critical_red_flags`` and ``reasons`` (why it is not ranked).
    - ``weights``: per component ``label``, ``weight``, ``share`` of the total and
      ``left_out`` (weighted but no proposal has a value).
    - ``sensitivity``: ``{"weight", "current", "low", "high"}`` per component in play.
    - ``notes``: sentences for people about what was left out and why.
    """
    cleaned_weights = clean_weights(DEFAULT_WEIGHTS if weights is None else weights)
    rfx_settings = _clean_settings(settings)
    candidates = [_clean_proposal(item) for item in proposals]
    _check_unique(candidates)
    _check_one_currency(candidates)
    notes: list[str] = []

    if candidates:
        in_play = {
            name: any(c.values[name] is not None for c in candidates) for name in SCORED_COMPONENTS
        }
        in_play["cost"] = any(c.price is not None for c in candidates)
    else:
        in_play = dict.fromkeys(COMPONENTS, True)
        notes.append("There are no proposals to rank.")
    applied = [name for name in COMPONENTS if in_play[name] and cleaned_weights[name] > 0]
    for name in COMPONENTS:
        if cleaned_weights[name] > 0 and not in_play[name]:
            notes.append(
                f"No proposal has {HAVING[name]}, so the {LABELS[name].lower()} weight "
                f"({cleaned_weights[name]:g}) is left out and the other weights are rescaled."
            )
    if not applied:
        raise EvaluationError(
            "Only components that no proposal has a score for carry weight: give weight to "
            "maturity, the extra questionnaire, terms or cost as they apply to this RFx."
        )
    weight_sum = math.fsum(cleaned_weights[name] for name in applied)

    has_competition = (
        any(c.competition_passed is not None for c in candidates)
        if rfx_settings.has_competition is None
        else rfx_settings.has_competition
    )
    for candidate in candidates:
        candidate.reasons = _exclusion_reasons(candidate, applied, has_competition, rfx_settings)
    ranked = [c for c in candidates if not c.reasons]
    lowest_price = min((c.price for c in ranked if c.price is not None), default=None)
    for candidate in candidates:
        if candidate.price is not None:
            baseline = (
                candidate.price if lowest_price is None else min(lowest_price, candidate.price)
            )
            candidate.values["cost"] = float(baseline / candidate.price)

    for candidate in ranked:
        candidate.breakdown = []
        for name in applied:
            value = candidate.values[name]
            assert value is not None  # noqa: S101 - _exclusion_reasons left out proposals without it
            share = cleaned_weights[name] / weight_sum
            candidate.breakdown.append(
                {
                    "component": name,
                    "label": LABELS[name],
                    "value": value,
                    "weight": cleaned_weights[name],
                    "share": share,
                    "contribution": 100 * share * value,
                }
            )
        candidate.total = math.fsum(part["contribution"] for part in candidate.breakdown)

    ranked.sort(key=cmp_to_key(_display_order))
    for position, candidate in enumerate(ranked):
        previous = ranked[position - 1] if position else None
        tied = previous is not None and _compare(previous, candidate) == 0
        candidate.rank = previous.rank if tied and previous is not None else position + 1

    sensitivity: list[dict[str, Any]] = []
    if with_sensitivity and candidates:
        sensitivity, sensitivity_notes = _sensitivity(
            ranked, cleaned_weights, applied, in_play, weight_sum
        )
        notes.extend(sensitivity_notes)

    return {
        "ranking": [c.as_dict() for c in ranked],
        "excluded": [c.as_dict() for c in candidates if c.reasons],
        "weights": {
            name: {
                "label": LABELS[name],
                "weight": cleaned_weights[name],
                "share": cleaned_weights[name] / weight_sum if name in applied else 0.0,
                "left_out": cleaned_weights[name] > 0 and not in_play[name],
            }
            for name in COMPONENTS
        },
        "sensitivity": sensitivity,
        "notes": notes,
    }


def _exclusion_reasons(
    candidate: _Candidate, applied: list[str], has_competition: bool, settings: EvaluationSettings
) -> list[str]:
    reasons = []
    if has_competition and candidate.competition_passed is None:
        reasons.append(Reason.NO_COMPETITION_RESULT)
    elif candidate.competition_passed is False:
        reasons.append(Reason.COMPETITION_FAILED)
    if settings.disqualify_on_critical_red_flags and candidate.open_critical_red_flags > 0:
        reasons.append(Reason.CRITICAL_RED_FLAG)
    if candidate.price is None:
        reasons.append(Reason.NO_PRICE)
    reasons.extend(
        Reason.MISSING[name]
        for name in applied
        if name in Reason.MISSING and candidate.values[name] is None
    )
    return reasons


# --- sensitivity ----------------------------------------------------------------------------


def _sensitivity(
    ranked: list[_Candidate],
    weights: dict[str, float],
    applied: list[str],
    in_play: dict[str, bool],
    weight_sum: float,
) -> tuple[list[dict[str, Any]], list[str]]:
    if len(ranked) < 2:
        return [], ["Sensitivity needs at least two ranked proposals."]
    entries, notes = [], []
    for name in COMPONENTS:
        if not in_play[name]:
            continue
        if weights[name] == 0 and any(c.values[name] is None for c in ranked):
            notes.append(
                f"{LABELS[name]} has no weight and not every ranked proposal has a score for it, "
                "so its sensitivity is not shown."
            )
            continue
        low, high = _weight_range(name, ranked, weights, applied, weight_sum)
        entries.append({"weight": name, "current": weights[name], "low": low, "high": high})
    return entries, notes


def _weight_range(
    name: str,
    ranked: list[_Candidate],
    weights: dict[str, float],
    applied: list[str],
    weight_sum: float,
) -> tuple[float, float]:
    """The interval of weight `name` over which the proposals ranked first stay the same."""
    rest = math.fsum(weights[other] for other in applied if other != name)
    if rest <= 0:  # the only weighted component: rescaling leaves every order as it is
        return 0.0, float(weight_sum)
    current_t = weights[name] / weight_sum

    def slope(candidate: _Candidate) -> float:
        # dT/dt of T(t) = 100·(t·c_j + (1 - t)·B), B = the total without component j.
        without = math.fsum(
            weights[other] * candidate.values[other] for other in applied if other != name
        )
        return 100 * (candidate.values[name] - without / rest)

    leaders = [c for c in ranked if c.rank == 1]
    leader = leaders[0]
    leader_slope = slope(leader)
    low_t, high_t = 0.0, 1.0

    def narrow(gap_now: float, gap_slope: float) -> None:
        """Keep only the t where gap(t) = gap_now + gap_slope·(t - t0) stays ≥ 0."""
        nonlocal low_t, high_t
        if abs(gap_slope) <= TOTAL_TOLERANCE:  # parallel: the gap never moves past the tolerance
            return
        # Tied today (within the ranking's tolerance): the crossing is here and now.
        tied = abs(gap_now) <= TOTAL_TOLERANCE
        crossing = current_t if tied else current_t - gap_now / gap_slope
        if gap_slope > 0:
            low_t = max(low_t, min(crossing, current_t))
        else:
            high_t = min(high_t, max(crossing, current_t))

    for other in ranked[1:]:
        assert leader.total is not None and other.total is not None  # noqa: S101
        gap_now = leader.total - other.total
        gap_slope = leader_slope - slope(other)
        if other.rank == 1:
            # Sharing first place: it stays shared only while neither pulls ahead.
            narrow(gap_now, gap_slope)
            narrow(-gap_now, -gap_slope)
        else:
            # Behind the leader, on the total or (tied today) on the tie-break. At the
            # crossing itself the tie-break decides who is first, so the top changes at or
            # just past it: either way the bound is the crossing. A leader that is first
            # today only on the tie-break loses first place as soon as the gap opens the
            # wrong way, so that bound is the current weight.
            narrow(gap_now, gap_slope)

    current = weights[name]
    low = 0.0 if low_t <= 0 else min(round(low_t * weight_sum, BOUND_DECIMALS), current)
    high = (
        float(weight_sum)
        if high_t >= 1
        else max(round(high_t * weight_sum, BOUND_DECIMALS), current)
    )
    return float(low), float(high)


# --- feedback -------------------------------------------------------------------------------


def feedback_for(result: Mapping[str, Any], supplier_id: int | str) -> dict[str, Any]:
    """One supplier's own scores against the weights and its rank, for its feedback summary.

    Only that supplier's entry and the RFx's weights: no other proposal, no sensitivity
    (which is about the leader), no notes.
    """
    for entry in [*result["ranking"], *result["excluded"]]:
        if entry["supplier_id"] == supplier_id:
            return {
                "supplier_id": entry["supplier_id"],
                "supplier_name": entry["supplier_name"],
                "ranked": entry["rank"] is not None,
                "rank": entry["rank"],
                "total": entry["total"],
                "price": entry["price"],
                "currency": entry["currency"],
                "components": copy.deepcopy(entry["components"]),
                "terms_score": entry["terms_score"],
                "breakdown": copy.deepcopy(entry["breakdown"]),
                "reasons": list(entry["reasons"]),
                "weights": copy.deepcopy(result["weights"]),
            }
    raise EvaluationError("That supplier has no proposal in this evaluation.")
