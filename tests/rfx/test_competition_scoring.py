"""Scoring through the services (upload, check, worker) gives scikit-learn's figures to 1e-9."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    recall_score,
)

from rfx import competition_services, selectors, services
from rfx.models import PredictionSubmission
from tests.rfx.competition_data import (
    csv_file,
    media_root,  # noqa: F401 — fixture
    release_time,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")

CLASSES = ["bearing", "electrical", "none", "wheel"]
SITES = ["Crewe", "Derby", "York"]
ROWS = 3000
TOLERANCE = 1e-9


def approx(value):
    return pytest.approx(value, abs=TOLERANCE, rel=0)


@pytest.fixture(params=[3, 11])
def generated(request):
    rng = np.random.default_rng(request.param)
    truth = rng.choice(CLASSES, size=ROWS, p=[0.15, 0.1, 0.6, 0.15])
    site = rng.choice(SITES, size=ROWS, p=[0.5, 0.3, 0.2])
    shift = rng.choice(["day", "night"], size=ROWS)
    noise = rng.random(ROWS) < np.where(site == "York", 0.4, 0.2)
    predicted = np.where(noise, rng.choice(CLASSES, size=ROWS), truth)
    ids = np.array([f"T-{number:05d}" for number in rng.permutation(ROWS)])
    return {"ids": ids, "truth": truth, "site": site, "shift": shift, "predicted": predicted}


@pytest.fixture
def draft_rfx(draft_rfx, buyer, generated):
    bars = [
        {"metric": "macro_f1", "min": 0.5},
        {"metric": "recall", "class": "wheel", "min": 0.7},
        {"metric": "recall_gap", "column": "site", "class": "bearing", "max": 0.5},
        {"metric": "accuracy_gap", "column": "shift", "max": 0.2},
    ]
    competition_services.competition_configure(
        rfx=draft_rfx, user=buyer, bars=bars, release_at=release_time(draft_rfx)
    )
    rows = zip(
        generated["ids"], generated["truth"], generated["site"], generated["shift"], strict=True
    )
    labels = "id,label,site,shift\n" + "".join(",".join(row) + "\n" for row in rows)
    inputs = "id,sensor\n" + "".join(f"{i},1\n" for i in reversed(generated["ids"]))
    for kind, content in (("labels", labels), ("inputs", inputs), ("training", "a,label\n1,x\n")):
        competition_services.competition_file_upload(
            rfx=draft_rfx, user=buyer, kind=kind, file=csv_file(f"{kind}.csv", content)
        )
    return draft_rfx


def test_metrics_through_the_services_match_scikit_learn(
    published_rfx, supplier_a, generated, django_capture_on_commit_callbacks
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    order = np.random.default_rng(0).permutation(ROWS)  # any order of rows
    predictions = "id,prediction\n" + "".join(
        f"{generated['ids'][index]},{generated['predicted'][index]}\n" for index in order
    )
    with (
        frozen(release_time(published_rfx) + timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        submission = competition_services.prediction_submit(
            proposal=proposal, user=supplier_a, file=csv_file("p.csv", predictions)
        )
    submission.refresh_from_db()
    assert (submission.valid, submission.status) == (True, PredictionSubmission.Status.DONE)
    metrics = selectors.prediction_metrics(submission)
    truth, predicted = generated["truth"], generated["predicted"]

    def check(result: dict, inside) -> None:
        y_true, y_pred = truth[inside], predicted[inside]
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, labels=CLASSES, average=None, zero_division=0
        )
        assert result["accuracy"] == approx(accuracy_score(y_true, y_pred))
        assert result["macro_f1"] == approx(
            f1_score(y_true, y_pred, average="macro", zero_division=0)
        )
        assert result["weighted_f1"] == approx(
            f1_score(y_true, y_pred, average="weighted", zero_division=0)
        )
        for index, label in enumerate(CLASSES):
            assert result["per_class"][label] == {
                "precision": approx(precision[index]),
                "recall": approx(recall[index]),
                "f1": approx(f1[index]),
                "support": int(support[index]),
            }
        assert result["confusion_matrix"] == {
            "labels": CLASSES,
            "matrix": confusion_matrix(y_true, y_pred, labels=CLASSES).tolist(),
        }

    check(metrics, np.ones(ROWS, dtype=bool))
    assert list(metrics["groups"]) == list(metrics["gaps"]) == ["site", "shift"]  # file order
    for column, values in (("site", SITES), ("shift", ["day", "night"])):
        assert list(metrics["groups"][column]) == values
        for value in values:
            check(metrics["groups"][column][value], generated[column] == value)

    def recall_of(label: str, inside) -> float:
        return recall_score(
            truth[inside], predicted[inside], labels=[label], average=None, zero_division=0
        )[0]

    bearing_gap = max(recall_of("bearing", generated["site"] == s) for s in SITES) - min(
        recall_of("bearing", generated["site"] == s) for s in SITES
    )
    shift_accuracy = [
        accuracy_score(truth[generated["shift"] == s], predicted[generated["shift"] == s])
        for s in ("day", "night")
    ]
    expected_values = [
        f1_score(truth, predicted, average="macro", zero_division=0),
        recall_of("wheel", np.ones(ROWS, dtype=bool)),
        bearing_gap,
        abs(shift_accuracy[0] - shift_accuracy[1]),
    ]
    assert [bar["value"] for bar in metrics["bars"]] == [approx(v) for v in expected_values]
    expected_passed = [
        expected_values[0] >= 0.5,
        expected_values[1] >= 0.7,
        expected_values[2] <= 0.5,
        expected_values[3] <= 0.2,
    ]
    assert [bar["passed"] for bar in metrics["bars"]] == expected_passed
    assert submission.passed is all(expected_passed)
