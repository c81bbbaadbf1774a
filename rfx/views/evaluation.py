"""Evaluation pages of an RFx: team, declaration, evaluation, comparison and award.

Who gets in: the buyer's procurement manager, and reviewers on the RFx's team once they
have declared no conflict of interest (until then every page sends them to the
declaration). Anyone else gets a 404: suppliers never learn these pages exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from rfx import evaluation, services
from rfx.evaluation_forms import AwardForm, ReviewerAssignForm, TermsScoreForm
from rfx.models import Award, Proposal, RFx, RFxReviewer
from rfx.selectors import (
    evaluation_inputs,
    get_rfx_for_user,
    latest_snapshot,
    rfx_reviewer_list,
    scorecard_divergences,
    submitted_proposals,
    supplier_names_for,
)

OPENED = (RFx.Status.CLOSED, RFx.Status.EVALUATED, RFx.Status.AWARDED)


@dataclass
class Access:
    rfx: RFx
    is_manager: bool
    member: RFxReviewer | None


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _access(request: HttpRequest, pk: int, *, manager_only: bool = False) -> Access:
    """The RFx if the user evaluates it; a 404 for anyone off the team, a 403 for a
    reviewer on a manager's page, and the declaration first for an undeclared reviewer."""
    rfx = get_rfx_for_user(request.user, pk)
    if request.user.has_perm("rfx.manage_rfx", rfx):
        member = RFxReviewer.objects.filter(rfx=rfx, reviewer=request.user).first()
        return Access(rfx=rfx, is_manager=True, member=member)
    member = RFxReviewer.objects.filter(rfx=rfx, reviewer=request.user).first()
    if member is None:
        raise Http404("No such RFx.")
    if member.no_conflict_declared_at is None:
        raise _Redirect(reverse("rfx-declaration", args=[rfx.pk]))
    if manager_only:
        raise PermissionDenied("Only the procurement manager can do this.")
    return Access(rfx=rfx, is_manager=False, member=member)


def _guarded(view):  # type: ignore[no-untyped-def]
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, pk, *args, **kwargs)
        except _Redirect as jump:
            return redirect(jump.url)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


def _can_see_price(request: HttpRequest, proposals: list[Proposal]) -> bool:
    # The price rule is the same for every proposal of one RFx for the buyer's side.
    return bool(proposals) and request.user.has_perm("rfx.view_price", proposals[0])


# --- team --------------------------------------------------------------------------------------


@_guarded
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request, pk, manager_only=True)
    rfx = access.rfx
    form = ReviewerAssignForm(request.POST or None, rfx=rfx)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rfx_reviewer_assign(
                    rfx=rfx,
                    reviewer=form.cleaned_data["reviewer"],
                    user=request.user,
                    is_lead=form.cleaned_data["is_lead"],
                    criterion_codes=form.cleaned_data["criterion_codes"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "The evaluation team is updated.")
                return redirect("rfx-team", rfx.pk)
        status = 400
    return render(
        request,
        "rfx/evaluation/team.html",
        {"rfx": rfx, "form": form, "team": list(rfx_reviewer_list(rfx))},
        status=status,
    )


# --- declaration -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = get_rfx_for_user(request.user, pk)
    member = RFxReviewer.objects.filter(rfx=rfx, reviewer=request.user).first()
    if member is None:
        raise Http404("No such RFx.")
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the box to confirm you have no conflict of interest.")
            return render(
                request,
                "rfx/evaluation/declaration.html",
                {"rfx": rfx, "member": member},
                status=400,
            )
        services.rfx_reviewer_declare_no_conflict(member=member, user=request.user)
        messages.success(request, "Thank you: your declaration is recorded.")
        return redirect("rfx-evaluation", rfx.pk)
    return render(request, "rfx/evaluation/declaration.html", {"rfx": rfx, "member": member})


# --- evaluation --------------------------------------------------------------------------------


def _snapshot_documents(
    rfx: RFx, proposal: Proposal, snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    """The documents the submission sent, each with its permission-checked download link."""
    return [
        {
            **item,
            "download_url": reverse(
                "rfx-proposal-document", args=[rfx.pk, proposal.pk, item["id"]]
            ),
        }
        for item in snapshot.get("documents") or []
    ]


def _render_evaluation(
    request: HttpRequest,
    access: Access,
    *,
    form_errors: dict[int, TermsScoreForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    rfx = access.rfx
    if rfx.status not in OPENED:
        return render(request, "rfx/evaluation/sealed.html", {"rfx": rfx})
    proposals = submitted_proposals(rfx)
    names = supplier_names_for(request.user, rfx, proposals)
    can_see_price = _can_see_price(request, proposals)
    can_score = bool(proposals) and request.user.has_perm("rfx.score_terms", proposals[0])
    rows = []
    for proposal in proposals:
        snapshot = latest_snapshot(proposal)
        scores = list(proposal.terms_scores.all())
        own = next((score for score in scores if score.reviewer_id == request.user.pk), None)
        form = (form_errors or {}).get(proposal.pk) or TermsScoreForm(
            initial={
                "proposal": proposal.pk,
                "score": None if own is None else str(own.score),
                "comment": "" if own is None else own.comment,
            },
            prefix=f"p{proposal.pk}",
        )
        documents = _snapshot_documents(rfx, proposal, snapshot)
        rows.append(
            {
                "proposal": proposal,
                "name": names[proposal.pk],
                "licence_terms": snapshot.get("licence_terms", ""),
                "service_terms": snapshot.get("service_terms", ""),
                "licence_documents": [d for d in documents if d["kind"] == "licence"],
                "service_documents": [d for d in documents if d["kind"] == "service"],
                "price": snapshot.get("price_amount") if can_see_price else None,
                "currency": snapshot.get("price_currency") if can_see_price else None,
                "own_score": own,
                "score_count": len(scores),
                "score_mean": sum(s.score for s in scores) / len(scores) if scores else None,
                "form": form,
            }
        )
    return render(
        request,
        "rfx/evaluation/evaluation.html",
        {
            "rfx": rfx,
            "rows": rows,
            "is_manager": access.is_manager,
            "can_see_price": can_see_price,
            "can_score": can_score,
            "locked": rfx.technical_scores_locked_at is not None,
        },
        status=status,
    )


@_guarded
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_evaluation(request, _access(request, pk))


@_guarded
@require_POST
def terms_score(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    access = _access(request, pk)
    rfx = access.rfx
    proposal = rfx.proposals.filter(pk=proposal_pk, submitted_at__isnull=False).first()
    if proposal is None or rfx.status not in OPENED:
        raise Http404("No such proposal.")
    if not request.user.has_perm("rfx.score_terms", proposal):
        raise PermissionDenied("You cannot score the licence and terms of this RFx now.")
    form = TermsScoreForm(request.POST, prefix=f"p{proposal.pk}")
    if form.is_valid() and form.cleaned_data["proposal"] == proposal.pk:
        try:
            services.terms_score_set(
                proposal=proposal,
                reviewer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your licence and terms score is saved.")
            return redirect(f"{reverse('rfx-evaluation', args=[rfx.pk])}#proposal-{proposal.pk}")
    return _render_evaluation(request, access, form_errors={proposal.pk: form}, status=400)


@_guarded
@require_POST
def lock_technical(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request, pk, manager_only=True)
    try:
        services.rfx_lock_technical_scores(rfx=access.rfx, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Technical scores are locked. Prices are now open to the team.")
    return redirect("rfx-evaluation", access.rfx.pk)


@_guarded
@require_POST
def mark_evaluated(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request, pk, manager_only=True)
    try:
        services.rfx_mark_evaluated(rfx=access.rfx, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("rfx-evaluation", access.rfx.pk)
    messages.success(request, "The evaluation is finished. You can now award the contract.")
    return redirect("rfx-award", access.rfx.pk)


# --- comparison --------------------------------------------------------------------------------


def _comparison(
    request: HttpRequest, rfx: RFx, proposals: list[Proposal], can_see_price: bool
) -> dict[str, Any]:
    """`rank` on the RFx's inputs; before the technical lock, cost is left out for everyone."""
    inputs = [
        {key: value for key, value in item.items() if key != "proposal_id"}
        for item in evaluation_inputs(rfx)
    ]
    weights = dict(rfx.weights)
    if not can_see_price:
        # The price envelope is still shut: rank on the technical components only, with
        # the same placeholder price for everyone so neither cost nor the tie-break leaks.
        weights["cost"] = 0
        inputs = [{**item, "price": "1", "currency": None} for item in inputs]
    settings = {"disqualify_on_critical_red_flags": rfx.disqualify_on_critical_red_flags}
    try:
        result = evaluation.rank(inputs, weights, settings)
    except ApplicationError as error:
        return {"error": error.message}
    names = supplier_names_for(request.user, rfx, proposals)
    by_supplier = {proposal.supplier_id: proposal for proposal in proposals}
    divergences = scorecard_divergences(proposals)

    def decorate(entry: dict[str, Any]) -> dict[str, Any]:
        proposal = by_supplier[entry["supplier_id"]]
        breakdown = [
            part for part in entry["breakdown"] if can_see_price or part["component"] != "cost"
        ]
        components = [
            {"name": name, "label": evaluation.LABELS[name], "value": value}
            for name, value in entry["components"].items()
            if can_see_price or name != "cost"
        ]
        return {
            **entry,
            "proposal_id": proposal.pk,
            "display_name": names[proposal.pk],
            "breakdown": breakdown,
            "component_list": components,
            "divergences": divergences.get(proposal.pk, []),
            "price": entry["price"] if can_see_price else None,
        }

    weights_rows = [
        {"name": name, **row}
        for name, row in result["weights"].items()
        if can_see_price or name != "cost"
    ]
    sensitivity = []
    for row in result["sensitivity"]:
        if not can_see_price and row["weight"] == "cost":
            continue
        total = sum(w["weight"] for w in result["weights"].values() if not w["left_out"]) or 1
        scale = max(total, row["high"], row["current"]) or 1
        sensitivity.append(
            {
                **row,
                "label": evaluation.LABELS[row["weight"]],
                "left_pct": 100 * row["low"] / scale,
                "width_pct": 100 * (row["high"] - row["low"]) / scale,
                "current_pct": 100 * row["current"] / scale,
                "scale": scale,
            }
        )
    notes = list(result["notes"])
    if not can_see_price:
        notes.insert(
            0,
            "Technical ranking: cost and prices are added once the technical scores are locked.",
        )
    return {
        "ranking": [decorate(entry) for entry in result["ranking"]],
        "excluded": [decorate(entry) for entry in result["excluded"]],
        "weights": weights_rows,
        "sensitivity": sensitivity,
        "notes": notes,
    }


@_guarded
def comparison(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request, pk)
    rfx = access.rfx
    if rfx.status not in OPENED:
        return render(request, "rfx/evaluation/sealed.html", {"rfx": rfx})
    proposals = submitted_proposals(rfx)
    can_see_price = _can_see_price(request, proposals)
    context = {
        "rfx": rfx,
        "is_manager": access.is_manager,
        "can_see_price": can_see_price,
        **_comparison(request, rfx, proposals, can_see_price),
    }
    return render(request, "rfx/evaluation/comparison.html", context)


# --- award -------------------------------------------------------------------------------------


@_guarded
@require_http_methods(["GET", "POST"])
def award(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request, pk, manager_only=True)
    rfx = access.rfx
    decision = (
        Award.objects.filter(rfx=rfx).select_related("proposal__supplier", "awarded_by").first()
    )
    if decision is not None or rfx.status != RFx.Status.EVALUATED:
        return render(
            request,
            "rfx/evaluation/award.html",
            {
                "rfx": rfx,
                "decision": decision,
                "feedback_count": decision.feedback.count() if decision else 0,
            },
        )
    proposals = submitted_proposals(rfx)
    choices = [(proposal.pk, proposal.supplier.name) for proposal in proposals]
    form = AwardForm(request.POST or None, choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = next(p for p in proposals if p.pk == form.cleaned_data["proposal"])
            try:
                services.rfx_award(
                    rfx=rfx,
                    proposal=chosen,
                    justification=form.cleaned_data["justification"],
                    user=request.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "The award is recorded and the suppliers are told.")
                return redirect("rfx-award", rfx.pk)
        status = 400
    return render(request, "rfx/evaluation/award.html", {"rfx": rfx, "form": form}, status=status)


urlpatterns: list = [
    path("<int:pk>/team/", team, name="rfx-team"),
    path("<int:pk>/declaration/", declaration, name="rfx-declaration"),
    path("<int:pk>/evaluation/", evaluation_page, name="rfx-evaluation"),
    path(
        "<int:pk>/evaluation/proposals/<int:proposal_pk>/terms/",
        terms_score,
        name="rfx-terms-score",
    ),
    path("<int:pk>/evaluation/lock/", lock_technical, name="rfx-lock-technical"),
    path("<int:pk>/evaluation/evaluated/", mark_evaluated, name="rfx-mark-evaluated"),
    path("<int:pk>/comparison/", comparison, name="rfx-comparison"),
    path("<int:pk>/award/", award, name="rfx-award"),
]
