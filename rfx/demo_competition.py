"""The demo tender competition's data, made up in code (for `manage.py seed_demo`).

A rail operator's machines: from vibration, bearing temperature and the hours since the last
service, predict whether a machine is OK, needs an INSPECTion or a REPAIR. Three depots form
the group column "site". The same seed always gives the same files.

Besides the competition's three files, three predictions files for suppliers to try: one that
passes every bar, one that misses repairs at one depot (it fails the fairness bar) and one that
is refused (rows missing, a label that does not exist).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CLASSES = ("OK", "INSPECT", "REPAIR")
SITES = ("north", "central", "south")
TRAINING_ROWS = 600
EVALUATION_ROWS = 300
SEED = 2026

DESCRIPTION = (
    "Northwind Rail services about 900 machines in three depots. Predict, from three sensor "
    "readings, whether a machine is OK, needs an inspection (INSPECT) or a repair (REPAIR) "
    "within the next month.\n\n"
    "The training set has 600 machines with the answer in the column “condition”. The "
    "evaluation inputs have 300 other machines without it: predict each one and upload a CSV "
    "file with the columns id and prediction.\n\n"
    "A missed repair costs far more than an unneeded inspection, so repairs must be found, and "
    "found as well in every depot."
)
BARS = [
    {"metric": "accuracy", "min": 0.7},
    {"metric": "recall", "class": "REPAIR", "min": 0.6},
    {"metric": "recall_gap", "column": "site", "class": "REPAIR", "max": 0.15},
]


@dataclass(frozen=True)
class Machine:
    id: str
    site: str
    vibration: float
    temperature: float
    hours: int
    condition: str


def _machines(count: int, start: int, rng: random.Random) -> list[Machine]:
    machines = []
    for number in range(start, start + count):
        condition = rng.choices(CLASSES, weights=(60, 25, 15))[0]
        level = CLASSES.index(condition)
        machines.append(
            Machine(
                id=f"M{number:04d}",
                site=rng.choice(SITES),
                vibration=round(max(0.1, rng.gauss(2.0 + 2.2 * level, 1.1)), 2),
                temperature=round(rng.gauss(48 + 9 * level, 6), 1),
                hours=max(0, int(rng.gauss(900 + 700 * level, 450))),
                condition=condition,
            )
        )
    return machines


def _csv(header: list[str], rows: list[list[object]]) -> str:
    return ",".join(header) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)


def _predict(machine: Machine, rng: random.Random, *, blind_site: str | None = None) -> str:
    """A plausible supplier's model: mostly right, sometimes one class off."""
    if blind_site and machine.site == blind_site and machine.condition == "REPAIR":
        return "INSPECT" if rng.random() < 0.8 else "REPAIR"
    if rng.random() < 0.15:
        level = CLASSES.index(machine.condition)
        return CLASSES[max(0, min(2, level + rng.choice((-1, 1))))]
    return machine.condition


def demo_files() -> dict[str, str]:
    """File name → CSV text: the competition's three files and three predictions files."""
    rng = random.Random(SEED)  # noqa: S311 — made-up demo data, the same every time
    training = _machines(TRAINING_ROWS, 1, rng)
    evaluation = _machines(EVALUATION_ROWS, 5001, rng)
    features = ["vibration_mm_s", "bearing_temp_c", "hours_since_service"]
    good = [[m.id, _predict(m, rng)] for m in evaluation]
    unfair = [[m.id, _predict(m, rng, blind_site="south")] for m in evaluation]
    refused = [row[:] for row in good[:-3]]
    refused[6][1] = "REPLACE"
    return {
        "training.csv": _csv(
            ["site", *features, "condition"],
            [[m.site, m.vibration, m.temperature, m.hours, m.condition] for m in training],
        ),
        "evaluation-inputs.csv": _csv(
            ["id", "site", *features],
            [[m.id, m.site, m.vibration, m.temperature, m.hours] for m in evaluation],
        ),
        "hidden-labels.csv": _csv(
            ["id", "label", "site"], [[m.id, m.condition, m.site] for m in evaluation]
        ),
        "predictions-good.csv": _csv(["id", "prediction"], good),
        "predictions-unfair.csv": _csv(["id", "prediction"], unfair),
        "predictions-refused.csv": _csv(["id", "prediction"], refused),
    }
