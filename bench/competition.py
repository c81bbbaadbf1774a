"""Benchmark: scoring a tender competition of a million predictions (DESIGN §5).

Usage: .venv/bin/python bench/competition.py [--rows 1000000] [--runs 3]

Writes, into a temporary directory, hidden labels `id,label,site` (3 imbalanced
classes, 4 sites) and predictions `id,prediction` (about 85% right, rows
shuffled), then times, interleaved so that the machine's load falls on all
three alike:

- pandas + scikit-learn, as a data scientist would write it: `read_csv` both
  files, `merge` on id, `classification_report` and `confusion_matrix`. It
  computes the overall metrics only, less than ours does.
- the polars + `numpy.bincount` floor: `read_csv` both files, join on id (the
  same left join ours uses; polars' inner join is slower), enum codes for
  labels, predictions and sites, one `bincount` of the site × truth ×
  prediction cells. No checks and no metrics: the least any scorer must do.
- ours: `rfx.competition.score` on the two paths with one fairness bar, end
  to end: reading, every check of the files, overall and per-site metrics,
  gaps and the bar.

The peak memory of ours is read from a child process that only scores once
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`, the interpreter and its
libraries included). Prints three lines, e.g.
`competition_ours: median 0.52 s (25.2x faster than pandas+sklearn, 1.27x the floor, peak 410 MB)`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from _setup import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ["fault", "ok", "service"]
SITES = ["north", "south", "east", "west"]
BARS = [{"metric": "recall_gap", "column": "site", "class": "service", "max": 0.05}]


def generate(folder: Path, rows: int, seed: int = 2026) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(len(CLASSES), size=rows, p=[0.05, 0.75, 0.2])
    wrong = rng.random(rows) < 0.15
    predicted = np.where(wrong, rng.choice(len(CLASSES), size=rows), truth)
    site = rng.choice(len(SITES), size=rows, p=[0.4, 0.3, 0.2, 0.1])
    ids = pl.int_range(rows, eager=True).cast(pl.String).str.zfill(7)
    labels = pl.DataFrame(
        {
            "id": ids,
            "label": np.array(CLASSES)[truth],
            "site": np.array(SITES)[site],
        }
    )
    order = rng.permutation(rows)
    predictions = pl.DataFrame(
        {"id": ids.gather(order), "prediction": np.array(CLASSES)[predicted][order]}
    )
    labels_path, predictions_path = folder / "labels.csv", folder / "predictions.csv"
    labels.write_csv(labels_path)
    predictions.write_csv(predictions_path)
    return labels_path, predictions_path


def pandas_sklearn(labels_path: Path, predictions_path: Path) -> dict:
    import pandas as pd
    from sklearn.metrics import classification_report, confusion_matrix

    labels = pd.read_csv(labels_path)
    predictions = pd.read_csv(predictions_path)
    joined = labels.merge(predictions, on="id")
    report = classification_report(
        joined["label"], joined["prediction"], output_dict=True, zero_division=0
    )
    matrix = confusion_matrix(joined["label"], joined["prediction"], labels=CLASSES)
    return {"accuracy": report["accuracy"], "matrix": matrix.tolist()}


def polars_floor(labels_path: Path, predictions_path: Path) -> dict:
    # Ids are text, as ours reads them ("007" is not "7"), not the integers polars would infer.
    labels = pl.read_csv(labels_path, schema_overrides={"id": pl.String})
    predictions = pl.read_csv(predictions_path, schema_overrides={"id": pl.String})
    joined = predictions.join(labels, on="id", how="left")
    classes = sorted(labels.get_column("label").unique().to_list())
    sites = sorted(labels.get_column("site").unique().to_list())
    k = len(classes)

    def codes(column: str, values: list[str]) -> np.ndarray:
        series = joined.get_column(column).cast(pl.Enum(values))
        return series.to_physical().to_numpy().astype(np.int64)

    cells = (
        codes("site", sites) * k * k + codes("label", classes) * k + codes("prediction", classes)
    )
    counts = np.bincount(cells, minlength=len(sites) * k * k).reshape(len(sites), k, k)
    matrix = counts.sum(axis=0)
    return {"accuracy": matrix.trace() / matrix.sum(), "matrix": matrix.tolist()}


def ours(labels_path: Path, predictions_path: Path) -> dict:
    from rfx.competition import score

    result = score(labels_path, predictions_path, BARS)
    return {"accuracy": result["accuracy"], "matrix": result["confusion_matrix"]["matrix"]}


def peak_memory_of_ours(labels_path: Path, predictions_path: Path) -> float:
    """Megabytes: the largest resident set of a child that imports and scores once."""
    arguments = f"{str(labels_path)!r}, {str(predictions_path)!r}, json.loads({json.dumps(BARS)!r})"
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from rfx.competition import score\n"
        f"score({arguments})\n"
    )
    # This must be the first child process: RUSAGE_CHILDREN keeps the largest of them all.
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 (our own code)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def timed(function: Callable, *arguments) -> tuple[float, dict]:
    start = time.perf_counter()
    result = function(*arguments)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-competition-"))
    try:
        labels_path, predictions_path = generate(folder, options.rows)
        peak = peak_memory_of_ours(labels_path, predictions_path)
        ours(labels_path, predictions_path)  # imports and first-call set-up are not timed
        polars_floor(labels_path, predictions_path)
        contenders = (("floor", polars_floor), ("ours", ours), ("baseline", pandas_sklearn))
        times: dict[str, list[float]] = {name: [] for name, _ in contenders}
        last: dict[str, dict] = {}
        for _ in range(options.runs):
            for name, function in contenders:
                seconds, last[name] = timed(function, labels_path, predictions_path)
                times[name].append(seconds)
        # The three must agree, or comparing their times would mean nothing.
        matrices = [result["matrix"] for result in last.values()]
        assert all(matrix == matrices[0] for matrix in matrices), last
        sizes = " + ".join(
            f"{path.stat().st_size / 1e6:.1f} MB" for path in (labels_path, predictions_path)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    baseline, floor, our = (median(times[name]) for name in ("baseline", "floor", "ours"))
    runs = f"{options.runs} runs, {options.rows:,} rows, {sizes}"
    print(f"competition_pandas_sklearn: median {baseline:.2f} s ({runs}, overall metrics only)")
    print(f"competition_polars_floor: median {floor:.2f} s ({runs})")
    print(
        f"competition_ours: median {our:.2f} s ({baseline / our:.1f}x faster than pandas+sklearn, "
        f"{our / floor:.2f}x the floor, peak {peak:.0f} MB; {runs}, "
        "one site column, one fairness bar)"
    )


if __name__ == "__main__":
    main()
