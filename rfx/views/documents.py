"""Downloads of the documents of a proposal's licence and service terms.

Files are never served from a public media URL: every download checks who asks
(`get_proposal_document_for_user`). The supplier's own members get what is on the draft and
what their versions sent; the buyer's procurement managers and cleared reviewers, once the
RFx has closed, get what the latest submission lists. Anyone else gets a 404.
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path
from django.views.decorators.http import require_GET

from rfx.models import ProposalDocument
from rfx.selectors import get_proposal_document_for_user, get_proposal_for_user


def document_response(document: ProposalDocument, content_type: str | None = None) -> FileResponse:
    """The file as an attachment that no cache keeps; a 404 if storage has lost it."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=PurePath(document.file.name).name,
        **({"content_type": content_type} if content_type else {}),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def proposal_document(
    request: HttpRequest, pk: int, proposal_pk: int, document_pk: int
) -> FileResponse:
    proposal = get_proposal_for_user(request.user, proposal_pk)
    if proposal.rfx_id != pk:
        raise Http404("No such proposal.")
    return document_response(get_proposal_document_for_user(request.user, proposal, document_pk))


urlpatterns = [
    path(
        "<int:pk>/proposals/<int:proposal_pk>/documents/<int:document_pk>/",
        proposal_document,
        name="rfx-proposal-document",
    ),
]
