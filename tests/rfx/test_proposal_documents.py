"""Documents of a proposal's licence and service terms: the services, the supplier's page
with its autosave, and who may download what.

Roles, as in every RFx test: alice (procurement manager of Northwind Rail), bob (reviewer,
on the RFx's evaluation team), charlie (supplier A, Acme Analytics), dana (supplier B, Blue
Heron AI), eve (no organisation) and an anonymous visitor.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from rfx import services
from rfx.models import Proposal, ProposalDocument, ProposalVersion, RFx
from tests.rfx.conftest import frozen

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
DOCX = b"PK\x03\x04\x14\x00\x06\x00 word/document.xml"
LICENCE = "Perpetual licence to the models."
SERVICE = "Support in working hours."


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path) -> Path:
    """Uploaded documents go to a throwaway folder, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf(name: str = "licence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(root: Path) -> list[str]:
    return sorted(path.name for path in root.rglob("*") if path.is_file())


def add(proposal: Proposal, user, kind: str = "licence", **fields) -> ProposalDocument:
    fields.setdefault("file", pdf())
    return services.proposal_document_add(proposal=proposal, user=user, kind=kind, **fields)


@pytest.fixture
def draft_a(published_rfx, supplier_a) -> Proposal:
    """Supplier A's proposal, started and not submitted."""
    return services.proposal_start(rfx=published_rfx, user=supplier_a)


# --- adding -------------------------------------------------------------------------------------


def test_a_supplier_member_adds_a_document_to_its_licence_terms(draft_a, supplier_a, media_in_tmp):
    document = add(draft_a, supplier_a, file=pdf("Licence agreement.pdf"))
    document.refresh_from_db()
    assert (document.proposal, document.kind, document.title) == (
        draft_a,
        "licence",
        "Licence agreement.pdf",
    )
    assert (document.size, document.content_type, document.uploaded_by) == (
        len(PDF),
        "application/pdf",
        supplier_a,
    )
    assert document.removed_at is None
    assert document.file.name.startswith(f"rfx/{draft_a.rfx_id}/proposals/{draft_a.pk}/documents/")
    with document.file.open("rb") as handle:
        assert handle.read() == PDF


def test_a_given_title_is_kept_with_its_spaces_tidied(draft_a, supplier_a):
    document = add(
        draft_a,
        supplier_a,
        kind="service",
        title="  Service   levels\n2026 ",
        file=SimpleUploadedFile("sla.docx", DOCX),
    )
    assert (document.kind, document.title) == ("service", "Service levels 2026")


@pytest.mark.parametrize(
    ("kind", "upload", "message"),
    [
        ("price", pdf(), "Say whether the document belongs to the licence or service terms."),
        ("licence", None, "Choose a file to upload."),
        ("licence", pdf("empty.pdf", b""), "empty.pdf: the file is empty."),
        (
            "licence",
            SimpleUploadedFile("setup.exe", b"MZ\x90\x00"),
            "setup.exe: files of this type are not accepted. "
            "Accepted: .docx, .md, .ods, .odt, .pdf, .txt, .xlsx.",
        ),
        (
            "licence",
            pdf("terms.pdf", b"MZ\x90\x00 not a PDF"),
            "terms.pdf: the content does not match its .pdf extension.",
        ),
        (
            "service",
            SimpleUploadedFile("sla.docx", b"%PDF-1.7 a PDF named .docx"),
            "sla.docx: the content does not match its .docx extension.",
        ),
        (
            "service",
            SimpleUploadedFile("notes.txt", b"\xff\xfe\x00\x00 UTF-32 is not UTF-8" * 4),
            "notes.txt: the content is not UTF-8 text.",
        ),
    ],
    ids=["kind", "no-file", "empty", "type", "pdf-content", "docx-content", "not-utf8"],
)
def test_each_check_refuses_with_a_message_naming_the_file(
    draft_a, supplier_a, media_in_tmp, kind, upload, message
):
    with pytest.raises(ApplicationError) as refused:
        services.proposal_document_add(proposal=draft_a, user=supplier_a, kind=kind, file=upload)
    assert refused.value.message == message
    assert not ProposalDocument.all_objects.exists()
    assert stored_files(media_in_tmp) == []


def test_a_file_over_the_size_limit_is_refused(draft_a, supplier_a, media_in_tmp):
    big = pdf("scan.pdf", PDF + b"0" * services.PROPOSAL_DOCUMENT_MAX_BYTES)
    with pytest.raises(ApplicationError) as refused:
        add(draft_a, supplier_a, file=big)
    assert refused.value.message == "scan.pdf: the file is larger than 20 MB."
    assert not ProposalDocument.all_objects.exists()


def test_a_proposal_holds_a_limited_number_of_documents(draft_a, supplier_a, monkeypatch):
    monkeypatch.setattr(services, "PROPOSAL_DOCUMENTS_MAX", 2)
    add(draft_a, supplier_a)
    add(draft_a, supplier_a, kind="service")
    with pytest.raises(ApplicationError) as refused:
        add(draft_a, supplier_a, file=pdf("third.pdf"))
    assert refused.value.message == (
        "third.pdf: a proposal holds at most 2 documents. Remove one you no longer need first."
    )
    assert ProposalDocument.objects.count() == 2


@pytest.mark.parametrize("who", ["supplier_b", "buyer", "reviewer", "outsider"])
def test_only_a_member_of_the_supplier_adds_documents(draft_a, request, who, media_in_tmp):
    with pytest.raises(ApplicationError) as refused:
        add(draft_a, request.getfixturevalue(who))
    assert refused.value.message == "Only a member of the invited supplier can do this."
    assert not ProposalDocument.all_objects.exists()
    assert stored_files(media_in_tmp) == []


def test_nothing_is_added_after_the_deadline_whatever_the_status_says(
    draft_a, supplier_a, media_in_tmp
):
    rfx = draft_a.rfx
    assert rfx.status == RFx.Status.PUBLISHED  # the close job has not run yet
    with frozen(rfx.proposal_deadline), pytest.raises(ApplicationError) as refused:
        add(draft_a, supplier_a)
    assert refused.value.message.startswith("The proposal deadline passed on ")
    assert refused.value.message.endswith("; nothing more can be sent.")
    assert not ProposalDocument.all_objects.exists()
    assert stored_files(media_in_tmp) == []


# --- removing -----------------------------------------------------------------------------------


def test_a_document_no_version_lists_is_deleted_with_its_file(
    draft_a, supplier_a, media_in_tmp, django_capture_on_commit_callbacks
):
    document = add(draft_a, supplier_a)
    assert stored_files(media_in_tmp) == ["licence.pdf"]
    with django_capture_on_commit_callbacks(execute=True):
        kept = services.proposal_document_remove(document=document, user=supplier_a)
    assert kept is False
    assert not ProposalDocument.all_objects.exists()
    assert stored_files(media_in_tmp) == []


def test_a_document_a_submitted_version_lists_is_only_marked_removed(
    proposal_a, supplier_a, media_in_tmp, django_capture_on_commit_callbacks
):
    document = add(proposal_a, supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.proposal_submit(proposal=proposal_a, user=supplier_a)
        kept = services.proposal_document_remove(document=document, user=supplier_a)
    assert kept is True
    assert not ProposalDocument.objects.exists()
    document = ProposalDocument.all_objects.get()
    assert document.removed_at is not None
    assert document.file.storage.exists(document.file.name)
    version.refresh_from_db()
    assert [item["id"] for item in version.snapshot["documents"]] == [document.pk]


def test_a_removed_document_cannot_be_removed_again(proposal_a, supplier_a):
    document = add(proposal_a, supplier_a)
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    services.proposal_document_remove(document=document, user=supplier_a)
    with pytest.raises(ApplicationError) as refused:
        services.proposal_document_remove(document=document, user=supplier_a)
    assert refused.value.message == "licence.pdf has already been removed from your proposal."


def test_removing_is_refused_to_others_and_after_the_deadline(
    draft_a, supplier_a, supplier_b, buyer, media_in_tmp
):
    document = add(draft_a, supplier_a)
    for user in (supplier_b, buyer):
        with pytest.raises(ApplicationError) as refused:
            services.proposal_document_remove(document=document, user=user)
        assert refused.value.message == "Only a member of the invited supplier can do this."
    deadline = draft_a.rfx.proposal_deadline
    with frozen(deadline + timedelta(seconds=1)), pytest.raises(ApplicationError) as refused:
        services.proposal_document_remove(document=document, user=supplier_a)
    assert "nothing more can be sent" in refused.value.message
    document.refresh_from_db()
    assert document.removed_at is None
    assert stored_files(media_in_tmp) == ["licence.pdf"]


# --- the snapshot of each submission ------------------------------------------------------------


def test_each_version_keeps_exactly_the_documents_it_sent(
    proposal_a, supplier_a, django_capture_on_commit_callbacks
):
    """proposal_a was submitted once with no documents; two more submissions follow."""
    first = add(proposal_a, supplier_a, file=pdf("Licence.pdf"))
    sla = add(proposal_a, supplier_a, kind="service", file=SimpleUploadedFile("SLA.docx", DOCX))
    with django_capture_on_commit_callbacks(execute=True):
        second_version = services.proposal_submit(proposal=proposal_a, user=supplier_a)
        services.proposal_document_remove(document=first, user=supplier_a)
        replacement = add(proposal_a, supplier_a, title="Licence, revised", file=pdf("v2.pdf"))
        draft_only = add(proposal_a, supplier_a, kind="service", file=pdf("draft.pdf"))
        services.proposal_document_remove(document=draft_only, user=supplier_a)
        third_version = services.proposal_submit(proposal=proposal_a, user=supplier_a)

    snapshots = [
        version.snapshot["documents"] for version in proposal_a.versions.order_by("number")
    ]
    assert snapshots == [
        [],
        [
            {"id": first.pk, "kind": "licence", "title": "Licence.pdf", "size": len(PDF)},
            {"id": sla.pk, "kind": "service", "title": "SLA.docx", "size": len(DOCX)},
        ],
        [
            {"id": sla.pk, "kind": "service", "title": "SLA.docx", "size": len(DOCX)},
            {
                "id": replacement.pk,
                "kind": "licence",
                "title": "Licence, revised",
                "size": len(PDF),
            },
        ],
    ]
    assert (second_version.number, third_version.number) == (2, 3)
    # The first licence file stays for version 2; the draft-only one is gone for good.
    assert ProposalDocument.all_objects.get(pk=first.pk).removed_at is not None
    assert not ProposalDocument.all_objects.filter(pk=draft_only.pk).exists()
    assert list(ProposalDocument.objects.values_list("pk", flat=True)) == [sla.pk, replacement.pk]


def test_the_snapshot_still_holds_terms_and_price(proposal_a):
    snapshot = ProposalVersion.objects.get(proposal=proposal_a).snapshot
    assert (snapshot["licence_terms"], snapshot["service_terms"]) == (LICENCE, SERVICE)
    assert (snapshot["price_amount"], snapshot["price_currency"]) == ("120000.00", "GBP")
    assert snapshot["documents"] == []
    assert Decimal(snapshot["price_amount"]) == proposal_a.price_amount


def url(name: str, *args) -> str:
    return reverse(name, args=args)


# --- the supplier's page ------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}
FIELDS = {
    "licence_terms": LICENCE,
    "service_terms": SERVICE,
    "price_amount": "120000",
    "price_currency": "GBP",
}


def block(html: str, kind: str) -> str:
    """The part of the page that lists one kind of documents."""
    start = html.index(f'data-testid="documents-{kind}"')
    return html[start : html.index("</ul>", start) if "</ul>" in html[start:] else None]


def test_the_page_lists_documents_under_each_terms_field_with_name_size_and_date(
    client, draft_a, supplier_a
):
    licence = add(draft_a, supplier_a, file=pdf("Licence.pdf"))
    service = add(draft_a, supplier_a, kind="service", file=pdf("SLA.pdf", PDF * 100))
    client.force_login(supplier_a)
    html = client.get(url("rfx-proposal", draft_a.rfx_id)).content.decode()
    licence_html, service_html = block(html, "licence"), block(html, "service")
    assert "Licence.pdf" in licence_html and "SLA.pdf" not in licence_html
    assert "SLA.pdf" in service_html and "Licence.pdf" not in service_html
    assert "29\xa0bytes" in licence_html and "2.8\xa0KB" in service_html
    assert f"added {licence.created_at:%-d %b %Y, %H:%M}" in licence_html
    for document in (licence, service):
        link = url("rfx-proposal-document", draft_a.rfx_id, draft_a.pk, document.pk)
        assert f'href="{link}"' in html
    # The licence field sits above its documents, the service field above its own.
    assert (
        html.index('name="licence_terms"')
        < html.index('data-testid="documents-licence"')
        < html.index('name="service_terms"')
        < html.index('data-testid="documents-service"')
    )


def test_an_htmx_upload_answers_with_the_kinds_list(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal-document-add", draft_a.rfx_id, "service"),
        {"service-file": pdf("SLA.pdf"), "service-title": "Service levels"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="documents-service"' in html and "<html" not in html
    assert "Service levels" in html
    assert "“Service levels” was added to your service terms." in html
    document = ProposalDocument.objects.get()
    assert (document.kind, document.title, document.uploaded_by) == (
        "service",
        "Service levels",
        supplier_a,
    )


def test_a_refused_htmx_upload_says_why_and_keeps_the_title(
    client, draft_a, supplier_a, media_in_tmp
):
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal-document-add", draft_a.rfx_id, "licence"),
        {"licence-file": pdf("terms.pdf", b"MZ not a pdf"), "licence-title": "Our licence"},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "terms.pdf: the content does not match its .pdf extension." in html
    assert 'value="Our licence"' in html
    assert not ProposalDocument.all_objects.exists()
    assert stored_files(media_in_tmp) == []

    missing = client.post(url("rfx-proposal-document-add", draft_a.rfx_id, "licence"), **HTMX)
    assert missing.status_code == 422
    assert "Choose a file to upload." in missing.content.decode()


def test_an_htmx_removal_answers_with_the_kinds_list(
    client, draft_a, supplier_a, django_capture_on_commit_callbacks
):
    document = add(draft_a, supplier_a, file=pdf("Old licence.pdf"))
    client.force_login(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("rfx-proposal-document-remove", draft_a.rfx_id, document.pk), **HTMX
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="documents-licence"' in html
    assert "“Old licence.pdf” was removed from your proposal." in html
    assert 'data-testid="no-documents"' in html
    assert not ProposalDocument.all_objects.exists()


def test_without_javascript_upload_saves_the_form_and_adds_the_file(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    page = url("rfx-proposal", draft_a.rfx_id)
    response = client.post(
        page,
        {
            **FIELDS,
            "action": "upload-licence",
            "licence-file": pdf("Licence.pdf"),
            "licence-title": "",
        },
        follow=True,
    )
    assert response.redirect_chain == [(page, 302)]
    assert "“Licence.pdf” was added to your licence terms." in response.content.decode()
    draft_a.refresh_from_db()
    assert (draft_a.licence_terms, draft_a.price_amount) == (LICENCE, Decimal("120000"))
    assert ProposalDocument.objects.get().title == "Licence.pdf"


def test_without_javascript_save_also_uploads_a_chosen_file(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal", draft_a.rfx_id),
        {**FIELDS, "action": "save", "service-file": pdf("SLA.pdf")},
        follow=True,
    )
    html = response.content.decode()
    assert "“SLA.pdf” was added to your service terms." in html
    assert "Your proposal is saved. It is not submitted yet." in html
    assert ProposalDocument.objects.get().kind == "service"


def test_without_javascript_a_bad_price_keeps_what_was_typed_and_stores_nothing(
    client, draft_a, supplier_a
):
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal", draft_a.rfx_id),
        {
            **FIELDS,
            "price_amount": "1,2x",
            "action": "upload-licence",
            "licence-file": pdf("Licence.pdf"),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "&#x27;1,2x&#x27; is not an amount of money." in html
    assert 'value="1,2x"' in html and LICENCE in html and SERVICE in html
    draft_a.refresh_from_db()
    assert (draft_a.licence_terms, draft_a.price_amount) == ("", None)
    assert not ProposalDocument.all_objects.exists()


def test_without_javascript_a_refused_file_is_named_and_the_typed_terms_are_kept(
    client, draft_a, supplier_a
):
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal", draft_a.rfx_id),
        {
            **FIELDS,
            "action": "upload-service",
            "service-file": SimpleUploadedFile("sla.exe", b"MZ"),
            "service-title": "Service levels",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    service_html = block(html, "service")
    assert "sla.exe: files of this type are not accepted." in service_html
    assert 'value="Service levels"' in service_html
    assert LICENCE in html and 'value="120000"' in html
    assert not ProposalDocument.all_objects.exists()

    nothing_chosen = client.post(
        url("rfx-proposal", draft_a.rfx_id), {**FIELDS, "action": "upload-licence"}
    )
    assert nothing_chosen.status_code == 400
    assert "Choose a file to upload." in block(nothing_chosen.content.decode(), "licence")


def test_without_javascript_remove_saves_the_form_and_removes_the_document(
    client, draft_a, supplier_a
):
    document = add(draft_a, supplier_a, file=pdf("Old.pdf"))
    client.force_login(supplier_a)
    response = client.post(
        url("rfx-proposal", draft_a.rfx_id),
        {**FIELDS, "remove": str(document.pk)},
        follow=True,
    )
    assert "“Old.pdf” was removed from your proposal." in response.content.decode()
    assert not ProposalDocument.all_objects.exists()
    draft_a.refresh_from_db()
    assert draft_a.service_terms == SERVICE

    gone = client.post(url("rfx-proposal", draft_a.rfx_id), {**FIELDS, "remove": "999999"})
    assert gone.status_code == 400
    assert "That document is no longer on your proposal." in gone.content.decode()


def test_save_and_submit_sends_the_documents_with_the_version(
    client, proposal_a, supplier_a, django_capture_on_commit_callbacks
):
    licence = add(proposal_a, supplier_a, file=pdf("Licence.pdf"))
    client.force_login(supplier_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("rfx-proposal", proposal_a.rfx_id),
            {**FIELDS, "action": "submit", "service-file": pdf("SLA.pdf")},
            follow=True,
        )
    assert "Your proposal was submitted as version 2." in response.content.decode()
    latest = proposal_a.versions.order_by("-number").first()
    sla = ProposalDocument.objects.get(kind="service")
    assert [(item["id"], item["title"]) for item in latest.snapshot["documents"]] == [
        (licence.pk, "Licence.pdf"),
        (sla.pk, "SLA.pdf"),
    ]
    assert "Version 2:" in response.content.decode()
    assert "2 documents" in response.content.decode()


# --- autosave -----------------------------------------------------------------------------------


def autosave(client, proposal: Proposal, data: dict, **extra):
    return client.post(url("rfx-proposal-autosave", proposal.rfx_id), data, **extra)


def test_the_form_fields_carry_their_autosave(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    html = client.get(url("rfx-proposal", draft_a.rfx_id)).content.decode()
    target = url("rfx-proposal-autosave", draft_a.rfx_id)
    assert html.count(f'hx-post="{target}"') == 4
    assert 'hx-params="licence_terms"' in html and 'hx-target="#saved-licence_terms"' in html
    assert 'hx-params="service_terms"' in html and 'hx-target="#saved-service_terms"' in html
    assert html.count('hx-params="price_amount,price_currency"') == 2
    assert 'id="saved-price"' in html
    assert 'name="htmx-config"' in html


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        ({"licence_terms": LICENCE}, {"licence_terms": LICENCE}),
        ({"service_terms": SERVICE}, {"service_terms": SERVICE}),
        (
            {"price_amount": "95000.50", "price_currency": "eur"},
            {"price_amount": Decimal("95000.50"), "price_currency": "EUR"},
        ),
        ({"price_amount": "", "price_currency": ""}, {"price_amount": None, "price_currency": ""}),
    ],
    ids=["licence", "service", "price", "price-cleared"],
)
def test_autosave_stores_one_field_and_answers_saved(client, draft_a, supplier_a, data, stored):
    client.force_login(supplier_a)
    with frozen(timezone.now().replace(hour=14, minute=2)):
        response = autosave(client, draft_a, data, **HTMX)
    assert response.status_code == 200
    assert response.content.decode().strip() == (
        '<span class="save-ok" data-testid="saved">Saved 14:02</span>'
    )
    draft_a.refresh_from_db()
    assert {name: getattr(draft_a, name) for name in stored} == stored


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"price_amount": "1,2x", "price_currency": "GBP"}, "&#x27;1,2x&#x27; is not an amount"),
        ({"price_amount": "-5", "price_currency": "GBP"}, "The price must be more than zero."),
        (
            {"price_amount": "100", "price_currency": "GB"},
            "Give the currency as a three-letter ISO code, such as GBP or EUR.",
        ),
        ({"price_amount": "", "price_currency": "GBP"}, "Give the amount, or leave the currency"),
        ({"licence_terms": "x" * 20001}, "The terms are longer than 20,000 characters."),
    ],
    ids=["not-money", "negative", "currency", "no-amount", "too-long"],
)
def test_a_refused_autosave_says_why_and_stores_nothing(
    client, proposal_a, supplier_a, data, message
):
    client.force_login(supplier_a)
    response = autosave(client, proposal_a, data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.startswith('<span class="save-error" data-testid="save-error">')
    assert message in html
    # Only the message goes back: the field in the page keeps what was typed.
    assert "<input" not in html and "<textarea" not in html
    proposal_a.refresh_from_db()
    assert (proposal_a.licence_terms, proposal_a.price_amount, proposal_a.price_currency) == (
        LICENCE,
        Decimal("120000"),
        "GBP",
    )


def test_an_amount_sent_alone_keeps_the_saved_currency(client, proposal_a, supplier_a):
    client.force_login(supplier_a)
    assert autosave(client, proposal_a, {"price_amount": "99000"}, **HTMX).status_code == 200
    proposal_a.refresh_from_db()
    assert (proposal_a.price_amount, proposal_a.price_currency) == (Decimal("99000"), "GBP")


def test_a_beacon_as_the_page_is_left_is_saved_with_no_reply(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    response = autosave(
        client, draft_a, {"licence_terms": "Typed just before leaving", "beacon": 1}
    )
    assert response.status_code == 204
    draft_a.refresh_from_db()
    assert draft_a.licence_terms == "Typed just before leaving"


def test_autosave_without_htmx_goes_back_to_the_page_with_a_message(client, draft_a, supplier_a):
    client.force_login(supplier_a)
    response = autosave(client, draft_a, {"service_terms": SERVICE}, follow=True)
    assert response.redirect_chain == [(url("rfx-proposal", draft_a.rfx_id), 302)]
    assert "Your proposal is saved. It is not submitted yet." in response.content.decode()
    assert autosave(client, draft_a, {}, **HTMX).status_code == 400


def test_after_the_deadline_crafted_posts_store_nothing(
    client, proposal_a, supplier_a, media_in_tmp
):
    document = add(proposal_a, supplier_a, file=pdf("Licence.pdf"))
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    rfx = proposal_a.rfx
    client.force_login(supplier_a)
    with frozen(rfx.proposal_deadline + timedelta(seconds=1)):
        saved = autosave(client, proposal_a, {"licence_terms": "Changed"}, **HTMX)
        priced = autosave(client, proposal_a, {"price_amount": "1", "price_currency": "GBP"})
        uploaded = client.post(
            url("rfx-proposal-document-add", rfx.pk, "service"),
            {"service-file": pdf("late.pdf")},
            **HTMX,
        )
        removed = client.post(url("rfx-proposal-document-remove", rfx.pk, document.pk), **HTMX)
        whole_form = client.post(
            url("rfx-proposal", rfx.pk),
            {**FIELDS, "action": "upload-service", "service-file": pdf("late.pdf")},
        )
    assert [saved.status_code, uploaded.status_code, removed.status_code] == [403, 403, 403]
    assert priced.status_code == 302  # without htmx: back to the page, with the message
    assert whole_form.status_code == 403
    assert "nothing more can be sent" in saved.content.decode()
    assert "nothing more can be sent" in uploaded.content.decode()
    assert "nothing more can be sent" in removed.content.decode()
    assert 'type="file"' not in uploaded.content.decode()  # the list, read-only
    proposal_a.refresh_from_db()
    assert (proposal_a.licence_terms, proposal_a.price_amount) == (LICENCE, Decimal("120000"))
    assert list(ProposalDocument.all_objects.values_list("pk", "removed_at")) == [
        (document.pk, None)
    ]
    assert stored_files(media_in_tmp) == ["Licence.pdf"]


@pytest.mark.parametrize("who", ["supplier_b", "outsider", "buyer"])
def test_others_cannot_reach_supplier_as_documents_or_autosave(
    client, draft_a, request, who, published_rfx
):
    document = add(draft_a, draft_a.created_by, file=pdf("Licence.pdf"))
    client.force_login(request.getfixturevalue(who))
    responses = [
        autosave(client, draft_a, {"licence_terms": "Mine now"}, **HTMX),
        client.post(
            url("rfx-proposal-document-add", published_rfx.pk, "licence"),
            {"licence-file": pdf("x.pdf")},
            **HTMX,
        ),
        client.post(url("rfx-proposal-document-remove", published_rfx.pk, document.pk), **HTMX),
    ]
    assert [response.status_code for response in responses] == [404, 404, 404]
    draft_a.refresh_from_db()
    assert draft_a.licence_terms == ""
    assert list(ProposalDocument.objects.values_list("pk", flat=True)) == [document.pk]


def test_supplier_b_cannot_remove_supplier_as_document_through_its_own_proposal(
    client, draft_a, supplier_a, supplier_b, published_rfx
):
    document = add(draft_a, supplier_a)
    services.proposal_start(rfx=published_rfx, user=supplier_b)
    client.force_login(supplier_b)
    response = client.post(
        url("rfx-proposal-document-remove", published_rfx.pk, document.pk), **HTMX
    )
    assert response.status_code == 404
    assert ProposalDocument.objects.filter(pk=document.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, draft_a):
    for target in (
        url("rfx-proposal-autosave", draft_a.rfx_id),
        url("rfx-proposal-document-add", draft_a.rfx_id, "licence"),
        url("rfx-proposal-document-remove", draft_a.rfx_id, 1),
    ):
        response = client.post(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# session, user, rfx, invitation check, proposal, roles; own invitation, versions, documents
# (one query whatever their number); questionnaire progress (framework, evidence counts,
# answers, questions, criteria); the navigation's memberships.
PROPOSAL_PAGE_QUERIES = 15


def test_the_proposal_page_costs_the_same_queries_with_more_documents(
    client, draft_a, supplier_a, django_assert_num_queries
):
    client.force_login(supplier_a)
    page = url("rfx-proposal", draft_a.rfx_id)
    add(draft_a, supplier_a)
    client.get(page)  # the framework's questions are cached from the first view on
    with django_assert_num_queries(PROPOSAL_PAGE_QUERIES):
        assert client.get(page).status_code == 200
    for number in range(4):
        add(draft_a, supplier_a, kind=("licence", "service")[number % 2], file=pdf(f"{number}.pdf"))
    with django_assert_num_queries(PROPOSAL_PAGE_QUERIES):
        html = client.get(page).content.decode()
    assert html.count('data-testid="document"') == 5


def test_after_the_deadline_the_supplier_reads_the_documents_it_submitted(
    client, proposal_a, supplier_a
):
    sent = add(proposal_a, supplier_a, file=pdf("Licence.pdf"))
    removed_later = add(proposal_a, supplier_a, kind="service", file=pdf("Old SLA.pdf"))
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    services.proposal_document_remove(document=removed_later, user=supplier_a)
    add(proposal_a, supplier_a, file=pdf("Never sent.pdf"))
    services.proposal_update(proposal=proposal_a, user=supplier_a, licence_terms="Unsent draft")
    client.force_login(supplier_a)
    with frozen(proposal_a.rfx.proposal_deadline + timedelta(minutes=1)):
        html = client.get(url("rfx-proposal", proposal_a.rfx_id)).content.decode()
        downloads = [
            client.get(
                url("rfx-proposal-document", proposal_a.rfx_id, proposal_a.pk, document.pk)
            ).status_code
            for document in (sent, removed_later)
        ]
    assert 'data-testid="proposal-read-only"' in html and 'type="file"' not in html
    assert "Version 2, submitted" in html
    assert "Licence.pdf" in block(html, "licence") and "Old SLA.pdf" in block(html, "service")
    assert "Never sent.pdf" not in html and "Unsent draft" not in html and LICENCE in html
    assert "Remove" not in block(html, "licence")
    assert downloads == [200, 200]


# --- the evaluation page ------------------------------------------------------------------------


def test_the_evaluation_page_lists_each_proposals_documents_beside_its_terms(
    client, published_rfx, proposal_a, proposal_b, supplier_a, supplier_b, buyer, reviewer
):
    a_licence = add(proposal_a, supplier_a, file=pdf("Acme licence.pdf"))
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    add(proposal_a, supplier_a, file=pdf("Acme draft.pdf"))  # after the last submission
    b_sla = add(proposal_b, supplier_b, kind="service", file=pdf("Heron SLA.pdf"))
    services.proposal_submit(proposal=proposal_b, user=supplier_b)
    member = services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer)
    services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    client.force_login(reviewer)
    html = client.get(url("rfx-evaluation", published_rfx.pk)).content.decode()
    a_section = html[html.index(f'id="proposal-{proposal_a.pk}"') :]
    a_section = a_section[: a_section.index("</section>")]
    b_section = html[html.index(f'id="proposal-{proposal_b.pk}"') :]
    a_link = url("rfx-proposal-document", published_rfx.pk, proposal_a.pk, a_licence.pk)
    b_link = url("rfx-proposal-document", published_rfx.pk, proposal_b.pk, b_sla.pk)
    assert f'<a href="{a_link}">Acme licence.pdf</a>' in a_section
    assert 'data-testid="licence-documents"' in a_section
    assert f'<a href="{b_link}">Heron SLA.pdf</a>' in b_section
    assert "Acme draft.pdf" not in html
    assert client.get(a_link).status_code == 200


# --- downloads: who gets which file -------------------------------------------------------------

ROLES = ["alice", "bob", "charlie", "dana", "eve", "anonymous"]


@pytest.fixture
def documents(proposal_a, proposal_b, supplier_a, supplier_b) -> dict[str, ProposalDocument]:
    """Supplier A's documents: `latest` is in its latest submitted version, `earlier` only in
    an earlier version (taken off the draft since), `draft` in no version. B has its own."""
    latest = add(proposal_a, supplier_a, file=pdf("Licence.pdf"))
    earlier = add(proposal_a, supplier_a, kind="service", file=pdf("Old SLA.pdf"))
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    services.proposal_document_remove(document=earlier, user=supplier_a)
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    draft = add(proposal_a, supplier_a, kind="service", file=pdf("Draft SLA.pdf"))
    heron = add(proposal_b, supplier_b, file=pdf("Heron licence.pdf"))
    services.proposal_submit(proposal=proposal_b, user=supplier_b)
    return {"latest": latest, "earlier": earlier, "draft": draft, "heron": heron}


@pytest.fixture
def people(buyer, reviewer, supplier_a, supplier_b, outsider) -> dict:
    return {
        "alice": buyer,
        "bob": reviewer,
        "charlie": supplier_a,
        "dana": supplier_b,
        "eve": outsider,
        "anonymous": None,
    }


def _set_up(state: str, rfx: RFx, buyer, reviewer) -> None:
    """open and past_deadline: bob on the team and declared, nothing closed yet; undeclared:
    bob on the team without declaring, then closed; closed: declared, then closed."""
    member = services.rfx_reviewer_assign(rfx=rfx, reviewer=reviewer, user=buyer)
    if state != "undeclared":
        services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    if state in ("undeclared", "closed"):
        with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
            services.rfx_close_due()
        rfx.refresh_from_db()


@pytest.mark.parametrize(
    ("state", "document", "expected"),
    [
        # alice, bob, charlie, dana, eve, anonymous (302: sent to sign in)
        ("open", "latest", [404, 404, 200, 404, 404, 302]),
        ("open", "draft", [404, 404, 200, 404, 404, 302]),
        ("past_deadline", "latest", [404, 404, 200, 404, 404, 302]),
        ("undeclared", "latest", [200, 404, 200, 404, 404, 302]),
        ("closed", "latest", [200, 200, 200, 404, 404, 302]),
        ("closed", "earlier", [404, 404, 200, 404, 404, 302]),
        ("closed", "draft", [404, 404, 200, 404, 404, 302]),
    ],
)
def test_who_downloads_which_document(
    client, published_rfx, documents, people, buyer, reviewer, state, document, expected
):
    _set_up(state, published_rfx, buyer, reviewer)
    target = documents[document]
    link = url("rfx-proposal-document", published_rfx.pk, target.proposal_id, target.pk)
    statuses = []
    for role in ROLES:
        client.logout()
        if people[role] is not None:
            client.force_login(people[role])
        if state == "past_deadline":
            # The deadline has passed but the close job has not run: still sealed.
            with frozen(published_rfx.proposal_deadline + timedelta(minutes=1)):
                statuses.append(client.get(link).status_code)
        else:
            statuses.append(client.get(link).status_code)
    assert statuses == expected


def test_a_download_is_the_file_as_a_private_attachment(client, documents, supplier_a):
    document = documents["latest"]
    client.force_login(supplier_a)
    response = client.get(
        url("rfx-proposal-document", document.proposal.rfx_id, document.proposal_id, document.pk)
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="Licence.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"


def test_a_document_is_only_reached_through_its_own_proposal_and_rfx(
    client, documents, supplier_a, supplier_b, proposal_a, proposal_b, buyer, framework
):
    other_rfx = services.rfx_create(
        buyer=proposal_a.rfx.buyer, user=buyer, title="Another", framework=framework
    )
    client.force_login(supplier_a)
    mine = documents["latest"]
    for link in (
        url("rfx-proposal-document", other_rfx.pk, proposal_a.pk, mine.pk),
        url("rfx-proposal-document", proposal_a.rfx_id, proposal_a.pk, documents["heron"].pk),
        url("rfx-proposal-document", proposal_a.rfx_id, proposal_b.pk, documents["heron"].pk),
    ):
        assert client.get(link).status_code == 404
    client.force_login(supplier_b)
    heron = documents["heron"]
    assert (
        client.get(
            url("rfx-proposal-document", proposal_b.rfx_id, proposal_b.pk, heron.pk)
        ).status_code
        == 200
    )


def test_a_file_lost_from_storage_is_a_404(client, documents, supplier_a):
    document = documents["latest"]
    document.file.storage.delete(document.file.name)
    client.force_login(supplier_a)
    link = url("rfx-proposal-document", document.proposal.rfx_id, document.proposal_id, document.pk)
    assert client.get(link).status_code == 404


def test_media_urls_are_not_served(client, documents, supplier_a):
    """Files are only ever handed out by the permission-checked view."""
    client.force_login(supplier_a)
    assert client.get("/media/" + documents["latest"].file.name).status_code == 404
