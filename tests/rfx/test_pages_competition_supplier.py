"""The supplier's competition page (DESIGN §5): the task, the bars, downloads, predictions
uploads and their status; metrics only after the deadline, and only its own.

charlie is supplier A, dana supplier B; both accepted. The server's clock decides: the page
and its uploads are tried before the release, after it, and after the deadline.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from rfx import competition_services, services
from rfx.models import Invitation, PredictionSubmission, RFx
from tests.rfx.competition_data import (
    BAD_FILE,
    BAD_PROBLEMS,
    csv_file,
    failing_predictions,
    inputs_csv,
    media_root,  # noqa: F401 — fixture
    predictions_csv,
    release_time,
    set_up,
    training_csv,
)
from tests.rfx.conftest import frozen

pytestmark = pytest.mark.usefixtures("media_root")
Job = PredictionSubmission.Status

METRIC_MARKERS = ('data-testid="metrics"', 'data-testid="confusion-matrix"', "metric-accuracy")


@pytest.fixture
def draft_rfx(draft_rfx, buyer):
    """A ready competition: 3 valid files each, the three bars, the release 5 days early."""
    set_up(draft_rfx, buyer, limit=3)
    return draft_rfx


@pytest.fixture
def proposal_a_started(published_rfx, supplier_a):
    return services.proposal_start(rfx=published_rfx, user=supplier_a)


@pytest.fixture
def proposal_b_started(published_rfx, supplier_b):
    return services.proposal_start(rfx=published_rfx, user=supplier_b)


def page_url(rfx: RFx) -> str:
    return reverse("rfx-supplier-competition", args=[rfx.pk])


def after_release(rfx: RFx):
    return frozen(release_time(rfx) + timedelta(hours=1))


def after_deadline(rfx: RFx):
    return frozen(rfx.proposal_deadline + timedelta(minutes=5))


def post_file(client, rfx: RFx, content: str, name: str = "predictions.csv"):
    return client.post(page_url(rfx), {"file": csv_file(name, content)})


@pytest.fixture
def uploaded(
    client, published_rfx, proposal_a_started, supplier_a, django_capture_on_commit_callbacks
):
    """charlie's bad file (refused) then a good one (valid, scored at once)."""
    client.force_login(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        bad = post_file(client, published_rfx, BAD_FILE, "first-try.csv")
        good = post_file(client, published_rfx, predictions_csv(), "second-try.csv")
    assert bad.status_code == good.status_code == 302
    return list(PredictionSubmission.objects.order_by("number"))


# --- who opens the page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("supplier_a", 200),
        ("supplier_b", 200),
        ("buyer", 404),
        ("reviewer", 404),
        ("outsider", 404),
    ],
)
def test_only_invited_suppliers_open_the_supplier_page(
    client, request, published_rfx, role, expected
):
    client.force_login(request.getfixturevalue(role))
    assert client.get(page_url(published_rfx)).status_code == expected


def test_a_draft_rfx_is_invisible_to_suppliers(
    client, supplier_a, draft_rfx, supplier_a_org, buyer
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    client.force_login(supplier_a)
    assert client.get(page_url(draft_rfx)).status_code == 404


def test_a_pending_invitation_reads_the_task_but_downloads_nothing(
    client, draft_rfx, buyer, supplier_a, supplier_a_org, django_capture_on_commit_callbacks
):
    services.invitation_create(
        rfx=draft_rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.rfx_publish(rfx=draft_rfx, user=buyer)
    client.force_login(supplier_a)
    with after_release(draft_rfx):
        html = client.get(page_url(draft_rfx)).content.decode()
        assert "Predict which machines need maintenance" in html
        assert 'data-testid="download-training"' not in html
        assert "Accept the invitation to take part in the competition." in html
        for kind in ("training", "inputs"):
            address = reverse("rfx-competition-download", args=[draft_rfx.pk, kind])
            assert client.get(address).status_code == 403


# --- before the release -------------------------------------------------------------------------


def test_before_the_release_the_page_explains_and_offers_only_the_training_set(
    client, published_rfx, proposal_a_started, supplier_a
):
    client.force_login(supplier_a)
    html = client.get(page_url(published_rfx)).content.decode()
    assert "Predict which machines need maintenance in the next month." in html
    assert "Results are ordered by <strong>Macro F1</strong>" in html
    assert "Accuracy must be at least 80%" in html
    assert "Recall of “MAINTENANCE” must be at least 90%" in html
    assert (
        "Recall of “MAINTENANCE” must not differ by more than 10 points between any two groups "
        "of “site”" in html
    )
    assert '<strong class="stat" data-testid="remaining">3</strong> of 3 valid files left' in html
    assert 'data-testid="download-training"' in html
    assert 'data-testid="download-inputs"' not in html
    inputs_note = html.split('data-testid="inputs-closed">')[1].split("</p>")[0]
    assert inputs_note.startswith("They are released in 4 days, on ")
    assert 'data-testid="predictions-form"' not in html
    assert "you can upload predictions from then" in html

    training = client.get(reverse("rfx-competition-download", args=[published_rfx.pk, "training"]))
    assert training.status_code == 200
    assert b"".join(training.streaming_content).decode() == training_csv()
    inputs = client.get(reverse("rfx-competition-download", args=[published_rfx.pk, "inputs"]))
    assert inputs.status_code == 403
    assert b"m001" not in inputs.content


def test_a_crafted_upload_before_the_release_stores_nothing(
    client, published_rfx, proposal_a_started, supplier_a
):
    client.force_login(supplier_a)
    response = post_file(client, published_rfx, predictions_csv())
    assert response.status_code == 403
    assert "you can upload predictions from then" in response.content.decode()
    assert not PredictionSubmission.objects.exists()


# --- after the release --------------------------------------------------------------------------


def test_after_the_release_the_inputs_download_and_the_upload_opens(
    client, published_rfx, proposal_a_started, supplier_a
):
    client.force_login(supplier_a)
    with after_release(published_rfx):
        html = client.get(page_url(published_rfx)).content.decode()
        inputs = client.get(reverse("rfx-competition-download", args=[published_rfx.pk, "inputs"]))
    assert 'data-testid="predictions-form"' in html
    assert 'data-testid="download-inputs"' in html
    assert inputs.status_code == 200
    assert b"".join(inputs.streaming_content).decode() == inputs_csv()


def test_a_supplier_must_start_its_proposal_before_uploading(client, published_rfx, supplier_a):
    client.force_login(supplier_a)
    with after_release(published_rfx):
        html = client.get(page_url(published_rfx)).content.decode()
        response = post_file(client, published_rfx, predictions_csv())
    assert "start your proposal first" in html
    assert f'href="{reverse("rfx-proposal", args=[published_rfx.pk])}"' in html
    assert response.status_code == 403
    assert not PredictionSubmission.objects.exists()


def test_a_bad_file_shows_the_scorers_row_problems_and_does_not_count(
    client, uploaded, published_rfx, supplier_a
):
    refused, valid = uploaded
    assert (refused.number, refused.valid, refused.problems) == (1, False, BAD_PROBLEMS)
    with after_release(published_rfx):
        response = client.get(page_url(published_rfx))
    html = response.content.decode()
    rows = {row["submission"].number: row for row in response.context["uploads"]}
    assert (rows[1]["refused"], rows[1]["counts"]) == (True, False)
    assert (rows[2]["refused"], rows[2]["counts"]) == (False, True)
    problems = html.split('data-testid="problems"')[1].split("</ul>")[0]
    for problem in BAD_PROBLEMS:
        assert problem.replace("“", "“") in problems.replace("&#x27;", "'")
    assert "Refused" in html and "first-try.csv" in html
    # The refused file did not use one of the three.
    assert '<strong class="stat" data-testid="remaining">2</strong> of 3' in html


def test_after_a_refused_upload_the_page_says_it_did_not_count(
    client, published_rfx, proposal_a_started, supplier_a
):
    client.force_login(supplier_a)
    with after_release(published_rfx):
        response = client.post(
            page_url(published_rfx), {"file": csv_file("bad.csv", BAD_FILE)}, follow=True
        )
    html = response.content.decode()
    assert "File 1 (“bad.csv”) was refused and does not count against your limit." in html
    assert "e.g. row 41 (“BROKEN”)" in html


def test_before_the_deadline_a_valid_scored_file_shows_no_metric(
    client, uploaded, published_rfx, supplier_a
):
    _, valid = uploaded
    valid.refresh_from_db()
    assert (valid.status, valid.passed) == (Job.DONE, True)  # scored in-process
    with after_release(published_rfx):
        response = client.get(page_url(published_rfx))
    html = response.content.decode()
    assert response.context["results"] is None
    for marker in METRIC_MARKERS:
        assert marker not in html
    assert "Results after the deadline" in html
    assert 'data-testid="valid"' in html
    assert "100%" not in html


def test_a_valid_upload_says_it_counts_and_no_score(
    client, published_rfx, proposal_a_started, supplier_a, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url(published_rfx), {"file": csv_file("ours.csv", predictions_csv())}, follow=True
        )
    html = response.content.decode()
    assert "File 1 (“ours.csv”) is valid and now counts." in html
    assert "the results are shown here after the proposal deadline" in html


def test_the_upload_form_needs_a_file(client, published_rfx, proposal_a_started, supplier_a):
    client.force_login(supplier_a)
    with after_release(published_rfx):
        response = client.post(page_url(published_rfx), {})
    assert response.status_code == 400
    assert "Choose the predictions file to upload." in response.content.decode()
    assert not PredictionSubmission.objects.exists()


def test_once_the_limit_is_used_the_upload_closes(
    client, published_rfx, proposal_a_started, supplier_a, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert post_file(client, published_rfx, predictions_csv()).status_code == 302
        html = client.get(page_url(published_rfx)).content.decode()
        response = post_file(client, published_rfx, predictions_csv())
    assert "You have used all 3 valid files this competition allows." in html
    assert 'data-testid="predictions-form"' not in html
    assert response.status_code == 403
    assert PredictionSubmission.objects.count() == 3


def test_supplier_b_never_sees_supplier_as_files_or_problems(
    uploaded, published_rfx, supplier_b, proposal_b_started
):
    client = Client()  # dana's own browser
    client.force_login(supplier_b)
    for moment in (after_release(published_rfx), after_deadline(published_rfx)):
        with moment:
            response = client.get(page_url(published_rfx))
        html = response.content.decode()
        assert response.context["uploads"] == []
        assert 'data-testid="no-uploads"' in html
        for secret in ("first-try.csv", "second-try.csv", "BROKEN", "m777"):
            assert secret not in html
        for marker in METRIC_MARKERS:
            assert marker not in html
    # Nor can B retry A's file.
    refused, valid = uploaded
    PredictionSubmission.objects.filter(pk=valid.pk).update(status=Job.FAILED, error="Lost.")
    response = client.post(reverse("rfx-prediction-retry", args=[published_rfx.pk, valid.pk]))
    assert response.status_code == 404
    assert PredictionSubmission.objects.get(pk=valid.pk).status == Job.FAILED


# --- after the deadline -------------------------------------------------------------------------


def test_after_the_deadline_a_crafted_upload_stores_nothing(
    client, uploaded, published_rfx, supplier_a
):
    with after_deadline(published_rfx):
        response = post_file(client, published_rfx, predictions_csv())
    assert response.status_code == 403
    assert "The proposal deadline has passed" in response.content.decode()
    assert PredictionSubmission.objects.count() == 2


def test_after_the_deadline_the_supplier_reads_its_own_counted_results(
    client, uploaded, published_rfx, supplier_a
):
    with after_deadline(published_rfx):
        response = client.get(page_url(published_rfx))
    html = response.content.decode()
    results = response.context["results"]
    assert results["passed"] is True
    assert [item["value"] for item in results["headline"]] == [1.0, 1.0, 1.0]
    assert [bar["passed"] for bar in results["bars"]] == [True, True, True]
    assert results["confusion"]["labels"] == ["MAINTENANCE", "OK"]
    assert [[cell["count"] for cell in row["cells"]] for row in results["confusion"]["rows"]] == [
        [13, 0],
        [0, 27],
    ]
    assert "File 2 (“second-try.csv”), the last valid file you uploaded, counts." in html
    for marker in METRIC_MARKERS:
        assert marker in html
    assert "Passed the competition bar" in html
    assert 'data-testid="predictions-form"' not in html


def test_after_the_deadline_a_failing_file_shows_which_bars_failed(
    client, published_rfx, proposal_a_started, supplier_a, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        post_file(client, published_rfx, failing_predictions())
    with after_deadline(published_rfx):
        response = client.get(page_url(published_rfx))
    results = response.context["results"]
    assert results["passed"] is False
    assert [bar["passed"] for bar in results["bars"]] == [False, False, True]
    assert "Did not pass the competition bar" in response.content.decode()


def test_after_the_deadline_without_a_valid_file_the_page_says_there_is_no_result(
    client, published_rfx, proposal_a_started, supplier_a
):
    client.force_login(supplier_a)
    with after_deadline(published_rfx):
        html = client.get(page_url(published_rfx)).content.decode()
    assert "You uploaded no valid predictions file before the deadline" in html


# --- scoring status and retry -------------------------------------------------------------------


def test_a_failed_scoring_shows_the_reason_and_the_supplier_retries_it(
    client, published_rfx, proposal_a_started, supplier_a, django_capture_on_commit_callbacks
):
    client.force_login(supplier_a)
    with after_release(published_rfx):
        post_file(client, published_rfx, predictions_csv())  # queued: on_commit never ran
        submission = PredictionSubmission.objects.get()
        assert submission.status == Job.QUEUED
        html = client.get(page_url(published_rfx)).content.decode()
        assert "Queued for scoring" in html
        assert 'hx-trigger="every 2s"' in html  # the list refreshes itself while scoring
        partial = client.get(page_url(published_rfx) + "?part=uploads", HTTP_HX_REQUEST="true")
        assert partial.content.decode().lstrip().startswith('<section class="mb-4"')

        PredictionSubmission.objects.filter(pk=submission.pk).update(
            status=Job.FAILED, error="A file of the competition could not be read from storage."
        )
        html = client.get(page_url(published_rfx)).content.decode()
        assert "Scoring failed" in html
        assert "could not be read from storage" in html
        assert 'data-testid="retry"' in html

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("rfx-prediction-retry", args=[published_rfx.pk, submission.pk]),
                follow=True,
            )
    assert "Scoring of file 1 is queued again." in response.content.decode()
    submission.refresh_from_db()
    assert (submission.status, submission.passed) == (Job.DONE, True)


def test_a_refused_file_has_no_retry(client, uploaded, published_rfx, supplier_a):
    refused, _ = uploaded
    response = client.post(
        reverse("rfx-prediction-retry", args=[published_rfx.pk, refused.pk]), follow=True
    )
    assert "This file was refused, so there is nothing to score" in response.content.decode()


SUPPLIER_PAGE_QUERIES = 14


@pytest.mark.parametrize("files", [1, 4])
def test_the_supplier_page_costs_the_same_queries_whatever_the_number_of_files(
    client,
    published_rfx,
    proposal_a_started,
    supplier_a,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    files,
):
    client.force_login(supplier_a)
    with after_release(published_rfx), django_capture_on_commit_callbacks(execute=True):
        for _ in range(files):
            competition_services.prediction_submit(
                proposal=proposal_a_started,
                user=supplier_a,
                file=csv_file("p.csv", BAD_FILE if _ else predictions_csv()),
            )
    with after_deadline(published_rfx):
        client.get(page_url(published_rfx))  # session and user warm
        with django_assert_num_queries(SUPPLIER_PAGE_QUERIES):
            response = client.get(page_url(published_rfx))
    assert len(response.context["uploads"]) == files
    assert response.context["results"] is not None


def test_a_declined_supplier_cannot_upload(
    client, published_rfx, supplier_a, proposal_a_started, supplier_a_org
):
    Invitation.objects.filter(rfx=published_rfx, supplier=supplier_a_org).update(
        status=Invitation.Status.DECLINED, decline_reason="No capacity."
    )
    client.force_login(supplier_a)
    with after_release(published_rfx):
        html = client.get(page_url(published_rfx)).content.decode()
        response = post_file(client, published_rfx, predictions_csv())
    assert "Accept the invitation to take part in the competition." in html
    assert response.status_code == 403
    assert not PredictionSubmission.objects.exists()


def test_a_cancelled_rfx_takes_no_more_predictions(
    client, published_rfx, proposal_a_started, supplier_a, buyer
):
    services.rfx_cancel(rfx=published_rfx, user=buyer, reason="The budget was withdrawn.")
    client.force_login(supplier_a)
    with after_release(published_rfx):
        response = post_file(client, published_rfx, predictions_csv())
    assert response.status_code == 403
    assert "This RFx was cancelled" in response.content.decode()
    assert not PredictionSubmission.objects.exists()


# --- the supplier's own files -------------------------------------------------------------------


def _download(client, rfx: RFx, submission: PredictionSubmission):
    return client.get(reverse("rfx-prediction-download", args=[rfx.pk, submission.pk]))


def test_the_supplier_downloads_each_of_its_files_as_uploaded_refused_ones_included(
    client, uploaded, published_rfx
):
    refused, valid = uploaded
    with after_release(published_rfx):
        html = client.get(page_url(published_rfx)).content.decode()
    for submission, name, content in (
        (refused, "first-try.csv", BAD_FILE),
        (valid, "second-try.csv", predictions_csv()),
    ):
        assert reverse("rfx-prediction-download", args=[published_rfx.pk, submission.pk]) in html
        response = _download(client, published_rfx, submission)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).decode() == content
        assert f'filename="{name}"' in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role", ["supplier_b", "buyer", "reviewer", "outsider"])
def test_nobody_else_downloads_a_suppliers_predictions_file(request, uploaded, published_rfx, role):
    refused, valid = uploaded
    other = Client()
    other.force_login(request.getfixturevalue(role))
    with after_deadline(published_rfx):
        for submission in (refused, valid):
            assert _download(other, published_rfx, submission).status_code in (403, 404)
    anonymous = Client().get(reverse("rfx-prediction-download", args=[published_rfx.pk, valid.pk]))
    assert anonymous.status_code == 302


def test_a_file_of_another_rfx_is_not_found_under_this_one(client, uploaded, published_rfx):
    refused, valid = uploaded
    response = client.get(reverse("rfx-prediction-download", args=[published_rfx.pk + 1, valid.pk]))
    assert response.status_code == 404
