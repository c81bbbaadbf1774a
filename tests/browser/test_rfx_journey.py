"""An RFP from the template to the award, end to end in a real browser.

The procurement manager (alice) creates, times, publishes and invites; supplier A (charlie)
asks a clarification that supplier B (dana) reads without A's name; both submit; the deadline
passes; two reviewers (bob, the lead, and frank) declare and score; alice locks, evaluates,
compares, awards and downloads the comparison scorecard; the losing supplier reads its feedback.

In the browser: creating, the timeline, publishing, inviting, the clarification question, its
published answer, B reading it, A's proposal form and submission, bob's declaration and terms
scores, locking, marking evaluated, the comparison, the award, the scorecard PDF and the
feedback page. Through services (repetitive or slow in a browser): accepting the invitations
(the one-time link is only in the e-mail), answering every questionnaire question, B's whole
proposal, closing at the deadline (the beat job, under a frozen clock), frank's declaration and
scores, and the lead's consensus. Tasks run in-process: live_server's database commits, so
on_commit callbacks (scoring, the PDF) run at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from accounts.models import Membership
from assessments import services as assessment_services
from assessments.models import ConsensusScore, ReviewerAssignment
from principles.models import Framework
from rfx import services
from rfx.models import (
    Award,
    Clarification,
    ComparisonReport,
    Invitation,
    Proposal,
    RFx,
    RFxReviewer,
    SupplierFeedback,
    TermsScore,
)
from tests.assessments.conftest import answer_everything
from tests.browser.conftest import DESKTOP
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.rfx.conftest import frozen, submit_proposal

pytestmark = pytest.mark.browser

DAY = timedelta(days=1)
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
# WeasyPrint renders the scorecard inside the request that asks for it (eager tasks).
PDF_TIMEOUT = 30_000
QUESTION = "Must the models run on our own servers, or may they run in your cloud?"
ANSWER = "Either: the models may run in the supplier's UK cloud region."


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Scorecards are written under a throwaway MEDIA_ROOT, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def framework(bundled) -> Framework:
    return Framework.objects.get(slug="ml-maturity-model", version="1.0")


@pytest.fixture
def reviewer2(buyer_org):
    """frank, a second reviewer of the buyer (as in tests/assessments/conftest.py)."""
    return MembershipFactory(
        user=UserFactory(username="frank"), organisation=buyer_org, role=Membership.Role.REVIEWER
    ).user


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    """Every person's browser context, closed at the end even if the test fails."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def person(browser: Browser, contexts: list, live_server, username: str) -> Page:
    """A fresh browser context (own cookies) with `username` signed in."""
    context = browser.new_context(locale="en-GB", viewport=DESKTOP)
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
    """`moment` as a datetime-local input takes it, in the server's time zone."""
    return timezone.localtime(moment).strftime(DATETIME_INPUT)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_an_rfp_from_template_to_award_in_the_browser(
    browser,
    contexts,
    live_server,
    framework,
    buyer,
    reviewer,
    reviewer2,
    supplier_a,
    supplier_b,
    supplier_a_org,
    supplier_b_org,
):
    url = live_server.url
    start = timezone.now().replace(second=0, microsecond=0)
    timeline = {
        "Deadline for clarification questions": start + 5 * DAY,
        "Proposal deadline": start + 10 * DAY,
        "Short-list date": start + 20 * DAY,
        "Contract drafting date": start + 30 * DAY,
    }
    alice = person(browser, contexts, live_server, buyer.username)

    # --- the manager creates the RFP from the template (browser) ---------------------------
    alice.goto(url + reverse("rfx-create"))
    expect(alice.get_by_label("Request for proposal")).to_be_checked()
    alice.get_by_label("Title").fill("Predictive maintenance for the fleet")
    alice.get_by_label("Maturity framework version").select_option(str(framework.pk))
    alice.get_by_role("button", name="Create the RFx").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text(
        "Edit Predictive maintenance for the fleet"
    )
    rfx = RFx.objects.get(title="Predictive maintenance for the fleet")
    assert (rfx.kind, rfx.status, rfx.buyer, rfx.framework) == (
        RFx.Kind.RFP,
        RFx.Status.DRAFT,
        buyer.memberships.get().organisation,
        framework,
    )
    assert rfx.sections.exists()  # the template's sections

    # --- sets the timeline (browser) and publishes (browser) -------------------------------
    form = alice.get_by_test_id("settings-form")
    for label, moment in timeline.items():
        form.get_by_label(label, exact=True).fill(local_input(moment))
    form.get_by_role("button", name="Save the settings").click()
    expect(alice.get_by_text("The settings are saved.")).to_be_visible()
    rfx.refresh_from_db()
    assert rfx.proposal_deadline == timeline["Proposal deadline"]
    assert rfx.clarification_deadline == timeline["Deadline for clarification questions"]

    alice.goto(url + reverse("rfx-detail", args=[rfx.pk]))
    alice.get_by_test_id("publish").click()
    expect(alice.get_by_text("The RFx is published")).to_be_visible()
    rfx.refresh_from_db()
    assert rfx.status == RFx.Status.PUBLISHED and rfx.issue_date is not None

    # --- invites both suppliers' organisations (browser) -----------------------------------
    alice.goto(url + reverse("rfx-invitations", args=[rfx.pk]))
    for org, email in ((supplier_a_org, "bids@acme.test"), (supplier_b_org, "bids@heron.test")):
        alice.get_by_label("Supplier organisation").select_option(str(org.pk))
        alice.get_by_label("E-mail address").fill(email)
        alice.get_by_role("button", name="Invite", exact=True).click()
        expect(alice.get_by_text(f"{org.name} is invited")).to_be_visible()
    invitations = {i.supplier_id: i for i in Invitation.objects.filter(rfx=rfx)}
    assert set(invitations) == {supplier_a_org.pk, supplier_b_org.pk}
    assert all(i.token_sent_at is not None for i in invitations.values())
    # The one-time link is only in the e-mail: accepting goes through the service.
    for user, org in ((supplier_a, supplier_a_org), (supplier_b, supplier_b_org)):
        services.invitation_accept(invitation=invitations[org.pk], user=user, accept_terms=True)

    # --- supplier A asks a clarification (browser) -----------------------------------------
    charlie = person(browser, contexts, live_server, supplier_a.username)
    charlie.goto(url + reverse("rfx-supplier-detail", args=[rfx.pk]))
    ask = charlie.get_by_test_id("ask")
    ask.get_by_label("Your question").fill(QUESTION)
    ask.get_by_role("button", name="Send the question").click()
    expect(charlie.get_by_text("Your question has been sent to the buyer.")).to_be_visible()
    clarification = Clarification.objects.get(rfx=rfx)
    assert clarification.question == QUESTION and clarification.answer == ""

    # --- the manager publishes the answer (browser) ----------------------------------------
    alice.goto(url + reverse("rfx-clarifications", args=[rfx.pk]))
    alice.locator(f"#answer-{clarification.pk}").fill(ANSWER)
    alice.get_by_role("button", name="Publish to every invited supplier").click()
    expect(alice.get_by_text("The answer is published to every invited supplier")).to_be_visible()
    clarification.refresh_from_db()
    assert (clarification.answer, clarification.visibility) == (ANSWER, "published")

    # --- supplier B reads it, without A's identity (browser) -------------------------------
    dana = person(browser, contexts, live_server, supplier_b.username)
    dana.goto(url + reverse("rfx-supplier-detail", args=[rfx.pk]))
    item = dana.get_by_test_id("clarification")
    expect(item).to_contain_text(QUESTION)
    expect(item).to_contain_text(f"Answer (to every invited supplier): {ANSWER}")
    expect(item).not_to_contain_text("Your question")
    page_text = dana.locator("main").inner_text()
    for identity in (supplier_a_org.name, supplier_a.username, "bids@acme.test"):
        assert identity not in page_text

    # --- both proposals: B entirely through services; A's questionnaire through services,
    # its terms and price typed and submitted on the proposal page (browser) ---------------
    proposal_b = submit_proposal(rfx, supplier_b, "150000")
    proposal_a = services.proposal_start(rfx=rfx, user=supplier_a)
    answer_everything(proposal_a.maturity_assessment, supplier_a)
    charlie.goto(url + reverse("rfx-proposal", args=[rfx.pk]))
    expect(charlie.get_by_test_id("complete")).to_be_visible()
    proposal_form = charlie.get_by_test_id("proposal-form")
    proposal_form.get_by_label("Licence terms").fill("Perpetual licence to the trained models.")
    proposal_form.get_by_label("Service terms").fill("Support every day, 07:00 to 22:00.")
    proposal_form.get_by_label("Price").fill("90000")
    proposal_form.get_by_label("Currency").fill("GBP")
    proposal_form.get_by_role("button", name="Save and submit").click()
    expect(charlie.get_by_text("Your proposal was submitted as version 1.")).to_be_visible()
    proposal_a.refresh_from_db()
    assert proposal_a.submitted_at is not None
    assert (proposal_a.price_amount, proposal_a.price_currency) == (Decimal("90000"), "GBP")
    assert proposal_b.submitted_at is not None

    # --- the deadline passes: the beat job closes the RFx under a frozen clock; the rest of
    # the journey runs on real time (the evaluation pages go by the status, not the clock) --
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        assert services.rfx_close_due() == [rfx.pk]
    rfx.refresh_from_db()
    assert rfx.status == RFx.Status.CLOSED

    # --- the evaluation team: bob (lead) and frank, assigned through the service -----------
    bob_member = services.rfx_reviewer_assign(rfx=rfx, reviewer=reviewer, user=buyer, is_lead=True)
    frank_member = services.rfx_reviewer_assign(rfx=rfx, reviewer=reviewer2, user=buyer)
    services.rfx_reviewer_declare_no_conflict(member=frank_member, user=reviewer2)

    # bob declares no conflict (browser); until then the evaluation sends him there.
    bob = person(browser, contexts, live_server, reviewer.username)
    bob.goto(url + reverse("rfx-evaluation", args=[rfx.pk]))
    expect(bob).to_have_url(url + reverse("rfx-declaration", args=[rfx.pk]))
    bob.get_by_label("I have no conflict of interest with any supplier of this RFx.").check()
    bob.get_by_role("button", name="Record my declaration").click()
    expect(bob.get_by_text("Thank you: your declaration is recorded.")).to_be_visible()
    bob_member.refresh_from_db()
    assert bob_member.no_conflict_declared_at is not None
    assert (
        ReviewerAssignment.objects.filter(
            reviewer=reviewer, is_lead=True, no_conflict_declared_at__isnull=False
        ).count()
        == 2
    )

    # bob scores the licence and terms (browser); no price before the technical lock.
    expect(bob.get_by_test_id("proposals-table")).to_be_visible()
    expect(bob.get_by_test_id("price")).to_have_count(0)
    for proposal, score in ((proposal_a, "3"), (proposal_b, "1")):
        action = reverse("rfx-terms-score", args=[rfx.pk, proposal.pk])
        score_form = bob.locator(f"form[action='{action}']")
        score_form.get_by_label("Your licence and terms score").select_option(score)
        score_form.get_by_role("button", name="Save my score").click()
        expect(bob.get_by_text("Your licence and terms score is saved.")).to_be_visible()
    # frank through the service.
    services.terms_score_set(proposal=proposal_a, reviewer=reviewer2, score=2)
    services.terms_score_set(proposal=proposal_b, reviewer=reviewer2, score=1)
    assert dict(
        TermsScore.objects.filter(reviewer=reviewer).values_list("proposal_id", "score")
    ) == {proposal_a.pk: 3, proposal_b.pk: 1}

    # --- the lead sets a consensus on one question (services) ------------------------------
    assessment = proposal_a.maturity_assessment
    question = framework.questions.order_by("pk").first()
    assessment_services.reviewer_score_set(
        assessment=assessment, question=question, reviewer=reviewer, score=3
    )
    assessment_services.review_submit(
        assignment=ReviewerAssignment.objects.get(assessment=assessment, reviewer=reviewer)
    )
    assessment_services.consensus_set(
        assessment=assessment, question=question, user=reviewer, score=2, comment="Agreed."
    )
    assert ConsensusScore.objects.get(assessment=assessment, question=question).score == 2

    # --- the manager locks, marks evaluated and compares (browser) -------------------------
    alice.goto(url + reverse("rfx-evaluation", args=[rfx.pk]))
    alice.once("dialog", lambda dialog: dialog.accept())  # "Lock the technical scores?"
    alice.get_by_role("button", name="Lock technical scores").click()
    expect(alice.get_by_test_id("locked")).to_be_visible()
    expect(alice.get_by_test_id("price")).to_have_count(2)
    alice.get_by_role("button", name="Mark evaluated").click()
    expect(alice.get_by_text("The evaluation is finished.")).to_be_visible()
    rfx.refresh_from_db()
    assert rfx.status == RFx.Status.EVALUATED and rfx.technical_scores_locked_at is not None

    alice.goto(url + reverse("rfx-comparison", args=[rfx.pk]))
    rows = alice.get_by_test_id("ranking-table").get_by_test_id("ranked-row")
    expect(rows).to_have_count(2)
    # Cheaper and better terms: Acme Analytics ranks first.
    expect(rows.nth(0)).to_have_attribute("data-supplier", supplier_a_org.name)
    expect(rows.nth(1)).to_have_attribute("data-supplier", supplier_b_org.name)
    expect(rows.nth(0).get_by_test_id("price")).to_contain_text("90000")

    # --- the award with its justification (browser) ----------------------------------------
    alice.goto(url + reverse("rfx-award", args=[rfx.pk]))
    alice.get_by_label("Preferred supplier").select_option(str(proposal_a.pk))
    alice.get_by_label("Justification").fill(
        "Ranked first: the best licence terms and the lowest price."
    )
    alice.get_by_role("button", name="Record the award").click()
    expect(alice.get_by_text("The award is recorded and the suppliers are told.")).to_be_visible()
    rfx.refresh_from_db()
    award = Award.objects.get(rfx=rfx)
    assert rfx.status == RFx.Status.AWARDED and award.proposal == proposal_a
    assert award.justification.startswith("Ranked first")
    assert SupplierFeedback.objects.filter(award=award, proposal=proposal_b).exists()

    # --- the comparison scorecard PDF (browser) --------------------------------------------
    alice.goto(url + reverse("rfx-scorecard", args=[rfx.pk]))
    panel = alice.get_by_test_id("scorecard-status")
    panel.get_by_test_id("scorecard-request").click()
    download_button = panel.get_by_test_id("scorecard-download")
    expect(download_button).to_be_visible(timeout=PDF_TIMEOUT)
    with alice.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        text = pdf_text(handle.read())
    assert supplier_a_org.name in text and supplier_b_org.name in text
    assert ComparisonReport.objects.get(rfx=rfx).status == ComparisonReport.Status.DONE

    # --- the losing supplier reads its feedback (browser) ----------------------------------
    dana.goto(url + reverse("rfx-feedback", args=[rfx.pk]))
    expect(dana.get_by_test_id("not-chosen")).to_be_visible()
    expect(dana.get_by_test_id("rank")).to_contain_text("ranked")
    expect(dana.get_by_test_id("breakdown")).to_be_visible()
    feedback_text = dana.locator("main").inner_text()
    for secret in (supplier_a_org.name, "90000", "90,000", "90 000"):
        assert secret not in feedback_text
    assert Proposal.objects.filter(rfx=rfx, submitted_at__isnull=False).count() == 2
    assert RFxReviewer.objects.filter(rfx=rfx, no_conflict_declared_at__isnull=False).count() == 2
