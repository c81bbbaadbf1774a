"""Files and fixtures for the tender competition tests: a rail operator's maintenance task.

40 machines (ids m001…m040) on two sites; the hidden label says whether a machine needs
MAINTENANCE or is OK. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from accounts.models import Membership
from rfx import competition_services, services
from rfx.models import Competition, PredictionSubmission, RFx
from tests.factories import MembershipFactory, UserFactory
from tests.rfx.conftest import DAY, frozen

IDS = [f"m{number:03d}" for number in range(1, 41)]
TRUTH = ["MAINTENANCE" if number % 3 == 0 else "OK" for number in range(1, 41)]
SITES = ["north" if number <= 20 else "south" for number in range(1, 41)]
# A predictions file with one problem of each kind, and what the checker says of it.
BAD_ROWS = [*zip(IDS[:38], TRUTH[:38], strict=True), ("m777", "OK"), ("m001", "BROKEN")]
BAD_FILE = "id,prediction\n" + "".join(f"{i},{label}\n" for i, label in BAD_ROWS)
BAD_PROBLEMS = [
    "1 row has a prediction outside the known labels (“MAINTENANCE”, “OK”), e.g. row 41 "
    "(“BROKEN”).",
    "1 id appears more than once in the predictions, e.g. “m001” (rows 2, 41). Each id must "
    "appear exactly once.",
    "1 row has an id that is not in the evaluation set, e.g. row 40 (“m777”).",
    "2 ids of the evaluation set are missing from the predictions, e.g. “m039”, “m040”.",
]
BARS = [
    {"metric": "accuracy", "min": 0.8},
    {"metric": "recall", "class": "MAINTENANCE", "min": 0.9},
    {"metric": "recall_gap", "column": "site", "class": "MAINTENANCE", "max": 0.1},
]


def csv_file(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def labels_csv(ids=IDS, truth=TRUTH, sites=SITES) -> str:
    return "id,label,site\n" + "".join(
        f"{i},{label},{site}\n" for i, label, site in zip(ids, truth, sites, strict=True)
    )


def inputs_csv(ids=IDS) -> str:
    return "id,vibration,temperature\n" + "".join(
        f"{i},{index % 7 / 10},{40 + index % 5}\n" for index, i in enumerate(ids)
    )


def training_csv() -> str:
    return "vibration,temperature,label\n0.1,41,OK\n0.6,44,MAINTENANCE\n0.2,40,OK\n"


def predictions_csv(predicted=TRUTH, ids=IDS) -> str:
    return "id,prediction\n" + "".join(
        f"{i},{label}\n" for i, label in zip(ids, predicted, strict=True)
    )


def failing_predictions() -> str:
    """Every machine called OK: accuracy 2/3 and no maintenance found, so the bars fail."""
    return predictions_csv(["OK"] * len(IDS))


def release_time(rfx: RFx) -> datetime:
    return rfx.proposal_deadline - 5 * DAY


def set_up(rfx: RFx, user, *, bars=BARS, limit: int = 3, files: bool = True) -> Competition:
    """A complete competition on a draft RFP: bars, limit, release time and the three files."""
    competition = competition_services.competition_configure(
        rfx=rfx,
        user=user,
        description="Predict which machines need maintenance in the next month.",
        primary_metric="macro_f1",
        bars=bars,
        submission_limit=limit,
        release_at=release_time(rfx),
    )
    if files:
        for kind, name, content in (
            ("training", "machines-training.csv", training_csv()),
            ("inputs", "machines-evaluation.csv", inputs_csv()),
            ("labels", "machines-labels.csv", labels_csv()),
        ):
            competition = competition_services.competition_file_upload(
                rfx=rfx, user=user, kind=kind, file=csv_file(name, content)
            )
    return competition


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads in a throwaway folder of their own (the hidden one is the session's, conftest)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(rfx: RFx, proposal, user, content: str) -> PredictionSubmission:
    """Upload an hour after the release and score it at once (the worker, in-process)."""
    with (
        frozen(release_time(rfx) + timedelta(hours=1)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        return competition_services.prediction_submit(
            proposal=proposal, user=user, file=csv_file("predictions.csv", content)
        )


@pytest.fixture
def files(published_rfx, proposal_a, proposal_b, supplier_a, supplier_b) -> dict:
    """A's failing file then its passing one (which counts); B's failing file."""
    return {
        "a_first": upload(published_rfx, proposal_a, supplier_a, failing_predictions()),
        "a_counted": upload(published_rfx, proposal_a, supplier_a, predictions_csv()),
        "b_counted": upload(published_rfx, proposal_b, supplier_b, failing_predictions()),
    }


@pytest.fixture
def closed(files, closed_rfx) -> RFx:
    return closed_rfx


@pytest.fixture
def undeclared(buyer_org, closed, buyer):
    """frank: a reviewer on the closed RFx's team who has not declared about conflicts."""
    user = MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user
    services.rfx_reviewer_assign(rfx=closed, reviewer=user, user=buyer)
    return user
