"""The tender competition API (DESIGN §5): set-up, files, downloads, predictions, results.

alice manages the buyer (Northwind Rail); bob is a reviewer of the buyer, on the team and
cleared once the RFx closes; charlie is supplier A (Acme Analytics), dana supplier B (Blue
Heron AI); an outsider belongs to neither. The competition is the rail operator's
maintenance task of tests/rfx/competition_data.py; the server's clock is set before the
release, after it and after the deadline.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation
from core.exceptions import ApplicationError
from rfx import competition_services, services
from rfx.models import Competition, Invitation, PredictionSubmission, RFx
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.rfx.competition_data import (
    BAD_FILE,
    BAD_PROBLEMS,
    BARS,
    closed,  # noqa: F401 — fixture
    csv_file,
    failing_predictions,
    files,  # noqa: F401 — fixture
    labels_csv,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
    training_csv,
    undeclared,  # noqa: F401 — fixture
    upload,
)
from tests.rfx.conftest import frozen, submit_proposal

pytestmark = pytest.mark.usefixtures("media_root")
Job = PredictionSubmission.Status
API = "/api/v1/rfx/"
HOST = "http://testserver"
# Every line of the hidden labels (without the header): none may reach a supplier.
LABEL_LINES = labels_csv().splitlines()[1:]
BAR_ROWS = [
    {
        "bar": {"metric": "accuracy", "min": 0.8},
        "words": "Accuracy must be at least 80%",
        "short": "Accuracy ≥ 80%",
        "meaning": "the share of rows whose prediction is right",
    },
    {
        "bar": {"metric": "recall", "class": "MAINTENANCE", "min": 0.9},
        "words": "Recall of “MAINTENANCE” must be at least 90%",
        "short": "Recall “MAINTENANCE” ≥ 90%",
        "meaning": "of the rows that truly are this class, the share predicted as it",
    },
    {
        "bar": {"metric": "recall_gap", "column": "site", "class": "MAINTENANCE", "max": 0.1},
        "words": "Recall of “MAINTENANCE” must not differ by more than 10 points between any "
        "two groups of “site”",
        "short": "Recall gap “MAINTENANCE” by site ≤ 10 pts",
        "meaning": "the largest difference in this class's recall between two groups",
    },
]
UNSCORED_BARS = [{**row, "value": None, "passed": None} for row in BAR_ROWS]


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def ts(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def after_release(rfx: RFx):
    return frozen(release_time(rfx) + timedelta(hours=1))


def after_deadline(rfx: RFx):
    return frozen(rfx.proposal_deadline + timedelta(minutes=1))


def assert_no_hidden_labels(body: str) -> None:
    assert "machines-labels.csv" not in body
    for line in LABEL_LINES:
        assert line not in body


@pytest.fixture
def draft_rfx(draft_rfx, buyer, reviewer):
    """A ready competition: 3 valid files each, the three bars, the release 5 days early; bob
    on the evaluation team (a reviewer sees an RFx only once on its team)."""
    services.rfx_reviewer_assign(rfx=draft_rfx, reviewer=reviewer, user=buyer)
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


@pytest.fixture
def proposal_a_started(published_rfx, supplier_a):
    return services.proposal_start(rfx=published_rfx, user=supplier_a)


def competition_url(rfx: RFx) -> str:
    return f"{API}{rfx.pk}/competition/"


def files_url(rfx: RFx, kind: str, download: bool = False) -> str:
    return f"{API}{rfx.pk}/competition/files/{kind}/" + ("download/" if download else "")


def predictions_url(rfx: RFx, submission=None, retry: bool = False) -> str:
    address = f"{API}{rfx.pk}/competition/predictions/"
    if submission is not None:
        address += f"{submission.pk}/"
    return address + ("retry/" if retry else "")


def results_url(rfx: RFx, proposal=None) -> str:
    return f"{API}{rfx.pk}/competition/results/" + (f"{proposal.pk}/" if proposal else "")


def post_predictions(client: APIClient, rfx: RFx, content: str, name: str = "predictions.csv"):
    return client.post(predictions_url(rfx), {"file": csv_file(name, content)}, format="multipart")


# --- the set-up: reading it ---------------------------------------------------------------------


def file_row(rfx: RFx, kind: str, what: str, name: str, size: int, download: bool) -> dict:
    return {
        "kind": kind,
        "what": what,
        "stored": True,
        "name": name,
        "size": size,
        "download_url": f"{HOST}{files_url(rfx, kind, download=True)}" if download else None,
    }


def test_the_manager_reads_the_whole_set_up_of_the_draft(buyer, draft_rfx):
    response = client_for(buyer).get(competition_url(draft_rfx))
    assert response.status_code == 200
    competition = draft_rfx.competition
    assert response.json() == {
        "description": "Predict which machines need maintenance in the next month.",
        "primary_metric": "macro_f1",
        "primary_metric_name": "Macro F1",
        "bars": UNSCORED_BARS,
        "submission_limit": 3,
        "release_at": ts(competition.release_at),
        "released": False,
        "ready": True,
        "rows": 40,
        "classes": ["MAINTENANCE", "OK"],
        "group_columns": ["site"],
        "files": [
            file_row(
                draft_rfx,
                "training",
                "training set",
                "machines-training.csv",
                competition.training_size,
                True,
            ),
            file_row(
                draft_rfx,
                "inputs",
                "evaluation inputs",
                "machines-evaluation.csv",
                competition.inputs_size,
                True,
            ),
            file_row(
                draft_rfx,
                "labels",
                "hidden labels",
                "machines-labels.csv",
                competition.labels_size,
                True,
            ),
        ],
        "can_configure": True,
        "publishing_problem": None,
        "results_url": None,
    }
    assert_no_hidden_labels(response.content.decode().replace("machines-labels.csv", ""))


def test_a_reviewer_reads_the_set_up_but_cannot_download_the_hidden_labels(reviewer, draft_rfx):
    body = client_for(reviewer).get(competition_url(draft_rfx)).json()
    assert body["can_configure"] is False
    assert [row["download_url"] is not None for row in body["files"]] == [True, True, False]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("supplier_a", 404), ("outsider", 404), (None, 403)],
)
def test_no_one_else_reads_a_draft_competition(request, draft_rfx, role, expected):
    user = request.getfixturevalue(role) if role else None
    response = client_for(user).get(competition_url(draft_rfx))
    assert response.status_code == expected
    assert_no_hidden_labels(response.content.decode())


def test_a_supplier_reads_what_its_page_shows_and_nothing_of_the_hidden_labels(
    supplier_a, published_rfx
):
    response = client_for(supplier_a).get(competition_url(published_rfx))
    assert response.status_code == 200
    competition = published_rfx.competition
    body = response.json()
    why_not = body.pop("why_not")
    assert why_not.startswith("The evaluation inputs are released in 4 days, on ")
    assert why_not.endswith("; you can upload predictions from then.")
    assert body == {
        "description": "Predict which machines need maintenance in the next month.",
        "primary_metric": "macro_f1",
        "primary_metric_name": "Macro F1",
        "primary_metric_meaning": "the F1 of each class, averaged so that every class counts "
        "the same",
        "bars": UNSCORED_BARS,
        "submission_limit": 3,
        "release_at": ts(competition.release_at),
        "released": False,
        "proposal_deadline": ts(published_rfx.proposal_deadline),
        "deadline_passed": False,
        "accepted": True,
        # Before the release: only the training set.
        "files": [
            file_row(
                published_rfx,
                "training",
                "training set",
                "machines-training.csv",
                competition.training_size,
                True,
            )
        ],
        "valid_used": 0,
        "remaining": 3,
        "can_submit": False,
    }
    assert_no_hidden_labels(response.content.decode())


def test_after_the_release_the_supplier_reads_the_inputs_too(supplier_b, published_rfx):
    with after_release(published_rfx):
        body = client_for(supplier_b).get(competition_url(published_rfx)).json()
    assert [row["kind"] for row in body["files"]] == ["training", "inputs"]
    assert body["released"] is True
    assert body["why_not"] == "Predictions belong to your proposal: start your proposal first."


def test_the_outsider_and_the_anonymous_do_not_read_a_published_competition(
    outsider, published_rfx
):
    assert client_for(outsider).get(competition_url(published_rfx)).status_code == 404
    assert client_for(None).get(competition_url(published_rfx)).status_code == 403


def test_an_rfx_without_a_competition_answers_404(buyer, supplier_a, published_rfx):
    RFx.objects.filter(pk=published_rfx.pk).update(has_competition=False)
    assert client_for(supplier_a).get(competition_url(published_rfx)).json() == {
        "detail": "This RFx has no competition."
    }
    Competition.objects.filter(rfx=published_rfx).delete()
    assert client_for(buyer).get(competition_url(published_rfx)).status_code == 404


# --- the set-up: changing it --------------------------------------------------------------------


def test_the_manager_replaces_the_settings_with_put_and_changes_one_with_patch(buyer, draft_rfx):
    client = client_for(buyer)
    release = release_time(draft_rfx) - timedelta(days=1)
    response = client.put(
        competition_url(draft_rfx),
        {"description": "New task.", "bars": BARS[:1], "release_at": ts(release)},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["description"], body["primary_metric"], body["submission_limit"]) == (
        "New task.",
        "accuracy",
        5,
    )
    assert [row["bar"] for row in body["bars"]] == BARS[:1]
    response = client.patch(competition_url(draft_rfx), {"submission_limit": 2}, format="json")
    assert response.status_code == 200
    competition = Competition.objects.get(rfx=draft_rfx)
    assert (competition.description, competition.submission_limit) == ("New task.", 2)
    assert competition.release_at == release


def test_a_refused_setting_names_its_field(buyer, draft_rfx):
    client = client_for(buyer)
    response = client.patch(
        competition_url(draft_rfx),
        {"release_at": ts(draft_rfx.proposal_deadline + timedelta(days=1))},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["release_at"]
    assert response.json()["release_at"][0].startswith("Release the evaluation inputs before")
    response = client.patch(
        competition_url(draft_rfx),
        {"bars": [{"metric": "recall", "class": "WORN", "min": 0.5}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["bars"]
    competition = Competition.objects.get(rfx=draft_rfx)
    assert competition.bars == BARS


def test_the_manager_removes_the_competition_then_sets_one_up_again(buyer, draft_rfx):
    client = client_for(buyer)
    assert client.delete(competition_url(draft_rfx)).status_code == 204
    draft_rfx.refresh_from_db()
    assert (draft_rfx.has_competition, Competition.objects.filter(rfx=draft_rfx).exists()) == (
        False,
        False,
    )
    assert client.patch(competition_url(draft_rfx), {}, format="json").status_code == 404
    response = client.put(competition_url(draft_rfx), {}, format="json")
    assert response.status_code == 201
    assert [row["stored"] for row in response.json()["files"]] == [False, False, False]
    assert response.json()["publishing_problem"]
    draft_rfx.refresh_from_db()
    assert draft_rfx.has_competition is True


@pytest.mark.parametrize(
    ("role", "expected"),
    [("reviewer", 403), ("supplier_a", 404), ("outsider", 404), (None, 403)],
)
def test_only_the_manager_changes_the_draft_competition(request, draft_rfx, role, expected):
    client = client_for(request.getfixturevalue(role) if role else None)
    assert client.put(competition_url(draft_rfx), {}, format="json").status_code == expected
    assert client.patch(competition_url(draft_rfx), {}, format="json").status_code == expected
    assert client.delete(competition_url(draft_rfx)).status_code == expected
    response = client.post(
        files_url(draft_rfx, "training"),
        {"file": csv_file("t.csv", training_csv())},
        format="multipart",
    )
    assert response.status_code == expected
    competition = Competition.objects.get(rfx=draft_rfx)
    assert (competition.description, competition.training_name) == (
        "Predict which machines need maintenance in the next month.",
        "machines-training.csv",
    )


def test_once_published_nobody_changes_the_competition(buyer, supplier_a, published_rfx):
    client = client_for(buyer)
    response = client.patch(competition_url(published_rfx), {"submission_limit": 9}, format="json")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "The competition is fixed once the RFx is published: suppliers rely on it."},
    )
    assert client.delete(competition_url(published_rfx)).status_code == 403
    response = client_for(supplier_a).patch(competition_url(published_rfx), {}, format="json")
    assert response.status_code == 403
    assert Competition.objects.get(rfx=published_rfx).submission_limit == 3


# --- the set-up: files --------------------------------------------------------------------------


def test_the_manager_uploads_a_file_and_reads_it_back(buyer, draft_rfx):
    response = client_for(buyer).post(
        files_url(draft_rfx, "training"),
        {"file": csv_file("new-training.csv", training_csv())},
        format="multipart",
    )
    assert response.status_code == 200
    training = response.json()["files"][0]
    assert (training["name"], training["size"]) == ("new-training.csv", len(training_csv()))
    assert Competition.objects.get(rfx=draft_rfx).training_name == "new-training.csv"


def test_a_refused_file_lists_its_problems_by_row_as_the_page_does(buyer, draft_rfx):
    content = "id,label,site\nm001,OK,north\nm001,OK,north\nm003,,south\n"
    response = client_for(buyer).post(
        files_url(draft_rfx, "labels"),
        {"file": csv_file("labels.csv", content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The hidden labels file was refused, so nothing is stored. Fix the problems "
        "listed and upload it again.",
        "file": [
            "1 row has an empty label, e.g. row 4.",
            "1 id appears more than once in the labels file, e.g. “m001” (rows 2, 3). Each id "
            "must appear exactly once.",
        ],
    }
    # The page's messages come from the same service.
    with pytest.raises(ApplicationError) as refused:
        competition_services.competition_file_upload(
            rfx=draft_rfx, user=buyer, kind="labels", file=csv_file("labels.csv", content)
        )
    assert refused.value.extra["messages"] == response.json()["file"]
    assert Competition.objects.get(rfx=draft_rfx).labels_name == "machines-labels.csv"


def test_an_upload_needs_a_known_kind_a_file_and_multipart(buyer, draft_rfx):
    client = client_for(buyer)
    response = client.post(
        files_url(draft_rfx, "secrets"), {"file": csv_file("t.csv", "a\n1\n")}, format="multipart"
    )
    assert response.status_code == 404
    response = client.post(files_url(draft_rfx, "training"), {}, format="multipart")
    assert (response.status_code, list(response.json())) == (400, ["file"])
    response = client.post(files_url(draft_rfx, "training"), {"file": "x"}, format="json")
    assert response.status_code == 415


def test_after_publishing_no_file_is_replaced(buyer, published_rfx):
    response = client_for(buyer).post(
        files_url(published_rfx, "training"),
        {"file": csv_file("t.csv", training_csv())},
        format="multipart",
    )
    assert response.status_code == 403
    assert Competition.objects.get(rfx=published_rfx).training_name == "machines-training.csv"


# --- downloads ----------------------------------------------------------------------------------


def download(user, rfx: RFx, kind: str):
    return client_for(user).get(files_url(rfx, kind, download=True))


def test_the_files_stream_to_whoever_may_download_them(buyer, reviewer, supplier_a, published_rfx):
    response = download(buyer, published_rfx, "labels")
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content).decode() == labels_csv()
    assert response["Content-Type"] == "text/csv"
    assert 'filename="machines-labels.csv"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    response = download(supplier_a, published_rfx, "training")
    assert b"".join(response.streaming_content).decode() == training_csv()
    assert download(reviewer, published_rfx, "inputs").status_code == 200


def test_the_inputs_wait_for_the_release_by_the_servers_clock(supplier_a, published_rfx):
    response = download(supplier_a, published_rfx, "inputs")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "The evaluation inputs are not released yet."},
    )
    with after_release(published_rfx):
        assert download(supplier_a, published_rfx, "inputs").status_code == 200


@pytest.mark.parametrize("role", ["reviewer", "supplier_a", "supplier_b"])
def test_the_hidden_labels_never_download_for_anyone_but_the_managers(request, published_rfx, role):
    with after_release(published_rfx):
        response = download(request.getfixturevalue(role), published_rfx, "labels")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You cannot download this file."},
    )
    assert_no_hidden_labels(response.content.decode())


def test_downloads_are_not_found_for_outsiders_and_refused_to_the_anonymous(
    outsider, published_rfx
):
    for kind in ("training", "inputs", "labels"):
        assert download(outsider, published_rfx, kind).status_code == 404
        assert download(None, published_rfx, kind).status_code == 403


def test_a_pending_invitation_reads_the_task_but_downloads_nothing(supplier_a, published_rfx):
    published_rfx.invitations.filter(supplier__name="Acme Analytics").update(
        status=Invitation.Status.PENDING
    )
    with after_release(published_rfx):
        response = download(supplier_a, published_rfx, "training")
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "You cannot download this file."},
        )
        body = client_for(supplier_a).get(competition_url(published_rfx)).json()
    assert (body["accepted"], body["files"], body["can_submit"]) == (False, [], False)
    assert body["why_not"] == "Accept the invitation to take part in the competition."


# --- predictions --------------------------------------------------------------------------------


def prediction_row(submission: PredictionSubmission, **changes) -> dict:
    submission.refresh_from_db()
    row = {
        "id": submission.pk,
        "number": submission.number,
        "name": submission.original_name,
        "size": submission.size,
        "sha256": submission.sha256,
        "uploaded_at": ts(submission.created_at),
        "valid": submission.valid,
        "problems": submission.problems,
        "status": submission.status,
        "status_words": "Scored" if submission.valid else "Refused: does not count",
        "error": submission.error,
        "counts": False,
        "can_retry": False,
        "passed": None,
        "metrics": None,
        "download_url": f"{HOST}{predictions_url(submission.proposal.rfx, submission)}download/",
    }
    row.update(changes)
    return row


def test_before_the_release_a_crafted_upload_stores_nothing(
    supplier_a, published_rfx, proposal_a_started
):
    response = post_predictions(client_for(supplier_a), published_rfx, predictions_csv())
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The evaluation inputs are released in")
    assert not PredictionSubmission.objects.exists()


def test_a_valid_file_counts_and_shows_no_score_before_the_deadline(
    supplier_a, published_rfx, proposal_a_started, django_capture_on_commit_callbacks
):
    client = client_for(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        response = post_predictions(client, published_rfx, predictions_csv(), "mine.csv")
    assert response.status_code == 201
    submission = PredictionSubmission.objects.get()
    assert submission.status == Job.DONE and submission.passed is True
    # The 201 was written before the scoring ran, on commit.
    assert response.json() == prediction_row(
        submission, status="queued", status_words="Queued for scoring", error="", counts=True
    )
    with after_release(published_rfx):
        listed = client.get(predictions_url(published_rfx)).json()
        one = client.get(predictions_url(published_rfx, submission)).json()
    assert listed == [prediction_row(submission, counts=True)]
    assert one == listed[0]
    assert "metrics" in one and one["metrics"] is None and one["passed"] is None


def test_a_refused_file_is_a_400_with_its_row_problems_and_is_kept_without_counting(
    supplier_a, published_rfx, proposal_a_started
):
    client = client_for(supplier_a)
    with after_release(published_rfx):
        response = post_predictions(client, published_rfx, BAD_FILE, "bad.csv")
        competition = client.get(competition_url(published_rfx)).json()
    assert response.status_code == 400
    submission = PredictionSubmission.objects.get()
    assert response.json() == {
        "detail": "File 1 (“bad.csv”) was refused and does not count against your limit. Fix "
        "the problems listed and upload it again.",
        "file": BAD_PROBLEMS,
        "prediction": prediction_row(submission),
    }
    assert (submission.valid, submission.problems, bool(submission.file)) == (
        False,
        BAD_PROBLEMS,
        True,
    )
    assert (competition["valid_used"], competition["remaining"]) == (0, 3)


def test_an_upload_without_a_file_or_as_json_stores_nothing(
    supplier_a, published_rfx, proposal_a_started
):
    client = client_for(supplier_a)
    with after_release(published_rfx):
        response = client.post(predictions_url(published_rfx), {}, format="multipart")
        assert (response.status_code, list(response.json())) == (400, ["file"])
        response = client.post(predictions_url(published_rfx), {"file": "x"}, format="json")
        assert response.status_code == 415
    assert not PredictionSubmission.objects.exists()


def test_after_the_deadline_a_crafted_upload_stores_nothing(supplier_a, files, published_rfx):
    before = PredictionSubmission.objects.count()
    with after_deadline(published_rfx):
        response = post_predictions(client_for(supplier_a), published_rfx, predictions_csv())
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "The proposal deadline has passed: predictions are no longer accepted."},
    )
    assert PredictionSubmission.objects.count() == before


def test_after_the_deadline_the_supplier_reads_the_metrics_of_its_own_files(
    supplier_a, files, published_rfx
):
    client = client_for(supplier_a)
    with after_release(published_rfx):
        before = client.get(predictions_url(published_rfx)).json()
    assert [row["metrics"] for row in before] == [None, None]
    with after_deadline(published_rfx):
        after = client.get(predictions_url(published_rfx)).json()
        competition = client.get(competition_url(published_rfx)).json()
    counted, first = after
    assert (counted["number"], counted["counts"], counted["passed"]) == (2, True, True)
    assert (first["number"], first["counts"], first["passed"]) == (1, False, False)
    assert counted["metrics"]["accuracy"] == 1.0
    assert counted["metrics"]["confusion_matrix"] == {
        "labels": ["MAINTENANCE", "OK"],
        "matrix": [[13, 0], [0, 27]],
    }
    assert [bar["passed"] for bar in first["metrics"]["bars"]] == [False, False, True]
    assert competition["deadline_passed"] is True and competition["can_submit"] is False


def test_supplier_b_never_reaches_supplier_as_files(supplier_b, files, published_rfx):
    client = client_for(supplier_b)
    with after_deadline(published_rfx):
        rows = client.get(predictions_url(published_rfx)).json()
        assert [row["id"] for row in rows] == [files["b_counted"].pk]
        for submission in (files["a_first"], files["a_counted"]):
            assert client.get(predictions_url(published_rfx, submission)).status_code == 404
            response = client.post(predictions_url(published_rfx, submission, retry=True))
            assert response.status_code == 404
        body = client.get(competition_url(published_rfx)).content.decode()
    assert "Acme" not in str(rows) and "Acme" not in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [("buyer", 403), ("reviewer", 403), ("outsider", 404), (None, 403)],
)
def test_only_invited_suppliers_list_and_upload_predictions(
    request, files, published_rfx, role, expected
):
    client = client_for(request.getfixturevalue(role) if role else None)
    before = PredictionSubmission.objects.count()
    with after_release(published_rfx):
        assert client.get(predictions_url(published_rfx)).status_code == expected
        submission = files["a_counted"]
        assert client.get(predictions_url(published_rfx, submission)).status_code == expected
        response = post_predictions(client, published_rfx, predictions_csv())
        assert response.status_code == expected
        # Before the close the buyer's staff cannot reach a supplier's file at all.
        response = client.post(predictions_url(published_rfx, submission, retry=True))
        assert response.status_code == (403 if role is None else 404)
    assert PredictionSubmission.objects.count() == before


def test_a_failed_scoring_is_retried_by_the_supplier(
    supplier_a, published_rfx, proposal_a_started, django_capture_on_commit_callbacks
):
    client = client_for(supplier_a)
    with after_release(published_rfx):
        post_predictions(client, published_rfx, predictions_csv())  # on_commit never ran
        submission = PredictionSubmission.objects.get()
        PredictionSubmission.objects.filter(pk=submission.pk).update(
            status=Job.FAILED, error="A file of the competition could not be read from storage."
        )
        row = client.get(predictions_url(published_rfx, submission)).json()
        assert (row["status_words"], row["can_retry"]) == ("Scoring failed", True)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(predictions_url(published_rfx, submission, retry=True))
        assert response.status_code == 202
        assert (response.json()["status"], response.json()["error"]) == ("queued", "")
        submission.refresh_from_db()
        assert (submission.status, submission.passed) == (Job.DONE, True)
        response = client.post(predictions_url(published_rfx, submission, retry=True))
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Only failed scoring can be retried."},
    )


def test_the_manager_may_retry_once_closed_and_a_reviewer_may_not(buyer, reviewer, closed, files):
    submission = files["a_counted"]
    response = client_for(reviewer).post(predictions_url(closed, submission, retry=True))
    assert response.status_code == 403
    response = client_for(buyer).post(predictions_url(closed, submission, retry=True))
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Only failed scoring can be retried."},
    )


SUPPLIER_LIST_QUERIES = 10


@pytest.mark.parametrize("count", [1, 4])
def test_the_supplier_list_costs_the_same_queries_whatever_the_number_of_files(
    supplier_a,
    published_rfx,
    proposal_a_started,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    count,
):
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        for number in range(count):
            competition_services.prediction_submit(
                proposal=proposal_a_started,
                user=supplier_a,
                file=csv_file("p.csv", BAD_FILE if number else predictions_csv()),
            )
    client = client_for(supplier_a)
    with after_deadline(published_rfx):
        client.get(predictions_url(published_rfx))  # session and user warm
        with django_assert_num_queries(SUPPLIER_LIST_QUERIES):
            rows = client.get(predictions_url(published_rfx)).json()
    assert len(rows) == count
    assert rows[-1]["metrics"] is not None


# --- results ------------------------------------------------------------------------------------


def leaderboard_row(rfx, proposal, supplier, number, rank, value, passed, bars) -> dict:
    return {
        "rank": rank,
        "proposal": proposal.pk,
        "supplier": supplier,
        "number": number,
        "status": "done",
        "value": value,
        "passed": passed,
        "verdict": "passed" if passed else "failed",
        "verdict_words": "Passed the competition bar"
        if passed
        else "Did not pass the competition bar",
        "error": "",
        "bars": bars,
        "detail_url": f"{HOST}{results_url(rfx, proposal)}",
    }


def test_the_leaderboard_is_the_pages_ranking_with_bars_and_verdicts(
    buyer, closed, proposal_a, proposal_b
):
    response = client_for(buyer).get(results_url(closed))
    assert response.status_code == 200
    body = response.json()
    b_value = body["rows"][1]["value"]
    assert body == {
        "primary_metric": "macro_f1",
        "primary_metric_name": "Macro F1",
        "passed_count": 1,
        "rows": [
            leaderboard_row(
                closed,
                proposal_a,
                "Acme Analytics",
                2,
                1,
                1.0,
                True,
                [
                    {**row, "value": value, "passed": True}
                    for row, value in zip(BAR_ROWS, [1.0, 1.0, 0.0], strict=True)
                ],
            ),
            leaderboard_row(
                closed,
                proposal_b,
                "Blue Heron AI",
                1,
                2,
                b_value,
                False,
                [
                    {**row, "value": value, "passed": ok}
                    for row, value, ok in zip(
                        BAR_ROWS, [0.675, 0.0, 0.0], [False, False, True], strict=True
                    )
                ],
            ),
        ],
    }
    assert 0 < b_value < 1


def test_reviewers_grading_blind_read_pseudonyms(buyer, reviewer, closed, proposal_a):
    RFx.objects.filter(pk=closed.pk).update(blind_grading=True)
    client = client_for(reviewer)
    for address in (results_url(closed), results_url(closed, proposal_a)):
        text = client.get(address).content.decode()
        assert "Acme Analytics" not in text and "Blue Heron AI" not in text
    rows = client.get(results_url(closed)).json()["rows"]
    assert [row["supplier"] for row in rows] == ["Supplier A", "Supplier B"]
    assert client.get(results_url(closed, proposal_a)).json()["supplier"] == "Supplier A"
    rows = client_for(buyer).get(results_url(closed)).json()["rows"]
    assert [row["supplier"] for row in rows] == ["Acme Analytics", "Blue Heron AI"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("reviewer", 200),
        ("undeclared", 403),
        ("supplier_a", 403),
        ("supplier_b", 403),
        ("outsider", 404),
        (None, 403),
    ],
)
def test_each_role_gets_what_it_may_of_the_results(
    request, closed, proposal_a, undeclared, role, expected
):
    client = client_for(request.getfixturevalue(role) if role else None)
    for address in (results_url(closed), results_url(closed, proposal_a)):
        response = client.get(address)
        assert response.status_code == expected, address
        if expected != 200:
            assert "confusion_matrix" not in response.content.decode()
            assert "Acme Analytics" not in response.content.decode()


def test_an_undeclared_reviewer_is_told_to_declare_first(undeclared, closed):
    response = client_for(undeclared).get(results_url(closed))
    assert response.json() == {
        "detail": "Declare that you have no conflict of interest with this RFx before opening "
        "its proposals."
    }


def test_before_the_close_the_results_stay_sealed(buyer, files, published_rfx, proposal_a):
    with after_deadline(published_rfx):
        for address in (results_url(published_rfx), results_url(published_rfx, proposal_a)):
            response = client_for(buyer).get(address)
            assert response.status_code == 403
            assert response.json()["detail"].startswith("Proposals stay sealed")


def test_the_details_carry_the_confusion_matrix_groups_gaps_and_every_file(
    reviewer, closed, proposal_a, proposal_b
):
    body = client_for(reviewer).get(results_url(closed, proposal_b)).json()
    assert (body["supplier"], body["verdict"], body["rank"]) == ("Blue Heron AI", "failed", 2)
    metrics = body["metrics"]
    # Every machine called OK: 13 maintenance rows missed, 27 OK rows right.
    assert metrics["confusion_matrix"] == {
        "labels": ["MAINTENANCE", "OK"],
        "matrix": [[0, 13], [0, 27]],
    }
    assert list(metrics["groups"]["site"]) == ["north", "south"]
    assert metrics["gaps"]["site"]["recall"] == {"MAINTENANCE": 0.0, "OK": 0.0}
    assert set(metrics["per_class"]) == {"MAINTENANCE", "OK"}
    assert [(u["number"], u["valid"], u["counts"]) for u in body["uploads"]] == [(1, True, True)]
    body = client_for(reviewer).get(results_url(closed, proposal_a)).json()
    assert [(u["number"], u["counts"]) for u in body["uploads"]] == [(2, True), (1, False)]


def test_the_details_of_a_proposal_outside_the_rfx_are_not_found(buyer, closed):
    assert client_for(buyer).get(f"{results_url(closed)}99999/").status_code == 404


def add_supplier(rfx: RFx, buyer, number: int) -> None:
    organisation = OrganisationFactory(name=f"Cormorant {number}", kind=Organisation.Kind.SUPPLIER)
    user = MembershipFactory(
        user=UserFactory(), organisation=organisation, role=Membership.Role.SUPPLIER
    ).user
    invitation = services.invitation_create(
        rfx=rfx, supplier=organisation, email=f"bids{number}@cormorant.test", user=buyer
    )
    services.invitation_accept(invitation=invitation, user=user, accept_terms=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        proposal = submit_proposal(rfx, user)
    upload(rfx, proposal, user, failing_predictions() if number % 2 else predictions_csv())


LEADERBOARD_QUERIES = 9


@pytest.fixture
def extra_suppliers(request, files, published_rfx, buyer) -> int:
    for number in range(request.param):
        add_supplier(published_rfx, buyer, number)
    return request.param


@pytest.mark.parametrize("extra_suppliers", [0, 3], indirect=True)
def test_the_leaderboard_costs_the_same_queries_whatever_the_number_of_suppliers(
    extra_suppliers, closed, reviewer, django_assert_num_queries
):
    client = client_for(reviewer)
    client.get(results_url(closed))  # session and user warm
    with django_assert_num_queries(LEADERBOARD_QUERIES):
        rows = client.get(results_url(closed)).json()["rows"]
    assert len(rows) == 2 + extra_suppliers


# --- schema -------------------------------------------------------------------------------------


def test_the_competition_endpoints_are_in_the_schema():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/rfx/{rfx_id}/competition/:",
        "/api/v1/rfx/{rfx_id}/competition/files/{kind}/:",
        "/api/v1/rfx/{rfx_id}/competition/files/{kind}/download/:",
        "/api/v1/rfx/{rfx_id}/competition/predictions/:",
        "/api/v1/rfx/{rfx_id}/competition/predictions/{submission_id}/:",
        "/api/v1/rfx/{rfx_id}/competition/predictions/{submission_id}/retry/:",
        "/api/v1/rfx/{rfx_id}/competition/results/:",
        "/api/v1/rfx/{rfx_id}/competition/results/{proposal_id}/:",
    ):
        assert path in schema
    for component in (
        "CompetitionView:",
        "SupplierCompetition:",
        "PredictionFile:",
        "Leaderboard:",
    ):
        assert f"    {component}" in schema
    upload = schema[schema.index("    PredictionInput:") :]
    assert "format: binary" in upload[: upload.index("required:")]


# --- downloading one's own file -------------------------------------------------------------------


def test_the_supplier_downloads_its_files_as_uploaded_refused_ones_included(
    supplier_a, published_rfx, proposal_a_started
):
    client = client_for(supplier_a)
    with after_release(published_rfx):
        refused = post_predictions(client, published_rfx, BAD_FILE, "first-try.csv")
        valid = post_predictions(client, published_rfx, predictions_csv(), "second-try.csv")
        rows = client.get(predictions_url(published_rfx)).json()
    assert refused.status_code == 400 and valid.status_code == 201
    contents = {"first-try.csv": BAD_FILE, "second-try.csv": predictions_csv()}
    for row in rows:
        response = client.get(row["download_url"])
        assert response.status_code == 200
        assert b"".join(response.streaming_content).decode() == contents[row["name"]]
        assert f'filename="{row["name"]}"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("supplier_b", 404), ("buyer", 403), ("reviewer", 403), ("outsider", 404), (None, 403)],
)
def test_nobody_else_downloads_a_suppliers_file(request, files, closed, role, expected):
    client = client_for(request.getfixturevalue(role) if role else None)
    for submission in files.values():
        if submission.proposal.supplier.memberships.filter(user__username="dana").exists():
            continue  # B's own file
        response = client.get(f"{predictions_url(closed, submission)}download/")
        assert response.status_code == expected
        assert_no_hidden_labels(response.content.decode() if not response.streaming else "")
