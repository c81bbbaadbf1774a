"""Ranking and sensitivity of an RFx with 50 proposals: pure computation, no database.

python bench/ranking.py [--runs 200] [--suppliers 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal

from _setup import ROOT, median

sys.path.insert(0, str(ROOT))

from rfx.evaluation import DEFAULT_WEIGHTS, EvaluationSettings, ProposalInput, rank  # noqa: E402


def proposals(count: int) -> list[ProposalInput]:
    rng = random.Random(50)  # noqa: S311 - reproducible bench data
    return [
        ProposalInput(
            supplier_id=number,
            supplier_name=f"Supplier {number}",
            price=Decimal(rng.randint(80_000, 400_000)),
            currency="EUR",
            maturity=rng.random(),
            extra=rng.random(),
            terms=rng.choice([0, 1, 2, 3, 1.5, 2.5]),
            competition_passed=rng.random() < 0.9,
            open_critical_red_flags=int(rng.random() < 0.1),
        )
        for number in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--suppliers", type=int, default=50)
    arguments = parser.parse_args()
    data = proposals(arguments.suppliers)
    settings = EvaluationSettings(disqualify_on_critical_red_flags=True)

    timings = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        result = rank(data, DEFAULT_WEIGHTS, settings)
        timings.append(time.perf_counter() - start)
    assert len(result["sensitivity"]) == 4

    print(
        f"ranking_{arguments.suppliers}_suppliers: median {median(timings) * 1000:.2f} ms "
        f"(min {min(timings) * 1000:.2f} ms, {len(result['ranking'])} ranked, "
        f"{len(result['excluded'])} excluded, with sensitivity, {arguments.runs} runs)"
    )


if __name__ == "__main__":
    main()
