"""Supplier A's proposal in a real browser: terms and price save themselves, a document is
uploaded, the proposal is submitted; and without JavaScript the buttons do it all."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from principles.models import Framework
from rfx import services
from rfx.models import Proposal, ProposalDocument, RFx
from tests.assessments.conftest import answer_everything
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DAY = timedelta(days=1)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
LICENCE = "Perpetual licence to the trained models, for every site of the buyer."


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded documents go to a throwaway MEDIA_ROOT, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def proposal(bundled, buyer, buyer_org, supplier_a, supplier_a_org) -> Proposal:
    """A published RFP that supplier A accepted; its questionnaire answered in full."""
    start = timezone.now().replace(microsecond=0)
    rfx = services.rfx_create(
        buyer=buyer_org,
        user=buyer,
        title="Predictive maintenance",
        framework=Framework.objects.get(slug="ml-maturity-model", version="1.0"),
    )
    services.rfx_update(
        rfx=rfx,
        user=buyer,
        clarification_deadline=start + 5 * DAY,
        proposal_deadline=start + 10 * DAY,
    )
    invitation = services.invitation_create(
        rfx=rfx, supplier=supplier_a_org, email="bids@acme.test", user=buyer
    )
    services.rfx_publish(rfx=rfx, user=buyer)
    services.invitation_accept(invitation=invitation, user=supplier_a, accept_terms=True)
    proposal = services.proposal_start(rfx=RFx.objects.get(pk=rfx.pk), user=supplier_a)
    answer_everything(proposal.maturity_assessment, supplier_a)
    return proposal


def sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_terms_and_price_save_themselves_then_a_document_is_uploaded_and_submitted(
    live_server, page, proposal, supplier_a
):
    sign_in(page, live_server, supplier_a.username)
    page.goto(live_server.url + reverse("rfx-proposal", args=[proposal.rfx_id]))
    form = page.get_by_test_id("proposal-form")

    # Licence terms: saved after a pause in typing.
    form.get_by_label("Licence terms").fill(LICENCE)
    with page.expect_response(lambda response: "/proposal/autosave/" in response.url):
        form.get_by_label("Licence terms").press("End")
    expect(page.locator("#saved-licence_terms")).to_contain_text("Saved")

    # A price that is not money: the message shows, what was typed stays.
    form.get_by_label("Price").fill("12x")
    form.get_by_label("Currency").fill("GBP")
    form.get_by_label("Currency").press("Tab")
    expect(page.locator("#saved-price")).to_contain_text("'12x' is not an amount of money.")
    expect(form.get_by_label("Price")).to_have_value("12x")
    # Corrected: saved when the field changes.
    form.get_by_label("Price").fill("125000")
    form.get_by_label("Price").press("Tab")
    expect(page.locator("#saved-price")).to_contain_text("Saved")

    page.reload()
    form = page.get_by_test_id("proposal-form")
    expect(form.get_by_label("Licence terms")).to_have_value(LICENCE)
    expect(form.get_by_label("Price")).to_have_value("125000.00")
    expect(form.get_by_label("Currency")).to_have_value("GBP")

    # A document under the licence terms: uploaded and listed without leaving the page.
    licence_documents = page.get_by_test_id("documents-licence")
    licence_documents.get_by_label("Document", exact=False).first.set_input_files(
        {"name": "Licence agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    licence_documents.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("document-notice")).to_contain_text(
        "“Licence agreement.pdf” was added to your licence terms."
    )
    expect(licence_documents.get_by_role("link", name="Licence agreement.pdf")).to_be_visible()
    # A file that is not what its name says: refused with the file's name.
    service_documents = page.get_by_test_id("documents-service")
    service_documents.get_by_label("Document", exact=False).first.set_input_files(
        {"name": "SLA.pdf", "mimeType": "application/pdf", "buffer": b"not a PDF at all"}
    )
    service_documents.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("document-error")).to_contain_text(
        "SLA.pdf: the content does not match its .pdf extension."
    )

    form.get_by_role("button", name="Save and submit").click()
    expect(page.get_by_text("Your proposal was submitted as version 1.")).to_be_visible()
    expect(page.get_by_test_id("versions")).to_contain_text("1 document")

    proposal.refresh_from_db()
    assert proposal.licence_terms == LICENCE
    assert (proposal.price_amount, proposal.price_currency) == (Decimal("125000"), "GBP")
    document = ProposalDocument.objects.get()
    assert (document.kind, document.title) == ("licence", "Licence agreement.pdf")
    version = proposal.versions.get()
    assert version.snapshot["documents"] == [
        {"id": document.pk, "kind": "licence", "title": "Licence agreement.pdf", "size": len(PDF)}
    ]


def test_without_javascript_save_keeps_terms_price_and_a_chosen_document(
    live_server, no_js_page, proposal, supplier_a
):
    page = no_js_page
    sign_in(page, live_server, supplier_a.username)
    page.goto(live_server.url + reverse("rfx-proposal", args=[proposal.rfx_id]))
    form = page.get_by_test_id("proposal-form")
    form.get_by_label("Service terms").fill("Support every day, 07:00 to 22:00.")
    form.get_by_label("Price").fill("90000")
    form.get_by_label("Currency").fill("EUR")
    page.get_by_test_id("documents-service").get_by_label(
        "Document", exact=False
    ).first.set_input_files({"name": "SLA.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("“SLA.pdf” was added to your service terms.")).to_be_visible()
    expect(page.get_by_text("Your proposal is saved. It is not submitted yet.")).to_be_visible()
    service_documents = page.get_by_test_id("documents-service")
    expect(service_documents.get_by_role("link", name="SLA.pdf")).to_be_visible()

    page.get_by_test_id("proposal-form").get_by_role("button", name="Save and submit").click()
    expect(page.get_by_text("Your proposal was submitted as version 1.")).to_be_visible()
    proposal.refresh_from_db()
    assert (proposal.service_terms, proposal.price_amount, proposal.price_currency) == (
        "Support every day, 07:00 to 22:00.",
        Decimal("90000"),
        "EUR",
    )
    assert [item["title"] for item in proposal.versions.get().snapshot["documents"]] == ["SLA.pdf"]
