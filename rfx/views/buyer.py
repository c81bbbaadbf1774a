"""The procurement manager's RFx pages: the list, creating from a template, the overview with
its lifecycle actions, editing (settings, sections, extra questions), invitations and
clarifications.

Who sees what: anyone who may not see an RFx gets a 404, as if it did not exist. Buyer-side
staff (procurement managers and reviewers of the buyer) see the overview; only procurement
managers act (403 for the others). An invited supplier opening the overview is sent to the
supplier's page. Before the deadline the overview shows only who submitted and when.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, Organisation
from core.exceptions import ApplicationError
from principles.loader import FrameworkFileError
from rfx import catalogue, services
from rfx.forms import (
    CancelForm,
    ClarificationAnswerForm,
    ExtraQuestionnaireForm,
    InvitationForm,
    RFxCreateForm,
    RFxSettingsForm,
    SectionForm,
)
from rfx.models import Clarification, Invitation, Proposal, RFx, Section
from rfx.sanitise import sanitise_html
from rfx.selectors import (
    clarification_list_for_buyer,
    get_rfx_for_user,
    rfx_list_for_user,
    section_list,
    submission_status,
)

# --- fetching with a permission check -----------------------------------------------------------


def _supplier_url(rfx_pk: int) -> str:
    try:
        return reverse("rfx-supplier-detail", args=[rfx_pk])
    except NoReverseMatch:
        return f"/rfx/{rfx_pk}/supplier/"


def _buyer_staff(request: HttpRequest, pk: int) -> RFx:
    """The RFx for its buyer's staff; 403 for an invited supplier, 404 for everyone else."""
    rfx = get_rfx_for_user(request.user, pk)
    if not request.user.has_perm("rfx.view_submission_status", rfx):
        raise PermissionDenied("Only the buyer's team can open this page.")
    return rfx


def _manager(request: HttpRequest, pk: int) -> RFx:
    """For actions: the buyer's procurement managers only."""
    rfx = _buyer_staff(request, pk)
    if not request.user.has_perm("rfx.manage_rfx", rfx):
        raise PermissionDenied("Only a procurement manager of the buyer can do this.")
    return rfx


def _editor(request: HttpRequest, pk: int) -> RFx:
    rfx = _manager(request, pk)
    if not request.user.has_perm("rfx.change_rfx", rfx):
        raise PermissionDenied(
            f"This RFx is {rfx.get_status_display().lower()} and can no longer be changed."
        )
    return rfx


def _managed_buyers(user):
    return Organisation.objects.filter(
        kind=Organisation.Kind.BUYER,
        memberships__user=user,
        memberships__role=Membership.Role.PROCUREMENT_MANAGER,
    ).order_by("name")


def _error_list(error: ApplicationError) -> list[str]:
    errors = error.extra.get("errors")
    return list(errors.values()) if errors else [error.message]


def _put_errors(form, error: ApplicationError) -> None:
    """Each of the service's field messages next to its field; the rest above the form."""
    errors = error.extra.get("errors") or {}
    if not errors:
        form.add_error(None, error.message)
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


# --- the list -----------------------------------------------------------------------------------


def _count(queryset) -> Subquery:
    return Coalesce(
        Subquery(
            queryset.order_by().values("rfx_id").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


@login_required
def rfx_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff_of = set(
        Membership.objects.filter(
            user=user,
            role__in=[Membership.Role.PROCUREMENT_MANAGER, Membership.Role.REVIEWER],
        ).values_list("organisation_id", flat=True)
    )
    can_create = _managed_buyers(user).exists()
    own_invitation = Invitation.objects.filter(
        rfx=OuterRef("pk"),
        supplier__memberships__user=user,
        supplier__memberships__role=Membership.Role.SUPPLIER,
    )
    own_proposal = Proposal.objects.filter(
        rfx=OuterRef("pk"),
        supplier__memberships__user=user,
        supplier__memberships__role=Membership.Role.SUPPLIER,
    )
    rows = (
        rfx_list_for_user(user)
        .annotate(
            invited_count=_count(Invitation.objects.filter(rfx=OuterRef("pk"))),
            submitted_count=_count(
                Proposal.objects.filter(rfx=OuterRef("pk"), submitted_at__isnull=False)
            ),
            own_invitation_status=Subquery(own_invitation.values("status")[:1]),
            own_proposal_id=Subquery(own_proposal.values("pk")[:1]),
            own_submitted_at=Subquery(own_proposal.values("submitted_at")[:1]),
        )
        .order_by("-updated_at", "pk")
    )
    buyer_rows: list[RFx] = []
    supplier_rows: list[RFx] = []
    invitation_labels = dict(Invitation.Status.choices)
    for rfx in rows:
        if rfx.buyer_id in staff_of:
            buyer_rows.append(rfx)
        else:
            rfx.supplier_url = _supplier_url(rfx.pk)
            rfx.own_invitation_label = invitation_labels.get(rfx.own_invitation_status, "")
            supplier_rows.append(rfx)
    return render(
        request,
        "rfx/buyer/rfx_list.html",
        {
            "buyer_rows": buyer_rows,
            "supplier_rows": supplier_rows,
            "buyer_side": bool(staff_of),
            "can_create": can_create,
        },
    )


# --- creating -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rfx_create(request: HttpRequest) -> HttpResponse:
    buyers = _managed_buyers(request.user)
    if not buyers.exists():
        raise PermissionDenied("Only a procurement manager of a buyer can create an RFx.")
    form = RFxCreateForm(request.POST or None, user=request.user, buyers=buyers)
    if request.method == "POST" and form.is_valid():
        try:
            rfx = services.rfx_create(
                buyer=form.cleaned_data["buyer"],
                user=request.user,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                framework=form.cleaned_data["framework"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, "The RFx is created from the template. Replace the examples with your own."
            )
            return redirect("rfx-edit", rfx.pk)
    templates = [catalogue.template(kind) for kind in catalogue.TEMPLATES]
    return render(
        request,
        "rfx/buyer/rfx_form.html",
        {"form": form, "templates": templates},
        status=400 if form.is_bound else 200,
    )


# --- the overview -------------------------------------------------------------------------------


@login_required
def rfx_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = get_rfx_for_user(request.user, pk)
    if not request.user.has_perm("rfx.view_submission_status", rfx):
        return redirect(_supplier_url(rfx.pk))
    return render(request, "rfx/buyer/rfx_detail.html", _detail_context(request, rfx))


def _detail_context(request: HttpRequest, rfx: RFx, **extra: Any) -> dict[str, Any]:
    user = request.user
    manager = user.has_perm("rfx.manage_rfx", rfx)
    sections = [
        {
            "title": section.title,
            "summary": Truncator(strip_tags(section.body)).words(25),
        }
        for section in section_list(rfx)
    ]
    clarifications = rfx.clarifications.aggregate(
        total=Count("pk"), unanswered=Count("pk", filter=Q(answer=""))
    )
    return {
        "rfx": rfx,
        "manager": manager,
        "can_edit": manager and user.has_perm("rfx.change_rfx", rfx),
        "can_publish": manager and services.can_transition(rfx.status, RFx.Status.PUBLISHED),
        "can_cancel": manager and services.can_transition(rfx.status, RFx.Status.CANCELLED),
        "timeline": [
            (services.TIMELINE_LABELS[name], getattr(rfx, name))
            for name in services.TIMELINE_FIELDS
        ],
        "weights": [
            ("Maturity questionnaire", rfx.weight_maturity),
            ("Extra questions", rfx.weight_extra),
            ("Licence and service terms", rfx.weight_terms),
            ("Cost", rfx.weight_cost),
        ],
        "sections": sections,
        "addenda": list(rfx.addenda.select_related("created_by").order_by("number")),
        "invitations": list(rfx.invitations.select_related("supplier").order_by("supplier__name")),
        "clarifications": clarifications,
        "submissions": submission_status(rfx),
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(),
        **extra,
    }


@login_required
@require_POST
def rfx_publish(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _manager(request, pk)
    try:
        services.rfx_publish(rfx=rfx, user=request.user)
    except ApplicationError as error:
        for message in _error_list(error):
            messages.error(request, message)
        return redirect("rfx-detail", rfx.pk)
    messages.success(request, "The RFx is published; the invited suppliers are being e-mailed.")
    return redirect("rfx-detail", rfx.pk)


@login_required
@require_POST
def rfx_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _manager(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.rfx_cancel(rfx=rfx, user=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "The RFx is cancelled.")
            return redirect("rfx-detail", rfx.pk)
    return render(
        request,
        "rfx/buyer/rfx_detail.html",
        _detail_context(request, rfx, cancel_form=form, show_cancel=True),
        status=400,
    )


# --- editing ------------------------------------------------------------------------------------


def _section_rows(rfx: RFx, forms: dict[int, SectionForm] | None = None) -> list[dict[str, Any]]:
    examples = {
        item["key"]: item.get("example", "") for item in catalogue.template(rfx.kind)["sections"]
    }
    forms = forms or {}
    return [
        {
            "section": section,
            "form": forms.get(section.pk) or SectionForm(initial={"body": section.body}),
            # Our own catalogue text, sanitised like every body.
            "example": mark_safe(sanitise_html(examples.get(section.key, ""))),  # noqa: S308
        }
        for section in section_list(rfx)
    ]


def _edit_page(
    request: HttpRequest,
    rfx: RFx,
    *,
    form: RFxSettingsForm | None = None,
    upload_form: ExtraQuestionnaireForm | None = None,
    upload_errors: list[str] | None = None,
    section_forms: dict[int, SectionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "rfx/buyer/rfx_edit.html",
        {
            "rfx": rfx,
            "published": rfx.status == RFx.Status.PUBLISHED,
            "extension_days": services.extension_days(),
            "time_zone": timezone.get_current_timezone_name(),
            "form": form or RFxSettingsForm(rfx=rfx, user=request.user),
            "upload_form": upload_form or ExtraQuestionnaireForm(),
            "upload_errors": upload_errors or [],
            "sections": _section_rows(rfx, section_forms),
        },
        status=status,
    )


def _deadline_note(request: HttpRequest, rfx: RFx, last_number: int) -> None:
    addendum = rfx.addenda.filter(number__gt=last_number).order_by("-number").first()
    if addendum is None:
        return
    messages.info(request, f"Addendum {addendum.number} is recorded; invited suppliers are told.")
    if addendum.deadline_after != addendum.deadline_before:
        messages.warning(
            request,
            "The change came close to the deadline, so the proposal deadline moved to "
            f"{services._when(addendum.deadline_after)}.",
        )


def _last_addendum(rfx: RFx) -> int:
    return rfx.addenda.order_by("-number").values_list("number", flat=True).first() or 0


@login_required
@require_http_methods(["GET", "POST"])
def rfx_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _editor(request, pk)
    if request.method == "GET":
        return _edit_page(request, rfx)
    form = RFxSettingsForm(request.POST, rfx=rfx, user=request.user)
    if form.is_valid():
        changes = form.changes()
        summary = form.cleaned_data.get("summary", "")
        if not changes:
            messages.info(request, "Nothing has changed.")
            return redirect("rfx-edit", rfx.pk)
        if form.published and not summary.strip():
            form.add_error("summary", "Summarise the change: invited suppliers receive it.")
        else:
            last = _last_addendum(rfx)
            try:
                services.rfx_update(rfx=rfx, user=request.user, summary=summary, **changes)
            except ApplicationError as error:
                rfx.refresh_from_db()
                _put_errors(form, error)
            else:
                messages.success(request, "The settings are saved.")
                _deadline_note(request, rfx, last)
                return redirect("rfx-edit", rfx.pk)
    return _edit_page(request, rfx, form=form, status=400)


@login_required
@require_POST
def section_save(request: HttpRequest, pk: int, section_pk: int) -> HttpResponse:
    rfx = _editor(request, pk)
    section = Section.objects.filter(rfx=rfx, pk=section_pk).first()
    if section is None:
        raise Http404("No such section.")
    form = SectionForm(request.POST)
    saved = False
    if form.is_valid():
        summary = form.cleaned_data["summary"]
        if rfx.status == RFx.Status.PUBLISHED and not summary.strip():
            form.add_error("summary", "Summarise the change: invited suppliers receive it.")
        else:
            last = _last_addendum(rfx)
            try:
                services.section_update(
                    section=section,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    summary=summary,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                saved = True
                if not request.htmx:
                    messages.success(request, f"“{section.title}” is saved.")
                    _deadline_note(request, rfx, last)
                    return redirect(f"{reverse('rfx-edit', args=[rfx.pk])}#section-{section.pk}")
                rfx.refresh_from_db()
                form = SectionForm(initial={"body": section.body})
                addendum = rfx.addenda.filter(number__gt=last).first()
    if request.htmx:
        row = next(row for row in _section_rows(rfx) if row["section"].pk == section.pk)
        row["form"] = form
        return render(
            request,
            "rfx/_section_form.html",
            {
                "rfx": rfx,
                "row": row,
                "published": rfx.status == RFx.Status.PUBLISHED,
                "saved": saved,
                "addendum": addendum if saved else None,
            },
            status=200 if saved else 400,
        )
    return _edit_page(request, rfx, section_forms={section.pk: form}, status=400)


@login_required
@require_POST
def extra_questionnaire_upload(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _editor(request, pk)
    form = ExtraQuestionnaireForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            framework = services.extra_questionnaire_load(
                rfx=rfx,
                user=request.user,
                text=form.cleaned_data["file"],
                source=request.FILES["file"].name,
            )
        except FrameworkFileError as error:
            errors = [f"{error.source}: {problem}" for problem in error.problems]
        except ApplicationError as error:
            errors = _error_list(error)
        else:
            messages.success(
                request, f"The extra questions “{framework.name}” are attached to this RFx."
            )
            return redirect("rfx-edit", rfx.pk)
    rfx.refresh_from_db()
    return _edit_page(request, rfx, upload_form=form, upload_errors=errors, status=400)


# --- invitations --------------------------------------------------------------------------------


def _invitations_page(
    request: HttpRequest, rfx: RFx, form: InvitationForm | None = None, status: int = 200
) -> HttpResponse:
    open_for_invitations = rfx.status in (RFx.Status.DRAFT, RFx.Status.PUBLISHED)
    return render(
        request,
        "rfx/buyer/invitations.html",
        {
            "rfx": rfx,
            "form": form or InvitationForm(rfx=rfx),
            "open_for_invitations": open_for_invitations,
            "invitations": list(
                rfx.invitations.select_related("supplier", "responded_by").order_by(
                    "supplier__name"
                )
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _manager(request, pk)
    if request.method == "GET":
        return _invitations_page(request, rfx)
    form = InvitationForm(request.POST, rfx=rfx)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                rfx=rfx,
                supplier=form.cleaned_data["supplier"],
                email=form.cleaned_data["email"],
                user=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            when = "now" if rfx.status == RFx.Status.PUBLISHED else "when you publish the RFx"
            messages.success(
                request,
                f"{invitation.supplier} is invited; the e-mail goes to {invitation.email} {when}.",
            )
            return redirect("rfx-invitations", rfx.pk)
    return _invitations_page(request, rfx, form, status=400)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    rfx = _manager(request, pk)
    invitation = rfx.invitations.filter(pk=invitation_pk).select_related("supplier").first()
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        services.invitation_send(invitation=invitation, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"A new invitation link went to {invitation.email}; the earlier link no longer works.",
        )
    return redirect("rfx-invitations", rfx.pk)


# --- clarifications -----------------------------------------------------------------------------


def _clarifications_page(
    request: HttpRequest,
    rfx: RFx,
    forms: dict[int, ClarificationAnswerForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    rows = [
        {
            "item": item,
            "form": forms.get(item.pk) or ClarificationAnswerForm(initial={"answer": item.answer}),
        }
        for item in clarification_list_for_buyer(rfx)
    ]
    return render(
        request,
        "rfx/buyer/clarifications.html",
        {
            "rfx": rfx,
            "rows": rows,
            "can_answer": rfx.status == RFx.Status.PUBLISHED,
            "unanswered": sum(1 for row in rows if not row["item"].answer),
        },
        status=status,
    )


@login_required
def clarifications(request: HttpRequest, pk: int) -> HttpResponse:
    return _clarifications_page(request, _manager(request, pk))


@login_required
@require_POST
def clarification_answer(request: HttpRequest, pk: int, clarification_pk: int) -> HttpResponse:
    rfx = _manager(request, pk)
    clarification = Clarification.objects.filter(rfx=rfx, pk=clarification_pk).first()
    if clarification is None:
        raise Http404("No such clarification.")
    form = ClarificationAnswerForm(request.POST)
    if form.is_valid():
        publish = form.cleaned_data["publish"]
        try:
            services.clarification_answer(
                clarification=clarification,
                user=request.user,
                answer=form.cleaned_data["answer"],
                publish=publish,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                "The answer is published to every invited supplier, without who asked."
                if publish
                else "The answer is sent to the supplier who asked, and only to them.",
            )
            return redirect(f"{reverse('rfx-clarifications', args=[rfx.pk])}#q-{clarification.pk}")
    return _clarifications_page(request, rfx, {clarification.pk: form}, status=400)


urlpatterns: list = [
    path("", rfx_list, name="rfx-list"),
    path("new/", rfx_create, name="rfx-create"),
    path("<int:pk>/", rfx_detail, name="rfx-detail"),
    path("<int:pk>/publish/", rfx_publish, name="rfx-publish"),
    path("<int:pk>/cancel/", rfx_cancel, name="rfx-cancel"),
    path("<int:pk>/edit/", rfx_edit, name="rfx-edit"),
    path("<int:pk>/sections/<int:section_pk>/", section_save, name="rfx-section-save"),
    path("<int:pk>/extra-questions/", extra_questionnaire_upload, name="rfx-extra-questionnaire"),
    path("<int:pk>/invitations/", invitations, name="rfx-invitations"),
    path(
        "<int:pk>/invitations/<int:invitation_pk>/resend/",
        invitation_resend,
        name="rfx-invitation-resend",
    ),
    path("<int:pk>/clarifications/", clarifications, name="rfx-clarifications"),
    path(
        "<int:pk>/clarifications/<int:clarification_pk>/answer/",
        clarification_answer,
        name="rfx-clarification-answer",
    ),
]
