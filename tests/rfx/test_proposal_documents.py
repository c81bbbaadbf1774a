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
