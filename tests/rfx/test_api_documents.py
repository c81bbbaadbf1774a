"""The API of proposal documents: a supplier's own (list, upload, remove) and, for the
evaluation team once the RFx has closed, the documents of each latest submission.

Roles: alice (procurement manager), bob (reviewer on the team), charlie (supplier A),
dana (supplier B), eve (no organisation), anonymous.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from rfx import services
from rfx.models import Proposal, ProposalDocument, RFx
from tests.rfx.conftest import frozen

API = "/api/v1/rfx/"
SITE = "http://testserver"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
LICENCE = "Perpetual licence to the models."
SERVICE = "Support in working hours."
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}
NO_PROPOSAL = {"detail": "Your organisation has not started a proposal for this RFx."}
NO_DOCUMENT = {"detail": "Your proposal has no such document."}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def ts(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def pdf(name: str = "Licence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def add(proposal: Proposal, user, kind: str = "licence", **fields) -> ProposalDocument:
    fields.setdefault("file", pdf())
    return services.proposal_document_add(proposal=proposal, user=user, kind=kind, **fields)


def download_path(document: ProposalDocument) -> str:
    proposal = document.proposal
    return f"{API}{proposal.rfx_id}/proposals/{proposal.pk}/documents/{document.pk}/download/"


def document_body(document: ProposalDocument) -> dict:
    document.refresh_from_db()
    return {
        "id": document.pk,
        "kind": document.kind,
        "title": document.title,
        "size": document.size,
        "content_type": document.content_type,
        "uploaded_by": document.uploaded_by.username,
        "uploaded_at": ts(document.created_at),
        "download_url": SITE + download_path(document),
    }


@pytest.fixture
def draft_a(published_rfx, supplier_a) -> Proposal:
    return services.proposal_start(rfx=published_rfx, user=supplier_a)


# --- the supplier's own documents ---------------------------------------------------------------


def test_a_supplier_lists_uploads_and_removes_its_documents(
    draft_a, supplier_a, django_capture_on_commit_callbacks, media_in_tmp
):
    client = client_for(supplier_a)
    documents = f"{API}{draft_a.rfx_id}/proposal/documents/"
    assert client.get(documents).json() == []

    response = client.post(
        documents,
        {"kind": "service", "file": pdf("SLA.pdf"), "title": "Service levels"},
        format="multipart",
    )
    assert response.status_code == 201
    document = ProposalDocument.objects.get()
    assert response.json() == {
        "id": document.pk,
        "kind": "service",
        "title": "Service levels",
        "size": len(PDF),
        "content_type": "application/pdf",
        "uploaded_by": "charlie",
        "uploaded_at": ts(document.created_at),
        "download_url": f"{SITE}{API}{draft_a.rfx_id}/proposals/{draft_a.pk}/documents/"
        f"{document.pk}/download/",
    }
    untitled = client.post(documents, {"kind": "licence", "file": pdf()}, format="multipart")
    assert untitled.json()["title"] == "Licence.pdf"
    second = ProposalDocument.objects.get(kind="licence")
    assert client.get(documents).json() == [document_body(document), document_body(second)]

    downloaded = client.get(download_path(document))
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded["Content-Disposition"] == 'attachment; filename="SLA.pdf"'

    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(f"{documents}{document.pk}/")
    assert (removed.status_code, removed.content) == (204, b"")
    assert client.get(documents).json() == [document_body(second)]
    assert not ProposalDocument.all_objects.filter(pk=document.pk).exists()
    assert sorted(path.name for path in media_in_tmp.rglob("*.pdf")) == ["Licence.pdf"]
    assert client.delete(f"{documents}{document.pk}/").json() == NO_DOCUMENT


@pytest.mark.parametrize(
    ("data", "body"),
    [
        (
            {"kind": "licence", "file": SimpleUploadedFile("setup.exe", b"MZ")},
            {
                "detail": "setup.exe: files of this type are not accepted. "
                "Accepted: .docx, .md, .ods, .odt, .pdf, .txt, .xlsx."
            },
        ),
        (
            {"kind": "licence", "file": pdf("terms.pdf", b"not a pdf")},
            {"detail": "terms.pdf: the content does not match its .pdf extension."},
        ),
        (
            {"kind": "licence", "file": pdf("empty.pdf", b"")},
            {"detail": "empty.pdf: the file is empty."},
        ),
        ({"kind": "licence"}, {"file": ["No file was submitted."]}),
        ({"file": pdf()}, {"kind": ["This field is required."]}),
        ({"kind": "price", "file": pdf()}, {"kind": ['"price" is not a valid choice.']}),
    ],
    ids=["type", "content", "empty", "no-file", "no-kind", "bad-kind"],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    draft_a, supplier_a, media_in_tmp, data, body
):
    response = client_for(supplier_a).post(
        f"{API}{draft_a.rfx_id}/proposal/documents/", data, format="multipart"
    )
    assert (response.status_code, response.json()) == (400, body)
    assert not ProposalDocument.all_objects.exists()
    assert not list(media_in_tmp.rglob("*.*"))


def test_removing_a_submitted_document_keeps_it_for_its_version(proposal_a, supplier_a):
    document = add(proposal_a, supplier_a)
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    client = client_for(supplier_a)
    assert client.delete(f"{API}{proposal_a.rfx_id}/proposal/documents/{document.pk}/").status_code
    assert client.get(f"{API}{proposal_a.rfx_id}/proposal/documents/").json() == []
    document = ProposalDocument.all_objects.get()
    assert document.removed_at is not None
    assert client.get(download_path(document)).status_code == 200  # its version still lists it


def test_after_the_deadline_nothing_is_uploaded_or_removed(proposal_a, supplier_a, media_in_tmp):
    document = add(proposal_a, supplier_a)
    rfx = proposal_a.rfx
    client = client_for(supplier_a)
    with frozen(rfx.proposal_deadline + timedelta(seconds=1)):
        uploaded = client.post(
            f"{API}{rfx.pk}/proposal/documents/",
            {"kind": "service", "file": pdf("late.pdf")},
            format="multipart",
        )
        removed = client.delete(f"{API}{rfx.pk}/proposal/documents/{document.pk}/")
        listed = client.get(f"{API}{rfx.pk}/proposal/documents/")
    for response in (uploaded, removed):
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The proposal deadline passed on ")
        assert response.json()["detail"].endswith("; nothing more can be sent.")
    assert listed.json() == [document_body(document)]
    assert list(ProposalDocument.all_objects.values_list("pk", "removed_at")) == [
        (document.pk, None)
    ]
    assert sorted(path.name for path in media_in_tmp.rglob("*.pdf")) == ["Licence.pdf"]


@pytest.mark.parametrize(
    ("role", "listed", "uploaded", "removed"),
    [
        ("buyer", (404, NO_PROPOSAL), (404, NO_PROPOSAL), (404, NO_PROPOSAL)),
        # A reviewer on no evaluation team does not see the RFx at all.
        ("reviewer", (404, NOT_FOUND), (404, NOT_FOUND), (404, NOT_FOUND)),
        ("supplier_b", (200, []), (201, None), (404, NO_DOCUMENT)),
        ("outsider", (404, NOT_FOUND), (404, NOT_FOUND), (404, NOT_FOUND)),
        ("anonymous", (403, NOT_SIGNED_IN), (403, NOT_SIGNED_IN), (403, NOT_SIGNED_IN)),
    ],
)
def test_no_one_else_reaches_supplier_as_documents(
    request, draft_a, supplier_a, supplier_b, published_rfx, role, listed, uploaded, removed
):
    """Supplier B has started its own proposal: what it sends goes there, never to A's."""
    services.proposal_start(rfx=published_rfx, user=supplier_b)
    document = add(draft_a, supplier_a)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(user)
    documents = f"{API}{published_rfx.pk}/proposal/documents/"
    responses = [
        client.get(documents),
        client.post(documents, {"kind": "licence", "file": pdf("x.pdf")}, format="multipart"),
        client.delete(f"{documents}{document.pk}/"),
    ]
    for response, (status, body) in zip(responses, (listed, uploaded, removed), strict=True):
        assert response.status_code == status
        if body is not None:
            assert response.json() == body
    assert list(ProposalDocument.objects.filter(proposal=draft_a).values_list("pk", flat=True)) == [
        document.pk
    ]
    if role == "supplier_b":
        assert ProposalDocument.objects.exclude(proposal=draft_a).get().title == "x.pdf"


# --- the evaluation team, after the close -------------------------------------------------------


@pytest.fixture
def documents(proposal_a, proposal_b, supplier_a, supplier_b) -> dict[str, ProposalDocument]:
    """A: `latest` in its latest version, `earlier` only in an earlier one, `draft` in none."""
    latest = add(proposal_a, supplier_a)
    earlier = add(proposal_a, supplier_a, kind="service", file=pdf("Old SLA.pdf"))
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    services.proposal_document_remove(document=earlier, user=supplier_a)
    services.proposal_submit(proposal=proposal_a, user=supplier_a)
    draft = add(proposal_a, supplier_a, kind="service", file=pdf("Draft SLA.pdf"))
    heron = add(proposal_b, supplier_b, kind="service", file=pdf("Heron SLA.pdf"))
    services.proposal_submit(proposal=proposal_b, user=supplier_b)
    return {"latest": latest, "earlier": earlier, "draft": draft, "heron": heron}


def _close(rfx: RFx, buyer, reviewer, *, declare: bool = True) -> None:
    member = services.rfx_reviewer_assign(rfx=rfx, reviewer=reviewer, user=buyer)
    if declare:
        services.rfx_reviewer_declare_no_conflict(member=member, user=reviewer)
    with frozen(rfx.proposal_deadline + timedelta(minutes=1)):
        services.rfx_close_due()
    rfx.refresh_from_db()


def submitted_document(document: ProposalDocument) -> dict:
    return {
        "id": document.pk,
        "kind": document.kind,
        "title": document.title,
        "size": document.size,
        "download_url": SITE + download_path(document),
    }


def test_after_the_close_the_proposals_list_carries_each_latest_submissions_documents(
    published_rfx, documents, proposal_a, proposal_b, buyer, reviewer
):
    _close(published_rfx, buyer, reviewer)
    for user in (buyer, reviewer):
        rows = client_for(user).get(f"{API}{published_rfx.pk}/proposals/").json()
        versions = {
            proposal.pk: proposal.versions.order_by("-number").first()
            for proposal in (proposal_a, proposal_b)
        }
        assert rows == [
            {
                "id": proposal_a.pk,
                "supplier": "Acme Analytics",
                "version": 3,
                "submitted_at": ts(versions[proposal_a.pk].created_at),
                "maturity_assessment": proposal_a.maturity_assessment_id,
                "extra_assessment": None,
                "licence_terms": LICENCE,
                "service_terms": SERVICE,
                "documents": [submitted_document(documents["latest"])],
            },
            {
                "id": proposal_b.pk,
                "supplier": "Blue Heron AI",
                "version": 2,
                "submitted_at": ts(versions[proposal_b.pk].created_at),
                "maturity_assessment": proposal_b.maturity_assessment_id,
                "extra_assessment": None,
                "licence_terms": LICENCE,
                "service_terms": SERVICE,
                "documents": [submitted_document(documents["heron"])],
            },
        ]


@pytest.mark.parametrize(
    ("state", "document", "expected"),
    [
        # alice, bob, charlie, dana, eve, anonymous
        ("open", "latest", [404, 404, 200, 404, 404, 403]),
        ("undeclared", "latest", [200, 404, 200, 404, 404, 403]),
        ("closed", "latest", [200, 200, 200, 404, 404, 403]),
        ("closed", "earlier", [404, 404, 200, 404, 404, 403]),
        ("closed", "draft", [404, 404, 200, 404, 404, 403]),
        ("closed", "heron", [200, 200, 404, 200, 404, 403]),
    ],
)
def test_who_downloads_which_document_through_the_api(
    published_rfx,
    documents,
    buyer,
    reviewer,
    supplier_a,
    supplier_b,
    outsider,
    state,
    document,
    expected,
):
    if state == "open":
        services.rfx_reviewer_declare_no_conflict(
            member=services.rfx_reviewer_assign(rfx=published_rfx, reviewer=reviewer, user=buyer),
            user=reviewer,
        )
    else:
        _close(published_rfx, buyer, reviewer, declare=state == "closed")
    path = download_path(documents[document])
    responses = [
        client_for(user).get(path)
        for user in (buyer, reviewer, supplier_a, supplier_b, outsider, None)
    ]
    assert [response.status_code for response in responses] == expected
    for response in responses:
        if response.status_code == 200:
            assert b"".join(response.streaming_content) == PDF
        elif response.status_code == 404:
            assert response.json() == NOT_FOUND
        else:
            assert response.json() == NOT_SIGNED_IN


def test_a_document_is_only_reached_through_its_own_rfx_and_proposal(
    published_rfx, documents, proposal_a, proposal_b, buyer, reviewer
):
    _close(published_rfx, buyer, reviewer)
    client = client_for(buyer)
    latest = documents["latest"]
    for path in (
        f"{API}{published_rfx.pk + 1}/proposals/{proposal_a.pk}/documents/{latest.pk}/download/",
        f"{API}{published_rfx.pk}/proposals/{proposal_b.pk}/documents/{latest.pk}/download/",
    ):
        assert client.get(path).json() == NOT_FOUND


# session, user, rfx, roles, invitation check, own proposal, documents (with uploader and
# proposal joined): the same whatever their number. The proposals list reads documents from
# each submission's snapshot, so it costs nothing more.
OWN_DOCUMENT_QUERIES = 7


def test_query_counts_do_not_grow_with_documents(
    published_rfx, draft_a, supplier_a, django_assert_num_queries
):
    client = client_for(supplier_a)
    path = f"{API}{published_rfx.pk}/proposal/documents/"
    add(draft_a, supplier_a)
    with django_assert_num_queries(OWN_DOCUMENT_QUERIES):
        assert len(client.get(path).json()) == 1
    for number in range(4):
        add(draft_a, supplier_a, file=pdf(f"{number}.pdf"))
    with django_assert_num_queries(OWN_DOCUMENT_QUERIES):
        assert len(client.get(path).json()) == 5


def test_the_proposals_list_costs_no_more_queries_with_documents(
    published_rfx, documents, buyer, reviewer, django_assert_num_queries
):
    from tests.rfx.test_api import PROPOSAL_QUERIES

    _close(published_rfx, buyer, reviewer)
    client = client_for(reviewer)
    with django_assert_num_queries(PROPOSAL_QUERIES):
        rows = client.get(f"{API}{published_rfx.pk}/proposals/").json()
    assert [len(row["documents"]) for row in rows] == [1, 1]


# --- schema -------------------------------------------------------------------------------------


def test_the_document_endpoints_are_in_the_schema():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in (
        "/api/v1/rfx/{rfx_id}/proposal/documents/:",
        "/api/v1/rfx/{rfx_id}/proposal/documents/{document_id}/:",
        "/api/v1/rfx/{rfx_id}/proposals/{proposal_id}/documents/{document_id}/download/:",
    ):
        assert path in schema
    upload = schema[schema.index("    ProposalDocumentInput:") :]
    assert "format: binary" in upload[: upload.index("required:")]
    assert "ProposalDocumentKindEnum" in schema
