"""The supplier's RFx pages: the invitation link, the RFx as a supplier reads it, the proposal
and, after the award, the supplier's own feedback.

Only members of an invited supplier see these pages; everyone else gets a 404, as if the RFx
did not exist. The invitation link is public but says nothing until its token is valid.
Every write goes through a service, which checks the server's clock itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, User
from assessments import services as assessment_services
from core.exceptions import ApplicationError
from core.uploads import accepted_label
from rfx import services
from rfx.competition_display import metrics_view
from rfx.models import (
    Invitation,
    Proposal,
    ProposalDocument,
    ProposalVersion,
    RFx,
)
from rfx.selectors import (
    clarification_list_for_supplier,
    get_rfx_for_user,
    proposal_document_list,
    proposal_for_supplier,
    section_list,
    supplier_outcome,
)
from rfx.supplier_forms import (
    AcceptForm,
    ClarificationForm,
    DeclineForm,
    DocumentUploadForm,
    ProposalForm,
    RegisterForm,
)

TIMELINE = [
    ("issue_date", "Issue date", "is", "was"),
    ("clarification_deadline", "Clarification questions", "close", "closed"),
    ("proposal_deadline", "Proposal deadline", "closes", "closed"),
    ("shortlist_date", "Short-list", "is", "was"),
    ("contract_drafting_date", "Contract drafting", "starts", "started"),
]
TERMS_SECTIONS = ("contract-terms", "legal-conditions")


# --- words --------------------------------------------------------------------------------------


def moment_in_words(
    moment: datetime, now: datetime, future: str = "closes", past: str = "closed"
) -> str:
    """ "closes in 3 days, on 12 December at 17:00" or "closed on 12 December at 17:00"."""
    local = timezone.localtime(moment)
    day = date_format(local, "j F" if local.year == timezone.localtime(now).year else "j F Y")
    when = f"on {day} at {local:%H:%M}"
    if moment <= now:
        return f"{past} {when}"
    seconds = (moment - now).total_seconds()
    if seconds >= 2 * 86400:
        count, unit = int(seconds // 86400), "day"
    elif seconds >= 2 * 3600:
        count, unit = int(seconds // 3600), "hour"
    else:
        count, unit = max(1, int(seconds // 60)), "minute"
    return f"{future} in {count} {unit}{'s' if count != 1 else ''}, {when}"


# --- fetching with a permission check -----------------------------------------------------------


def _supplier_rfx(user: User, pk: int) -> RFx:
    """An RFx this person's supplier organisation is invited to; a 404 for anyone else."""
    rfx = get_rfx_for_user(user, pk)
    if not user.has_perm("rfx.ask_clarification", rfx):
        raise Http404("No such RFx.")
    return rfx


def _own_invitation(rfx: RFx, user: User) -> Invitation | None:
    return (
        rfx.invitations.filter(
            supplier__memberships__user=user, supplier__memberships__role=Membership.Role.SUPPLIER
        )
        .select_related("supplier")
        .first()
    )


def _invitation_for_token(token: str) -> Invitation | None:
    """A link that still works: known, unused, and its RFx still taking proposals."""
    invitation = (
        Invitation.objects.filter(token_hash=services.hash_token(token), token_used_at__isnull=True)
        .exclude(token_hash="")
        .select_related("rfx", "rfx__buyer", "supplier")
        .first()
    )
    if invitation is None:
        return None
    rfx = invitation.rfx
    if rfx.status != RFx.Status.PUBLISHED or timezone.now() >= rfx.proposal_deadline:
        return None
    return invitation


def _terms_sections(rfx: RFx) -> list:
    return list(section_list(rfx).filter(key__in=TERMS_SECTIONS))


# --- the invitation link ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = _invitation_for_token(token)
    if found is None:
        return render(request, "rfx/supplier/invitation_invalid.html", status=404)
    user = request.user
    if not user.is_authenticated:
        return _invitation_anonymous(request, token, found)
    if not Membership.objects.filter(
        user=user, organisation_id=found.supplier_id, role=Membership.Role.SUPPLIER
    ).exists():
        return render(request, "rfx/supplier/invitation_wrong_account.html", status=403)
    if found.status != Invitation.Status.PENDING:
        try:
            services.invitation_redeem(token=token, user=user)
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("rfx-supplier-detail", found.rfx_id)
    accept_form, decline_form = AcceptForm(), DeclineForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "accept":
            accept_form = AcceptForm(request.POST)
        else:
            decline_form = DeclineForm(request.POST)
        form = accept_form if action == "accept" else decline_form
        if form.is_valid():
            try:
                data = form.cleaned_data
                services.invitation_respond(
                    token=token,
                    user=user,
                    accept_terms=data.get("accept_terms"),
                    reason=data["reason"] if action == "decline" else None,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return _after_response(request, found.rfx_id, action)
    return render(
        request,
        "rfx/supplier/invitation_respond.html",
        {
            "invitation": found,
            "rfx": found.rfx,
            "deadline_words": moment_in_words(found.rfx.proposal_deadline, timezone.now()),
            "terms_sections": _terms_sections(found.rfx),
            "accept_form": accept_form,
            "decline_form": decline_form,
            "respond_url": request.path,
        },
    )


def _invitation_anonymous(request: HttpRequest, token: str, found: Invitation) -> HttpResponse:
    form = RegisterForm(initial={"email": found.email})
    if request.method == "POST":
        form = RegisterForm(request.POST, initial={"email": found.email})
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.invitation_register(
                    token=token,
                    username=data["username"],
                    password=data["password1"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, "Your account is ready. Now answer the invitation.")
                return redirect(request.path)
    login_url = f"{reverse('login')}?{urlencode({'next': request.path})}"
    return render(
        request,
        "rfx/supplier/invitation_anonymous.html",
        {"form": form, "login_url": login_url},
    )


def _respond(invitation: Invitation, user: User, action: str, data: dict[str, Any]) -> None:
    if action == "accept":
        services.invitation_accept(
            invitation=invitation, user=user, accept_terms=data["accept_terms"]
        )
    else:
        services.invitation_decline(invitation=invitation, user=user, reason=data["reason"])


def _after_response(request: HttpRequest, rfx_id: int, action: str) -> HttpResponse:
    if action == "accept":
        messages.success(
            request, "You have accepted the invitation. You can now prepare a proposal."
        )
    else:
        messages.success(request, "You have declined the invitation. The buyer has your reason.")
    return redirect("rfx-supplier-detail", rfx_id)


@login_required
@require_POST
def invitation_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or decline from the RFx page, once the e-mail's link has been used."""
    rfx = _supplier_rfx(request.user, pk)
    own = _own_invitation(rfx, request.user)
    action = "accept" if request.POST.get("action") == "accept" else "decline"
    form = AcceptForm(request.POST) if action == "accept" else DeclineForm(request.POST)
    if form.is_valid():
        try:
            _respond(own, request.user, action, form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return _after_response(request, rfx.pk, action)
    forms = {"accept_form": AcceptForm(), "decline_form": DeclineForm()}
    forms[f"{action}_form"] = form
    return _render_detail(request, rfx, status=400, **forms)


# --- the RFx as the supplier reads it -----------------------------------------------------------


def _clarifications_open(rfx: RFx, now: datetime) -> bool:
    deadline = rfx.clarification_deadline
    return rfx.status == RFx.Status.PUBLISHED and deadline is not None and now < deadline


def _render_detail(
    request: HttpRequest, rfx: RFx, *, status: int = 200, **extra: Any
) -> HttpResponse:
    now = timezone.now()
    own = _own_invitation(rfx, request.user)
    timeline = [
        {"label": label, "moment": moment, "words": moment_in_words(moment, now, future, past)}
        for name, label, future, past in TIMELINE
        if (moment := getattr(rfx, name)) is not None
    ]
    context = {
        "rfx": rfx,
        "invitation": own,
        "sections": section_list(rfx),
        "timeline": timeline,
        "deadline_words": moment_in_words(rfx.proposal_deadline, now)
        if rfx.proposal_deadline
        else "",
        "addenda": rfx.addenda.order_by("number"),
        "proposal": proposal_for_supplier(rfx, request.user),
        "clarifications": clarification_list_for_supplier(rfx, request.user),
        "clarifications_open": _clarifications_open(rfx, now),
        "clarification_form": ClarificationForm(),
        "accept_form": AcceptForm(),
        "decline_form": DeclineForm(),
        "terms_sections": _terms_sections(rfx),
        **extra,
    }
    return render(request, "rfx/supplier/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The RFx with its timeline, addenda and clarifications; a POST asks a question."""
    rfx = _supplier_rfx(request.user, pk)
    if request.method == "GET":
        return _render_detail(request, rfx)
    form = ClarificationForm(request.POST)
    if form.is_valid():
        try:
            services.clarification_ask(
                rfx=rfx, user=request.user, question=form.cleaned_data["question"]
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, "Your question has been sent to the buyer. Its answer will appear here."
            )
            return redirect("rfx-supplier-detail", rfx.pk)
    return _render_detail(request, rfx, status=400, clarification_form=form)


# --- the proposal -------------------------------------------------------------------------------


def _questionnaires(proposal: Proposal | None) -> list[dict[str, Any]]:
    if proposal is None:
        return []
    rows = []
    for label, assessment in (
        ("Maturity questionnaire", proposal.maturity_assessment),
        ("Extra questions", proposal.extra_assessment),
    ):
        if assessment is None:
            continue
        missing = []
        if assessment.is_draft:
            questions = assessment_services.missing_answers(assessment)
            codes = dict(
                assessment.framework.criteria.filter(
                    pk__in={question.criterion_id for question in questions}
                ).values_list("pk", "code")
            )
            missing = [
                {"question": question, "criterion_code": codes[question.criterion_id]}
                for question in questions
            ]
        rows.append({"label": label, "assessment": assessment, "missing": missing})
    return rows


DOCUMENT_GROUPS = [
    (ProposalDocument.Kind.LICENCE, "Licence documents"),
    (ProposalDocument.Kind.SERVICE, "Service documents"),
]
DOCUMENT_CONTEXT = {
    "document_accept": ",".join(sorted(services.PROPOSAL_DOCUMENT_TYPES)),
    "document_accept_label": accepted_label(services.PROPOSAL_DOCUMENT_TYPES),
    "document_max_mb": services.PROPOSAL_DOCUMENT_MAX_BYTES // (1024 * 1024),
}
DEADLINE_PASSED = "The proposal deadline has passed: your proposal can no longer be changed."


def _document_items(rfx: RFx, proposal: Proposal, documents: list[ProposalDocument]) -> list:
    return [
        {
            "id": document.pk,
            "kind": document.kind,
            "title": document.title,
            "size": document.size,
            "created_at": document.created_at,
            "download_url": reverse(
                "rfx-proposal-document", args=[rfx.pk, proposal.pk, document.pk]
            ),
        }
        for document in documents
    ]


def _document_groups(
    rfx: RFx,
    proposal: Proposal,
    *,
    editable: bool,
    submitted: ProposalVersion | None = None,
    kinds: tuple[str, ...] = ("licence", "service"),
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    notices: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The licence and the service documents: the draft's while it can change; afterwards
    what the latest submission sent (`submitted`), even if taken off the draft since."""
    if editable or submitted is None:
        documents = list(proposal_document_list(proposal))
    else:
        ids = [item["id"] for item in submitted.snapshot.get("documents") or []]
        by_id = ProposalDocument.all_objects.filter(proposal=proposal, pk__in=ids).in_bulk()
        documents = [by_id[pk] for pk in ids if pk in by_id]
    items = _document_items(rfx, proposal, documents)
    return [
        {
            "kind": kind,
            "label": label,
            "editable": editable,
            "documents": [item for item in items if item["kind"] == kind],
            "error": (errors or {}).get(kind, ""),
            "typed_title": (typed or {}).get(kind, ""),
            "notice": (notices or {}).get(kind, ""),
        }
        for kind, label in DOCUMENT_GROUPS
        if kind in kinds
    ]


def _autosave_url(rfx: RFx) -> str:
    return reverse("rfx-proposal-autosave", args=[rfx.pk])


def _render_proposal(
    request: HttpRequest,
    rfx: RFx,
    proposal: Proposal | None,
    *,
    form: ProposalForm | None = None,
    error: str = "",
    status: int = 200,
    upload_errors: dict[str, str] | None = None,
) -> HttpResponse:
    now = timezone.now()
    can_change = proposal is not None and request.user.has_perm("rfx.change_proposal", proposal)
    if form is None and proposal is not None:
        form = ProposalForm(
            initial={
                "licence_terms": proposal.licence_terms,
                "service_terms": proposal.service_terms,
                "price_amount": ""
                if proposal.price_amount is None
                else format(proposal.price_amount, "f"),
                "price_currency": proposal.price_currency,
            },
            autosave_url=_autosave_url(rfx) if can_change else "",
        )
    own = _own_invitation(rfx, request.user)
    open_for_proposals = (
        rfx.status == RFx.Status.PUBLISHED
        and rfx.proposal_deadline is not None
        and now < rfx.proposal_deadline
    )
    versions = (
        list(proposal.versions.select_related("submitted_by").order_by("-number"))
        if proposal
        else []
    )
    submitted = versions[0] if versions else None
    context = {
        "rfx": rfx,
        "invitation": own,
        "proposal": proposal,
        "form": form,
        "error": error,
        "open_for_proposals": open_for_proposals,
        "can_change": can_change,
        "can_start": proposal is None
        and open_for_proposals
        and own is not None
        and own.status == Invitation.Status.ACCEPTED,
        "deadline_words": moment_in_words(rfx.proposal_deadline, now)
        if rfx.proposal_deadline
        else "",
        "versions": versions,
        "submitted": submitted,
        "document_groups": _document_groups(
            rfx,
            proposal,
            editable=can_change,
            submitted=submitted,
            errors=upload_errors,
            typed={
                kind: request.POST.get(f"{kind}-title", "")[:200] for kind in upload_errors or {}
            },
        )
        if proposal
        else [],
        "questionnaires": _questionnaires(proposal),
        **DOCUMENT_CONTEXT,
    }
    return render(request, "rfx/supplier/proposal.html", context, status=status)


def _own_proposal_or_404(request: HttpRequest, pk: int) -> tuple[RFx, Proposal]:
    rfx = _supplier_rfx(request.user, pk)
    current = proposal_for_supplier(rfx, request.user)
    if current is None:
        raise Http404("You have not started a proposal for this RFx.")
    return rfx, current


def _refused_status(request: HttpRequest, proposal: Proposal) -> int:
    """422 for something to fix; 403 once the server's clock has closed the proposal."""
    return 422 if request.user.has_perm("rfx.change_proposal", proposal) else 403


def _form_errors(form: forms.Form) -> str:
    return " ".join(message for messages_ in form.errors.values() for message in messages_)


@login_required
@require_http_methods(["GET", "POST"])
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _supplier_rfx(request.user, pk)
    current = proposal_for_supplier(rfx, request.user)
    if request.method == "GET":
        return _render_proposal(request, rfx, current)
    action = request.POST.get("action", "save")
    if action == "start":
        try:
            services.proposal_start(rfx=rfx, user=request.user)
        except ApplicationError as error:
            return _render_proposal(request, rfx, current, error=error.message, status=400)
        return redirect("rfx-proposal", rfx.pk)
    if current is None:
        return _render_proposal(request, rfx, None, error="Start your proposal first.", status=400)
    if not request.user.has_perm("rfx.change_proposal", current):
        # The server's clock decides: nothing is stored, whatever the form says.
        return _render_proposal(request, rfx, current, error=DEADLINE_PASSED, status=403)
    if action == "reopen":
        try:
            services.proposal_reopen(proposal=current, user=request.user)
        except ApplicationError as error:
            return _render_proposal(request, rfx, current, error=error.message, status=400)
        messages.success(request, "Your questionnaire answers can be changed again.")
        return redirect("rfx-proposal", rfx.pk)
    # Without JavaScript every button sends the whole form: what was typed is saved first,
    # files chosen are uploaded, then the button's own action (remove, submit) is done.
    form = ProposalForm(request.POST, autosave_url=_autosave_url(rfx))
    if not form.is_valid():
        return _render_proposal(request, rfx, current, form=form, status=400)
    data = form.cleaned_data
    try:
        services.proposal_update(
            proposal=current,
            user=request.user,
            licence_terms=data["licence_terms"],
            service_terms=data["service_terms"],
            price_amount=data["price_amount"],
            price_currency=data["price_currency"],
        )
    except ApplicationError as error:
        return _render_proposal(request, rfx, current, form=form, error=error.message, status=400)
    added, upload_errors = _upload_attached(request, current, action)
    if upload_errors:
        return _render_proposal(
            request, rfx, current, form=form, status=400, upload_errors=upload_errors
        )
    notes = [f"“{document.title}” was added to your {document.kind} terms." for document in added]
    if request.POST.get("remove"):
        document = ProposalDocument.objects.filter(
            proposal=current, pk=request.POST["remove"] if request.POST["remove"].isdigit() else 0
        ).first()
        if document is None:
            return _render_proposal(
                request,
                rfx,
                current,
                form=form,
                error="That document is no longer on your proposal.",
                status=400,
            )
        try:
            services.proposal_document_remove(document=document, user=request.user)
        except ApplicationError as error:
            return _render_proposal(
                request, rfx, current, form=form, error=error.message, status=400
            )
        notes.append(f"“{document.title}” was removed from your proposal.")
    if action == "submit":
        try:
            version = services.proposal_submit(proposal=current, user=request.user)
        except ApplicationError as error:
            return _render_proposal(
                request, rfx, current, form=form, error=error.message, status=400
            )
        notes.append(
            f"Your proposal was submitted as version {version.number}. "
            "You can change and submit it again until the deadline."
        )
    elif not notes or action == "save":
        notes.append("Your proposal is saved. It is not submitted yet.")
    for note in notes:
        messages.success(request, note)
    return redirect("rfx-proposal", rfx.pk)


def _upload_attached(
    request: HttpRequest, proposal: Proposal, action: str
) -> tuple[list[ProposalDocument], dict[str, str]]:
    """Add each file chosen in the form; the kind whose Upload button was pressed needs one."""
    added, errors = [], {}
    for kind, _ in DOCUMENT_GROUPS:
        if f"{kind}-file" not in request.FILES:
            if action == f"upload-{kind}":
                errors[kind] = "Choose a file to upload."
            continue
        upload = DocumentUploadForm(request.POST, request.FILES, prefix=kind)
        if not upload.is_valid():
            errors[kind] = _form_errors(upload)
            continue
        try:
            added.append(
                services.proposal_document_add(
                    proposal=proposal,
                    user=request.user,
                    kind=kind,
                    file=upload.cleaned_data["file"],
                    title=upload.cleaned_data["title"],
                )
            )
        except ApplicationError as error:
            errors[kind] = error.message
    return added, errors


@login_required
@require_POST
def proposal_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """Save what one field sent (the price comes with its currency); htmx shows the reply
    next to the field: "Saved 14:02", or the message while the field keeps what was typed.

    422 for a value to fix, 403 once the deadline has passed (nothing is stored then).
    """
    rfx, current = _own_proposal_or_404(request, pk)
    post = request.POST
    fields: dict[str, Any] = {
        name: post[name] for name in ("licence_terms", "service_terms") if name in post
    }
    error, status = "", 200
    if "price_amount" in post or "price_currency" in post:
        # A field the request left out keeps its saved value.
        amount = post.get("price_amount")
        if amount is None:
            amount = "" if current.price_amount is None else format(current.price_amount, "f")
        currency = post.get("price_currency", current.price_currency)
        fields["price_amount"], fields["price_currency"] = amount, currency
        if not amount.strip() and currency.strip():
            error, status = "Give the amount, or leave the currency empty.", 422
    if not fields:
        error, status = "Nothing to save: the request carried no field of the proposal.", 400
    if not error:
        try:
            services.proposal_update(proposal=current, user=request.user, **fields)
        except ApplicationError as problem:
            error, status = problem.message, _refused_status(request, current)
    if post.get("beacon"):
        # Sent by the page as it was left (static/js/assessments.js): nobody reads the reply.
        return HttpResponse(status=204)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "Your proposal is saved. It is not submitted yet.")
        return redirect("rfx-proposal", rfx.pk)
    return render(
        request,
        "rfx/supplier/_autosave.html",
        {"error": error, "saved_at": timezone.localtime()},
        status=status,
    )


def _documents_response(
    request: HttpRequest,
    rfx: RFx,
    proposal: Proposal,
    kind: str,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """htmx: the kind's document list; otherwise back to the page, or the page with the error."""
    if request.htmx:
        editable = request.user.has_perm("rfx.change_proposal", proposal)
        (group,) = _document_groups(
            rfx,
            proposal,
            editable=editable,
            kinds=(kind,),
            errors={kind: error},
            typed={kind: request.POST.get(f"{kind}-title", "")[:200]} if error else {},
            notices={kind: notice},
        )
        return render(
            request,
            "rfx/supplier/_documents.html",
            {"rfx": rfx, "group": group, **DOCUMENT_CONTEXT},
            status=status,
        )
    if error:
        if status == 403:
            return _render_proposal(request, rfx, proposal, error=error, status=403)
        return _render_proposal(request, rfx, proposal, upload_errors={kind: error}, status=400)
    messages.success(request, notice)
    return redirect("rfx-proposal", rfx.pk)


@login_required
@require_POST
def proposal_document_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    rfx, current = _own_proposal_or_404(request, pk)
    if kind not in ProposalDocument.Kind.values:
        raise Http404("No such kind of document.")
    upload = DocumentUploadForm(request.POST, request.FILES, prefix=kind)
    if not upload.is_valid():
        return _documents_response(
            request,
            rfx,
            current,
            kind,
            error=_form_errors(upload),
            status=_refused_status(request, current),
        )
    try:
        document = services.proposal_document_add(
            proposal=current,
            user=request.user,
            kind=kind,
            file=upload.cleaned_data["file"],
            title=upload.cleaned_data["title"],
        )
    except ApplicationError as error:
        return _documents_response(
            request,
            rfx,
            current,
            kind,
            error=error.message,
            status=_refused_status(request, current),
        )
    return _documents_response(
        request, rfx, current, kind, notice=f"“{document.title}” was added to your {kind} terms."
    )


@login_required
@require_POST
def proposal_document_remove(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    rfx, current = _own_proposal_or_404(request, pk)
    document = ProposalDocument.objects.filter(proposal=current, pk=document_pk).first()
    if document is None:
        raise Http404("No such document on your proposal.")
    try:
        services.proposal_document_remove(document=document, user=request.user)
    except ApplicationError as error:
        return _documents_response(
            request,
            rfx,
            current,
            document.kind,
            error=error.message,
            status=_refused_status(request, current),
        )
    return _documents_response(
        request,
        rfx,
        current,
        document.kind,
        notice=f"“{document.title}” was removed from your proposal.",
    )


# --- feedback after the award -------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _supplier_rfx(request.user, pk)
    outcome = supplier_outcome(rfx, request.user)
    summary, competition = outcome["feedback"], outcome["competition"]
    metrics = competition["metrics"] if competition else None
    context = {
        "rfx": rfx,
        "proposal": outcome["proposal"],
        "award": outcome["award"],
        "won": outcome["won"],
        "summary": summary.data if summary else None,
        "competition": competition,
        # The supplier's own file only: the same partial as the competition pages draw.
        "competition_results": metrics_view(
            metrics, list(rfx.competition.bars), competition["primary_metric"]
        )
        if metrics
        else None,
    }
    return render(request, "rfx/supplier/feedback.html", context)


urlpatterns = [
    path("invitations/<str:token>/", invitation, name="rfx-invitation"),
    path("<int:pk>/supplier/", supplier_detail, name="rfx-supplier-detail"),
    path("<int:pk>/supplier/respond/", invitation_respond, name="rfx-invitation-respond"),
    path("<int:pk>/proposal/", proposal, name="rfx-proposal"),
    path("<int:pk>/proposal/autosave/", proposal_autosave, name="rfx-proposal-autosave"),
    path(
        "<int:pk>/proposal/documents/<str:kind>/add/",
        proposal_document_add,
        name="rfx-proposal-document-add",
    ),
    path(
        "<int:pk>/proposal/documents/<int:document_pk>/remove/",
        proposal_document_remove,
        name="rfx-proposal-document-remove",
    ),
    path("<int:pk>/feedback/", feedback, name="rfx-feedback"),
]
