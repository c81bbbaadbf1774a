"""A tender competition end to end in a real browser (DESIGN §5, the §4 gate).

The procurement manager (alice) sets up the competition of a draft RFP (settings, a refused and
then a good labels file, the training set and the evaluation inputs, three bars chosen from the
labels' classes and group columns), invites two suppliers and publishes. Supplier A (charlie)
downloads the training set, uploads a bad predictions file and reads its row problems, uploads
a good one (valid, no score shown), and submits its proposal. The deadline passes; charlie reads
its own results; alice reads the leaderboard with the bars and a supplier's confusion matrix,
and the comparison leaves supplier B out: it did not pass the competition bar.

In the browser: everything above. Through services (as tests/browser/test_rfx_journey.py):
creating the draft RFP with its timeline, accepting the invitations (the one-time link is only
in the e-mail), answering the questionnaires, supplier B's whole proposal and its failing
predictions, and closing at the deadline (the beat job, under a frozen clock). The release
time is typed in the future, as the form requires, then moved to the past in the database so
that uploads open now. Scoring runs in-process (eager): the real-worker test exists apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from principles.models import Framework
from rfx import competition_services, services
from rfx.models import Competition, Invitation, PredictionSubmission, RFx
from tests.assessments.conftest import answer_everything
from tests.browser.conftest import DESKTOP
from tests.factories import PASSWORD
from tests.rfx.competition_data import (
    IDS,
    TRUTH,
    failing_predictions,
    inputs_csv,
    labels_csv,
    predictions_csv,
    training_csv,
)
from tests.rfx.conftest import frozen, submit_proposal

pytestmark = pytest.mark.browser

DAY = timedelta(days=1)
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
BAD_LABELS = "id,label,site\nm001,OK,north\nm001,OK,north\nm003,,south\n"
BAD_PREDICTIONS = "id,prediction\n" + "".join(
    f"{i},{label}\n"
    for i, label in [*zip(IDS[:38], TRUTH[:38], strict=True), ("m777", "OK"), ("m001", "BROKEN")]
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads go to a throwaway MEDIA_ROOT (the hidden labels to the session's, conftest)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def framework(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def person(browser: Browser, contexts: list, live_server, username: str) -> Page:
    context = browser.new_context(locale="en-GB", viewport=DESKTOP, accept_downloads=True)
    contexts.append(context)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(DATETIME_INPUT)


def csv_payload(name: str, content: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": content.encode()}


def upload_file(page: Page, kind: str, label: str, name: str, content: str) -> None:
    form = page.get_by_test_id(f"upload-{kind}")
    form.get_by_label(label).set_input_files(csv_payload(name, content))
    form.locator("button[type=submit]").click()


def test_a_tender_competition_from_set_up_to_the_gate_in_the_browser(
    browser,
    contexts,
    live_server,
    framework,
    buyer,
    buyer_org,
    supplier_a,
    supplier_b,
    supplier_a_org,
    supplier_b_org,
):
    url = live_server.url
    start = timezone.now().replace(second=0, microsecond=0)
    rfx = services.rfx_create(
        buyer=buyer_org,
        user=buyer,
        title="Predictive maintenance for the fleet",
        framework=framework,
    )
    services.rfx_update(
        rfx=rfx,
        user=buyer,
        clarification_deadline=start + 5 * DAY,
        proposal_deadline=start + 10 * DAY,
    )
    rfx.refresh_from_db()
    alice = person(browser, contexts, live_server, buyer.username)

    # --- the manager sets the competition up (browser) -------------------------------------
    alice.goto(url + reverse("rfx-detail", args=[rfx.pk]))
    alice.get_by_test_id("rfx-tabs").get_by_role("link", name="Competition").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text(
        "Competition of Predictive maintenance for the fleet"
    )
    form = alice.get_by_test_id("settings-form")
    form.get_by_label("Task description").fill(
        "Predict which machines need maintenance in the next month."
    )
    form.get_by_label("Measure that orders the results").select_option("macro_f1")
    form.get_by_label("Valid prediction files per supplier").fill("3")
    form.get_by_label("Release of the evaluation inputs").fill(local_input(start + 2 * DAY))
    form.get_by_role("button", name="Set up the competition").click()
    expect(alice.get_by_text("The competition is set up.")).to_be_visible()
    expect(alice.get_by_test_id("publishing-problem")).to_contain_text(
        "upload the training set, the evaluation inputs and the hidden labels"
    )
    competition = Competition.objects.get(rfx=rfx)
    assert (competition.primary_metric, competition.submission_limit, competition.release_at) == (
        "macro_f1",
        3,
        start + 2 * DAY,
    )

    # A bad labels file is refused with its rows named; nothing is kept.
    upload_file(alice, "labels", "Hidden labels (CSV)", "labels-draft.csv", BAD_LABELS)
    problems = alice.get_by_test_id("file-errors-labels")
    expect(problems).to_contain_text("1 row has an empty label, e.g. row 4.")
    expect(problems).to_contain_text("“m001” (rows 2, 3)")
    competition.refresh_from_db()
    assert not competition.labels_file

    for kind, label, name, content in (
        ("labels", "Hidden labels (CSV)", "machines-labels.csv", labels_csv()),
        ("training", "Training set (CSV)", "machines-training.csv", training_csv()),
        ("inputs", "Evaluation inputs (CSV)", "machines-evaluation.csv", inputs_csv()),
    ):
        upload_file(alice, kind, label, name, content)
        expect(alice.get_by_text(f"“{name}”").first).to_be_visible()
    labels_card = alice.get_by_test_id("file-labels")
    expect(labels_card.get_by_test_id("labels-rows")).to_have_text("40")
    expect(labels_card.get_by_test_id("labels-classes")).to_have_text("MAINTENANCE, OK")
    expect(labels_card.get_by_test_id("labels-groups")).to_have_text("site")

    # Bars from the small form; class and column come from the labels (htmx swaps the list).
    bar_form = alice.get_by_test_id("bar-form")
    expect(bar_form.get_by_label("Class")).to_be_hidden()  # accuracy needs no class
    for count, (metric, label_class, column, direction, threshold) in enumerate(
        (
            ("accuracy", None, None, "min", "80%"),
            ("recall", "MAINTENANCE", None, "min", "0.9"),
            ("recall_gap", "MAINTENANCE", "site", "max", "0.1"),
        ),
        start=1,
    ):
        bar_form = alice.get_by_test_id("bar-form")
        bar_form.get_by_label("Measure").select_option(metric)
        if label_class:
            bar_form.get_by_label("Class").select_option(label_class)
        if column:
            bar_form.get_by_label("Group column").select_option(column)
        else:
            expect(bar_form.get_by_label("Group column")).to_be_hidden()
        bar_form.get_by_label("Must be").select_option(direction)
        bar_form.get_by_label("Threshold").fill(threshold)
        bar_form.get_by_role("button", name="Add the bar").click()
        expect(alice.get_by_test_id("bar-notice")).to_have_text("The bar is added.")
        expect(alice.get_by_test_id("bar-row")).to_have_count(count)
    # A bar that makes no sense is refused in place, with what was typed kept.
    bar_form = alice.get_by_test_id("bar-form")
    bar_form.get_by_label("Measure").select_option("accuracy_gap")
    bar_form.get_by_label("Group column").select_option("site")
    bar_form.get_by_label("Threshold").fill("0.05")
    bar_form.get_by_role("button", name="Add the bar").click()
    expect(
        alice.get_by_text("A gap is a difference to keep small: choose “at most”.").first
    ).to_be_visible()
    expect(alice.get_by_test_id("bar-form").get_by_label("Threshold")).to_have_value("0.05")
    bars = alice.get_by_test_id("bar-list")
    expect(bars.get_by_test_id("bar-row")).to_have_count(3)
    expect(bars).to_contain_text("Accuracy must be at least 80%")
    expect(bars).to_contain_text(
        "Recall of “MAINTENANCE” must not differ by more than 10 points between any two groups "
        "of “site”"
    )
    competition.refresh_from_db()
    assert competition.bars == [
        {"metric": "accuracy", "min": 0.8},
        {"metric": "recall", "class": "MAINTENANCE", "min": 0.9},
        {"metric": "recall_gap", "class": "MAINTENANCE", "column": "site", "max": 0.1},
    ]
    alice.reload()
    expect(alice.get_by_test_id("publishing-ready")).to_be_visible()

    # --- invites both suppliers and publishes (browser) ------------------------------------
    alice.goto(url + reverse("rfx-invitations", args=[rfx.pk]))
    for org, email in ((supplier_a_org, "bids@acme.test"), (supplier_b_org, "bids@heron.test")):
        alice.get_by_label("Supplier organisation").select_option(str(org.pk))
        alice.get_by_label("E-mail address").fill(email)
        alice.get_by_role("button", name="Invite", exact=True).click()
        expect(alice.get_by_text(f"{org.name} is invited")).to_be_visible()
    alice.goto(url + reverse("rfx-detail", args=[rfx.pk]))
    alice.get_by_test_id("publish").click()
    expect(alice.get_by_text("The RFx is published")).to_be_visible()
    rfx.refresh_from_db()
    assert rfx.status == RFx.Status.PUBLISHED
    for user, org in ((supplier_a, supplier_a_org), (supplier_b, supplier_b_org)):
        services.invitation_accept(
            invitation=Invitation.objects.get(rfx=rfx, supplier=org), user=user, accept_terms=True
        )
    # The release time comes: moved to the past in the database, the server's clock decides.
    Competition.objects.filter(rfx=rfx).update(release_at=timezone.now() - timedelta(minutes=1))

    # --- supplier A downloads the data and uploads predictions (browser) -------------------
    charlie = person(browser, contexts, live_server, supplier_a.username)
    charlie.goto(url + reverse("rfx-supplier-detail", args=[rfx.pk]))
    charlie.get_by_role("link", name="Competition").click()
    expect(charlie.get_by_test_id("description")).to_contain_text(
        "Predict which machines need maintenance"
    )
    expect(charlie.get_by_test_id("bar-list")).to_contain_text(
        "Recall of “MAINTENANCE” must be at least 90%"
    )
    with charlie.expect_download() as info:
        charlie.get_by_test_id("download-training").click()
    download = info.value
    assert download.suggested_filename == "machines-training.csv"
    with open(download.path(), encoding="utf-8") as handle:
        assert handle.read() == training_csv()

    # Predictions belong to the proposal: charlie starts it (browser) and comes back.
    expect(charlie.get_by_test_id("upload-closed")).to_contain_text("start your proposal first")
    charlie.get_by_role("link", name="Go to your proposal").click()
    charlie.get_by_role("button", name="Start your proposal").click()
    charlie.get_by_role("link", name="Competition").click()

    form = charlie.get_by_test_id("predictions-form")
    form.get_by_label("Predictions file (CSV)").set_input_files(
        csv_payload("first-try.csv", BAD_PREDICTIONS)
    )
    form.get_by_role("button", name="Upload and check").click()
    expect(charlie.get_by_text("File 1 (“first-try.csv”) was refused")).to_be_visible()
    problems = charlie.get_by_test_id("problems")
    expect(problems).to_contain_text(
        "1 row has a prediction outside the known labels (“MAINTENANCE”, “OK”), e.g. row 41 "
        "(“BROKEN”)."
    )
    expect(problems).to_contain_text(
        "1 row has an id that is not in the evaluation set, e.g. row 40 (“m777”)."
    )
    expect(charlie.get_by_test_id("remaining")).to_have_text("3")

    form = charlie.get_by_test_id("predictions-form")
    form.get_by_label("Predictions file (CSV)").set_input_files(
        csv_payload("second-try.csv", predictions_csv())
    )
    form.get_by_role("button", name="Upload and check").click()
    expect(
        charlie.get_by_text("File 2 (“second-try.csv”) is valid and now counts.")
    ).to_be_visible()
    newest = charlie.get_by_test_id("upload-row").first
    expect(newest).to_have_attribute("data-valid", "yes")
    expect(newest.get_by_test_id("counts")).to_be_visible()
    expect(newest.get_by_test_id("scoring")).to_contain_text("Results after the deadline")
    expect(charlie.get_by_test_id("remaining")).to_have_text("2")
    expect(charlie.get_by_test_id("metrics")).to_have_count(0)  # no score before the deadline
    assert "100%" not in charlie.locator("main").inner_text()
    assert PredictionSubmission.objects.get(number=2).status == PredictionSubmission.Status.DONE

    # Charlie's questionnaire through services; terms, price and submission in the browser.
    proposal_a = rfx.proposals.get(supplier=supplier_a_org)
    answer_everything(proposal_a.maturity_assessment, supplier_a)
    charlie.goto(url + reverse("rfx-proposal", args=[rfx.pk]))
    proposal_form = charlie.get_by_test_id("proposal-form")
    proposal_form.get_by_label("Licence terms").fill("Perpetual licence to the trained models.")
    proposal_form.get_by_label("Service terms").fill("Support every day, 07:00 to 22:00.")
    proposal_form.get_by_label("Price").fill("90000")
    proposal_form.get_by_label("Currency").fill("GBP")
    proposal_form.get_by_role("button", name="Save and submit").click()
    expect(charlie.get_by_text("Your proposal was submitted as version 1.")).to_be_visible()

    # Supplier B through services: a proposal and predictions that miss every maintenance case.
    proposal_b = submit_proposal(rfx, supplier_b, "150000")
    failing = competition_services.prediction_submit(
        proposal=proposal_b,
        user=supplier_b,
        file=SimpleUploadedFile("heron.csv", failing_predictions().encode()),
    )
    failing.refresh_from_db()
    assert (failing.valid, failing.status, failing.passed) == (True, "done", False)

    # --- the deadline passes: the beat job closes the RFx under a frozen clock -------------
    after_deadline = rfx.proposal_deadline + timedelta(minutes=1)
    with frozen(after_deadline):
        assert services.rfx_close_due() == [rfx.pk]
        # Charlie reads its own results, and nothing about anyone else (browser).
        charlie.goto(url + reverse("rfx-supplier-competition", args=[rfx.pk]))
        expect(charlie.get_by_test_id("predictions-form")).to_have_count(0)
        results = charlie.get_by_test_id("results")
        expect(results.get_by_test_id("verdict")).to_have_text("Passed the competition bar")
        expect(results.get_by_test_id("metric-accuracy")).to_have_text("100%")
        expect(results.get_by_test_id("confusion-matrix")).to_be_visible()
        assert "Blue Heron AI" not in charlie.locator("main").inner_text()

    # --- the manager reads the leaderboard and the comparison (browser) --------------------
    alice.goto(url + reverse("rfx-comparison", args=[rfx.pk]))
    excluded = alice.get_by_test_id("excluded-row")
    expect(excluded).to_have_count(1)
    expect(excluded).to_have_attribute("data-supplier", supplier_b_org.name)
    expect(excluded).to_contain_text(
        "Blue Heron AI is not ranked: did not pass the competition bar"
    )
    ranked = alice.get_by_test_id("ranked-row")
    expect(ranked).to_have_count(1)
    expect(ranked).to_have_attribute("data-supplier", supplier_a_org.name)
    excluded.get_by_role("link", name="see the competition results").click()

    expect(alice.get_by_role("heading", name="Competition results")).to_be_visible()
    rows = alice.get_by_test_id("leaderboard-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-supplier", supplier_a_org.name)
    expect(rows.nth(0)).to_have_attribute("data-verdict", "passed")
    expect(rows.nth(1)).to_have_attribute("data-verdict", "failed")
    expect(rows.nth(1).get_by_test_id("verdict")).to_have_text("Did not pass the competition bar")
    expect(rows.nth(1).get_by_test_id("bar-cell")).to_have_count(3)
    expect(rows.nth(1).get_by_test_id("bar-cell").nth(1)).to_contain_text("Fail")
    expect(rows.nth(1).get_by_test_id("bar-cell").nth(2)).to_contain_text("Pass")
    rows.nth(1).get_by_test_id("details").click()

    expect(alice.get_by_test_id("supplier")).to_have_text(supplier_b_org.name)
    matrix = alice.get_by_test_id("confusion-matrix")
    expect(matrix).to_be_visible()
    expect(matrix.get_by_test_id("cell")).to_have_text(["0 0%", "13 100%", "0 0%", "27 100%"])
    expect(alice.get_by_test_id("group-chart")).to_have_attribute("data-column", "site")
    expect(alice.get_by_test_id("gaps")).to_contain_text("Largest gap")
