"""The assessment journey end to end in a real browser.

Supplier A answers, submits and downloads its PDF/A maturity report; a buyer's reviewer
declares, scores, dismisses a red flag and downloads the report; supplier B sees nothing.
Tasks (scoring, report rendering) run in-process on commit; the PDF is a real WeasyPrint one.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import Membership
from assessments import services
from assessments.models import (
    Assessment,
    AssessmentVersion,
    RedFlag,
    Report,
    ReviewerAssignment,
    ReviewerScore,
    Scorecard,
)
from principles.models import Framework
from tests.assessments.conftest import answer_everything, good_answer
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

# Where screenshots go when SCREENSHOT_DIR is set (looked at by hand, never asserted on).
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")
# Answered by clicking in the browser; every other question is filled in through the service.
CLICKED = ("8.1", "8.5", "8.7")
# WeasyPrint renders the report inside the request that asks for it (eager tasks).
REPORT_TIMEOUT = 30_000


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def pdfa_part(data: bytes) -> str:
    """The PDF/A part declared in the XMP metadata (e.g. "3"), or "" if none."""
    reader = PdfReader(io.BytesIO(data))
    metadata = reader.trailer["/Root"].get("/Metadata")
    xmp = metadata.get_object().get_data().decode("utf-8", "replace") if metadata else ""
    found = re.search(r"pdfaid:part(?:>|=\")\s*(\d)", xmp)
    return found.group(1) if found else ""


def download_report(page: Page, name: str) -> bytes:
    """Ask for the PDF on the page's report panel, wait for it, download it, return its bytes.

    With SCREENSHOT_DIR set, a copy is kept there as `name`.pdf.
    """
    panel = page.get_by_test_id("report-status")
    panel.get_by_test_id("report-request").click()
    download_button = panel.get_by_test_id("report-download")
    expect(download_button).to_be_visible(timeout=REPORT_TIMEOUT)
    expect(panel.get_by_test_id("report-state")).to_contain_text("Report ready")
    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    if SCREENSHOT_DIR:
        download.save_as(Path(SCREENSHOT_DIR) / f"{name}.pdf")
    return Path(download.path()).read_bytes()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Reports and evidence are written under a throwaway MEDIA_ROOT, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def framework(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def submitted_assessment(framework, supplier_a, supplier_a_org, buyer_org) -> Assessment:
    """Supplier A's assessment shared with the buyer: every question answered "yes", no
    evidence, submitted and scored (live_server's database commits, so on_commit runs at once)."""
    assessment = services.assessment_create(
        framework=framework,
        organisation=supplier_a_org,
        user=supplier_a,
        reviewing_organisation=buyer_org,
    )
    answer_everything(assessment, supplier_a)
    services.assessment_submit(assessment=assessment, user=supplier_a)
    assessment.refresh_from_db()
    assert assessment.versions.get().status == AssessmentVersion.Status.DONE
    return assessment


@pytest.fixture
def reviewer2(buyer_org):
    """frank, a second reviewer of the buyer (as in tests/assessments/conftest.py)."""
    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


def test_a_supplier_answers_submits_and_downloads_its_maturity_report(
    live_server, page, framework, supplier_a, supplier_a_org, buyer_org
):
    sign_in(page, live_server, supplier_a.username)

    # Start a self-assessment shared with Northwind Rail, through the form.
    page.goto(live_server.url + reverse("assessment-list"))
    page.get_by_test_id("start-assessment").click()
    page.get_by_label("Share with a buyer for review").select_option(label="Northwind Rail")
    page.get_by_role("button", name="Start answering").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Practical benchmarks")
    assessment = Assessment.objects.get()
    assert assessment.organisation == supplier_a_org
    assert assessment.reviewing_organisation == buyer_org

    # Everything but three questions of criterion 8 is answered behind the scenes.
    for question in framework.questions.exclude(code__in=CLICKED):
        services.answer_save(
            assessment=assessment, question=question, user=supplier_a, **good_answer(question)
        )

    # 8.1 and 8.5 are answered by clicking; 8.7 is forgotten.
    page.goto(live_server.url + reverse("assessment-criterion", args=[assessment.pk, "8"]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Security risk processes")
    q81 = page.locator("#q-8-1")
    q81.get_by_text("No", exact=True).click()
    expect(q81.get_by_test_id("saved")).to_contain_text("Saved")
    q85 = page.locator("#q-8-5")
    q85.get_by_text("Yes", exact=True).click()
    expect(q85.get_by_test_id("saved")).to_contain_text("Saved")
    expect(page.get_by_test_id("criterion-progress")).to_contain_text("9 of 10 required questions")

    # The summary names what is missing; its link leads straight to the question.
    page.goto(live_server.url + reverse("assessment-summary", args=[assessment.pk]))
    expect(page.get_by_test_id("missing-count")).to_have_text("1 required question still to answer")
    missing = page.get_by_test_id("missing").get_by_role("link", name=re.compile(r"^8\.7 "))
    expect(missing).to_contain_text("Do you have a tested incident response process")
    missing.click()
    expect(page).to_have_url(
        live_server.url + reverse("assessment-criterion", args=[assessment.pk, "8"]) + "#q-8-7"
    )
    q87 = page.locator("#q-8-7")
    q87.get_by_text("Yes", exact=True).click()
    expect(q87.get_by_test_id("saved")).to_contain_text("Saved")
    statuses = dict(
        assessment.answers.filter(question__code__in=CLICKED).values_list(
            "question__code", "status"
        )
    )
    assert statuses == {"8.1": "no", "8.5": "yes", "8.7": "yes"}

    page.goto(live_server.url + reverse("assessment-summary", args=[assessment.pk]))
    expect(page.get_by_test_id("complete")).to_contain_text("Every required question is answered")
    page.get_by_test_id("submit").click()

    # The overview: overall score and level, a level per criterion, red flags by severity.
    expect(page).to_have_url(live_server.url + reverse("assessment-detail", args=[assessment.pk]))
    expect(page.get_by_test_id("assessment-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("scoring-status")).to_contain_text("scored")
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    scorecard = Scorecard.objects.get(version__assessment=assessment)
    # Criterion 8's status questions weigh 11 in all; "Yes" suggests 2 of 3, and 8.1's "No"
    # (weight 2, with its critical flag) counts 0, so it scores 9 × 2 / (11 × 3) = 6/11.
    assert scorecard.data["criteria"]["8"]["score"] == pytest.approx(6 / 11)
    expect(page.get_by_test_id("overall-score")).to_have_text(f"{round(scorecard.score * 100)}%")
    expect(page.get_by_test_id("overall-level")).to_have_text(
        f"Level {scorecard.level} · {scorecard.level_name}"
    )
    assert scorecard.level_name in {"Initial", "Developing", "Defined", "Managed", "Optimising"}
    for criterion in framework.criteria.all():
        row = page.get_by_test_id(f"criterion-score-{criterion.code}")
        expect(row).to_contain_text(criterion.title)
        level = scorecard.data["criteria"][criterion.code]["level"]
        expect(row).to_contain_text(level["name"])
    expect(page.get_by_test_id("criterion-score-8")).to_contain_text("55%")
    expect(page.get_by_test_id("criterion-score-8")).to_contain_text("Defined")

    groups = page.locator("[data-testid^='flags-']")
    expect(groups).to_have_count(3)
    assert [group.get_attribute("data-testid") for group in groups.all()] == [
        "flags-critical",
        "flags-major",
        "flags-minor",
    ]
    expect(page.get_by_test_id("flags-critical")).to_contain_text(
        "Data travels unencrypted. Anyone able to observe the network could read or alter it."
    )
    minor = page.get_by_test_id("flags-minor")
    minor.locator("summary").click()  # minor flags start folded away
    flags = minor.locator("li.red-flag")
    flag_85 = flags.filter(has=page.get_by_role("link", name="8.5", exact=True))
    expect(flag_85).to_be_visible()
    expect(flag_85).to_contain_text("No access policy or review record is attached.")
    flag_87 = flags.filter(has=page.get_by_role("link", name="8.7", exact=True))
    expect(flag_87).to_contain_text("The incident procedure is not attached.")
    screenshot(page, "supplier-overview-after-submission")

    # The PDF report: ask, wait for the Download button, download, read it back.
    data = download_report(page, "supplier-report")
    report = Report.objects.get(assessment=assessment)
    assert report.status == Report.Status.DONE
    assert data[:5] == b"%PDF-"
    text = pdf_text(data)
    assert "Acme Analytics" in text
    assert scorecard.level_name in text
    for title in framework.criteria.values_list("title", flat=True):
        assert title in text, f"criterion {title!r} missing from the PDF"
    assert pdfa_part(data) == "3"


def test_a_reviewer_declares_scores_and_downloads_the_report(
    live_server, browser, page, submitted_assessment, buyer, reviewer, reviewer2
):
    assessment = submitted_assessment
    page.on("dialog", lambda dialog: dialog.accept())  # "Submit your review?" confirmation

    # The procurement manager builds the team on the team page: bob leads, frank reviews.
    sign_in(page, live_server, buyer.username)
    page.goto(live_server.url + reverse("assessment-detail", args=[assessment.pk]))
    page.get_by_role("link", name="Manage the review team").click()
    expect(page.get_by_role("heading", name="Evaluation team")).to_be_visible()
    page.get_by_label("Team member").select_option(label=reviewer.get_full_name())
    page.get_by_label("Lead reviewer (runs the consensus meeting)").check()
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_role("status").filter(has_text="is now a lead reviewer")).to_be_visible()
    page.get_by_label("Team member").select_option(label=reviewer2.get_full_name())
    expect(page.get_by_label("Lead reviewer (runs the consensus meeting)")).not_to_be_checked()
    page.get_by_role("button", name="Add to the team").click()
    team = page.get_by_test_id("team-table")
    expect(team.locator("tbody tr")).to_have_count(2)
    expect(team.locator("tbody tr").nth(0)).to_contain_text(reviewer.get_full_name())
    expect(team.locator("tbody tr").nth(0)).to_contain_text("Lead")
    expect(team.locator("tbody tr").nth(1)).to_contain_text(reviewer2.get_full_name())
    expect(team).to_contain_text("Not declared yet")
    lead = ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    assert lead.is_lead
    assert lead.no_conflict_declared_at is None
    assert not ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer2).is_lead

    # Bob, in a browser of his own, opens the assessment and is sent to the declaration.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    bob = context.new_page()
    bob.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(bob, live_server, reviewer.username)
        bob.goto(live_server.url + reverse("assessment-list"))
        bob.get_by_role("link", name=assessment.title).click()
        expect(bob).to_have_url(
            live_server.url + reverse("review-declaration", args=[assessment.pk])
        )
        expect(bob.get_by_role("heading", name="Declare any conflict of interest")).to_be_visible()
        bob.get_by_label(
            "I confirm that I have no conflict of interest in reviewing this assessment."
        ).check()
        bob.get_by_role("button", name="Declare and start reviewing").click()
        expect(bob).to_have_url(live_server.url + reverse("review-overview", args=[assessment.pk]))
        lead.refresh_from_db()
        assert lead.no_conflict_declared_at is not None

        # He scores 1.1 a 3 with a comment; htmx says "Saved" and the scorecard follows.
        bob.get_by_role("link", name="Start scoring").click()
        expect(bob.get_by_role("heading", level=2, name="1. Practical benchmarks")).to_be_visible()
        question = bob.locator("#q-1\\.1")
        question.locator("label", has_text="Exceeds").click()
        question.get_by_label("Comment for the review team").fill(
            "Per-class recall and calibration reported for every release."
        )
        question.get_by_role("button", name="Save score").click()
        expect(question.get_by_role("status")).to_have_text("✓ Saved")
        # The side list counts the new score without a reload.
        expect(bob.locator(".criteria-nav a[aria-current=page] .count").last).to_contain_text("1/")
        screenshot(bob, "reviewer-scoring-page")
        score = ReviewerScore.objects.get(
            assessment=assessment, reviewer=reviewer, question__code="1.1"
        )
        assert score.score == 3
        assert score.comment == "Per-class recall and calibration reported for every release."
        data = Scorecard.objects.get(version__assessment=assessment).data
        assert data["questions"]["1.1"] == {"score": 3.0, "source": "reviewers", "hidden": False}

        # He submits his review from the overview.
        bob.get_by_role("navigation", name="Review sections").get_by_role(
            "link", name="Overview"
        ).click()
        bob.get_by_role("button", name="Submit my review").click()
        expect(bob.get_by_test_id("review-submitted")).to_contain_text("Your scores are final")
        lead.refresh_from_db()
        assert lead.submitted_at is not None

        # He dismisses the missing-evidence flag of 1.1 with a reason.
        flag = RedFlag.objects.get(assessment=assessment, rule__code="1.1b")
        assert flag.status == RedFlag.Status.ACTIVE
        bob.goto(live_server.url + reverse("review-criterion", args=[assessment.pk, "1"]))
        item = bob.locator(f"#flag-{flag.pk}")
        expect(item).to_contain_text(flag.rule.message)
        item.get_by_text("Dismiss this red flag…").click()
        reason = "The benchmark report was shown to us in the demonstration on 3 March."
        item.get_by_label("Why this red flag does not apply").fill(reason)
        item.get_by_role("button", name="Dismiss red flag").click()
        item = bob.locator(f"#flag-{flag.pk}")
        expect(item.get_by_test_id("dismissal")).to_contain_text(reason)
        expect(item.get_by_role("status")).to_contain_text("Red flag 1.1b dismissed")
        flag.refresh_from_db()
        assert flag.status == RedFlag.Status.DISMISSED
        assert flag.dismissed_reason == reason
        assert flag.dismissed_by == reviewer
        scorecard = Scorecard.objects.get(version__assessment=assessment)
        assert "1.1b" in [entry["code"] for entry in scorecard.data["dismissed_red_flags"]]
        assert scorecard.data["questions"]["1.1"]["source"] == "reviewers"

        # The report, from the assessment's page.
        bob.goto(live_server.url + reverse("assessment-detail", args=[assessment.pk]))
        expect(bob.get_by_test_id("dismissed-flags")).to_contain_text(reason)
        pdf = download_report(bob, "reviewer-report")
        report = Report.objects.get(assessment=assessment)
        assert report.status == Report.Status.DONE
        assert report.requested_by == reviewer
        text = pdf_text(pdf)
        assert "Acme Analytics" in text
        assert "Per-class recall and calibration reported for every release." in text
        assert pdfa_part(pdf) == "3"
    finally:
        context.close()


def test_supplier_b_cannot_open_supplier_a_assessment_in_the_browser(
    live_server, page, client, submitted_assessment, supplier_a, supplier_b
):
    assessment = submitted_assessment
    version = assessment.versions.get()
    report = Report.objects.create(
        assessment=assessment,
        version=version,
        requested_by=supplier_a,
        status=Report.Status.DONE,
        finished_at=timezone.now(),
        size=9,
    )
    report.file.save("report.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    urls = [
        reverse("assessment-detail", args=[assessment.pk]),
        reverse("assessment-criterion", args=[assessment.pk, "1"]),
        reverse("assessment-report-download", args=[assessment.pk, report.pk]),
    ]
    # The same addresses work for supplier A, so a 404 below is not a mistyped address.
    client.force_login(supplier_a)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]

    sign_in(page, live_server, supplier_b.username)
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response is not None and response.status == 404, url
        expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
        expect(page.locator("main")).not_to_contain_text(assessment.title)
        expect(page.locator("main")).not_to_contain_text("Acme Analytics")
