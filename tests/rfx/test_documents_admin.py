"""The Django admin lists proposal documents read-only, removed ones included, without links."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rfx import services
from rfx.models import ProposalDocument
from tests.factories import UserFactory

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_admin_shows_documents_read_only_with_removed_ones_and_no_link(
    client, published_rfx, supplier_a
):
    proposal = services.proposal_start(rfx=published_rfx, user=supplier_a)
    document = services.proposal_document_add(
        proposal=proposal,
        user=supplier_a,
        kind="licence",
        title="Model licence draft",
        file=SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"),
    )
    # Taken off the draft after a submission: a submitted version still lists it.
    ProposalDocument.all_objects.filter(pk=document.pk).update(removed_at=timezone.now())
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:rfx_proposaldocument_changelist"))
    page = client.get(reverse("admin:rfx_proposaldocument_change", args=[document.pk]))

    assert listing.status_code == page.status_code == 200
    assert "Model licence draft" in listing.content.decode()
    html = page.content.decode()
    assert f"({len(PDF):,} bytes)" in html
    assert document.file.url not in html  # named, never linked
    assert 'name="_save"' not in html
    assert client.get(reverse("admin:rfx_proposaldocument_add")).status_code == 403
