"""Files and fixtures for the tender competition tests: a rail operator's maintenance task.

40 machines (ids m001…m040) on two sites; the hidden label says whether a machine needs
MAINTENANCE or is OK. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rfx import competition_services
from rfx.models import Competition, RFx
from tests.rfx.conftest import DAY

IDS = [f"m{number:03d}" for number in range(1, 41)]
TRUTH = ["MAINTENANCE" if number % 3 == 0 else "OK" for number in range(1, 41)]
SITES = ["north" if number <= 20 else "south" for number in range(1, 41)]
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
