"""Tender competition pages (DESIGN §5): the buyer's set-up, the supplier's competition page,
the downloads, and the leaderboard for the evaluation team.

Who sees what:
- Set-up (`rfx-competition`): the buyer's staff read it; its procurement managers change it
  while the RFP is a draft (`rfx.configure_competition`); an invited supplier is sent to its
  own page; anyone else gets a 404.
- Downloads: the training set for the buyer's staff and accepted suppliers, the evaluation
  inputs for suppliers only from the release time, the hidden labels for the buyer's
  procurement managers only (rules in `rfx.permissions`).
- The supplier's page (`rfx-supplier-competition`): members of an invited supplier. Before the
  deadline it shows only whether each of its files was valid, their problems and the scoring
  status, never a metric; after the deadline, its own counted file's results. Nothing about
  any other supplier, ever.
- Leaderboard (`rfx-competition-results`): the buyer's procurement managers and cleared
  reviewers once the RFx is closed (`rfx.view_competition_results`), as the evaluation pages
  decide: an undeclared reviewer goes to the declaration first, anyone else gets a 404.
  Reviewers grading blind read pseudonyms.

Every write goes through `rfx.competition_services`, which checks the server's clock itself.
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from rfx import competition_services
from rfx.competition_display import (
    METRIC_MEANINGS,
    METRIC_NAMES,
    bar_rows,
    metrics_view,
    result_outcome,
)
from rfx.competition_forms import (
    BarForm,
    CompetitionFileForm,
    CompetitionSettingsForm,
    PredictionsForm,
)
from rfx.competition_services import FILES
from rfx.evaluation import Reason
from rfx.models import Competition, Invitation, PredictionSubmission, Proposal, RFx
from rfx.selectors import (
    competition_for_rfx,
    competition_results,
    get_prediction_submission_for_user,
    get_rfx_for_user,
    prediction_metrics,
    prediction_submission_list,
    proposal_for_supplier,
    supplier_names_for,
)
from rfx.views.evaluation import OPENED, _access, _guarded
from rfx.views.supplier import _own_invitation, _supplier_rfx, moment_in_words

Job = PredictionSubmission.Status
COMPETITION_REASONS = (Reason.COMPETITION_FAILED, Reason.NO_COMPETITION_RESULT)


# --- fetching with a permission check -----------------------------------------------------------


def _buyer_rfx(request: HttpRequest, pk: int) -> RFx | HttpResponse:
    """The RFP for the buyer's staff; an invited supplier is sent to its own page; 404 else."""
    rfx = get_rfx_for_user(request.user, pk)
    if not request.user.has_perm("rfx.view_submission_status", rfx):
        return redirect("rfx-supplier-competition", rfx.pk)
    if rfx.kind != RFx.Kind.RFP:
        raise Http404("A request for information has no competition.")
    return rfx


def _configurer(request: HttpRequest, pk: int) -> RFx:
    """For changes: the buyer's procurement managers, while the RFP is a draft."""
    rfx = get_rfx_for_user(request.user, pk)
    if not request.user.has_perm("rfx.view_submission_status", rfx):
        raise Http404("No such RFx.")
    if not request.user.has_perm("rfx.manage_rfx", rfx):
        raise PermissionDenied(
            "Only a procurement manager of the buyer can set up the competition."
        )
    if not request.user.has_perm("rfx.configure_competition", rfx):
        raise PermissionDenied(
            "The competition is fixed once the RFx is published: suppliers rely on it."
            if rfx.kind == RFx.Kind.RFP
            else "A request for information has no competition."
        )
    return rfx


def _fresh(rfx: RFx) -> RFx:
    """The RFx read again, without the competition a refused change may have left cached."""
    return RFx.objects.select_related("buyer").get(pk=rfx.pk)


def _service_messages(error: ApplicationError) -> list[str]:
    found = error.extra.get("messages") or list((error.extra.get("errors") or {}).values())
    return found or [error.message]


def _put_errors(form: Any, error: ApplicationError) -> None:
    """Each of the service's field messages next to its field; the rest above the form."""
    errors = error.extra.get("errors") or {}
    if not errors:
        form.add_error(None, error.message)
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


# --- the buyer's set-up -------------------------------------------------------------------------


def _bar_form(competition: Competition | None, data: Any = None) -> BarForm:
    labelled = competition is not None and bool(competition.labels_file)
    return BarForm(
        data,
        classes=list(competition.classes) if labelled else None,
        columns=list(competition.group_columns) if labelled else None,
    )


def _file_rows(
    request: HttpRequest,
    rfx: RFx,
    competition: Competition | None,
    forms: dict[str, CompetitionFileForm],
    errors: dict[str, list[str]],
) -> list[dict[str, Any]]:
    rows = []
    for kind, spec in FILES.items():
        stored = bool(competition and getattr(competition, spec.field))
        row: dict[str, Any] = {
            "kind": kind,
            "what": spec.what,
            "stored": stored,
            "name": getattr(competition, f"{kind}_name", "") if competition else "",
            "size": getattr(competition, f"{kind}_size", 0) if competition else 0,
            "form": forms.get(kind) or CompetitionFileForm(kind=kind),
            "errors": errors.get(kind, []),
            "can_download": stored
            and request.user.has_perm(f"rfx.download_competition_{kind}", rfx),
            "download_url": reverse("rfx-competition-download", args=[rfx.pk, kind]),
            "upload_url": reverse("rfx-competition-upload", args=[rfx.pk, kind]),
        }
        rows.append(row)
    return rows


def _setup_context(
    request: HttpRequest,
    rfx: RFx,
    *,
    settings_form: CompetitionSettingsForm | None = None,
    bar_form: BarForm | None = None,
    file_forms: dict[str, CompetitionFileForm] | None = None,
    file_errors: dict[str, list[str]] | None = None,
    bar_errors: list[str] | None = None,
) -> dict[str, Any]:
    competition = competition_for_rfx(rfx)
    user = request.user
    can_configure = user.has_perm("rfx.configure_competition", rfx)
    if bar_form is None:
        bar_form = _bar_form(competition)
    return {
        "rfx": rfx,
        "competition": competition,
        "manager": user.has_perm("rfx.manage_rfx", rfx),
        "can_configure": can_configure,
        "settings_form": settings_form or CompetitionSettingsForm(competition=competition),
        "bar_form": bar_form,
        "bar_errors": bar_errors or [],
        "bars": bar_rows(list(competition.bars), None) if competition else [],
        "files": _file_rows(request, rfx, competition, file_forms or {}, file_errors or {}),
        "publishing_problem": competition_services.competition_publishing_problem(rfx)
        if rfx.status == RFx.Status.DRAFT
        else None,
        "time_zone": timezone.get_current_timezone_name(),
        "results_url": reverse("rfx-competition-results", args=[rfx.pk])
        if user.has_perm("rfx.view_competition_results", rfx)
        else "",
        "metric_meanings": METRIC_MEANINGS,
    }


def _setup_page(request: HttpRequest, rfx: RFx, *, status: int = 200, **forms: Any) -> HttpResponse:
    return render(
        request,
        "rfx/competition/setup.html",
        _setup_context(request, rfx, **forms),
        status=status,
    )


@login_required
@require_GET
def competition_setup(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _buyer_rfx(request, pk)
    if isinstance(rfx, HttpResponse):
        return rfx
    return _setup_page(request, rfx)


@login_required
@require_POST
def competition_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Set up the competition (the first save creates it) or change its settings."""
    rfx = _configurer(request, pk)
    competition = competition_for_rfx(rfx)
    form = CompetitionSettingsForm(request.POST, competition=competition)
    if form.is_valid():
        changes = form.changes()
        if competition is not None and not changes:
            messages.info(request, "Nothing has changed.")
            return redirect("rfx-competition", rfx.pk)
        try:
            competition_services.competition_configure(rfx=rfx, user=request.user, **changes)
        except ApplicationError as error:
            _put_errors(form, error)
        else:
            messages.success(
                request,
                "The competition settings are saved."
                if competition is not None
                else "The competition is set up. Add its bars and upload its three files.",
            )
            return redirect("rfx-competition", rfx.pk)
    return _setup_page(request, _fresh(rfx), settings_form=form, status=400)


@login_required
@require_POST
def competition_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _configurer(request, pk)
    try:
        competition_services.competition_remove(rfx=rfx, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "The competition and its files are removed; proposals are no longer gated."
        )
    return redirect("rfx-competition", rfx.pk)


def _bars_response(
    request: HttpRequest,
    rfx: RFx,
    *,
    notice: str = "",
    bar_form: BarForm | None = None,
    bar_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """htmx: the bars section alone; otherwise back to the page, or the page with the errors."""
    if request.htmx:
        context = _setup_context(request, rfx, bar_form=bar_form, bar_errors=bar_errors)
        context["bar_notice"] = notice
        return render(request, "rfx/competition/_bars.html", context, status=status)
    if status >= 400:
        return _setup_page(request, rfx, bar_form=bar_form, bar_errors=bar_errors, status=status)
    messages.success(request, notice)
    return redirect(f"{reverse('rfx-competition', args=[rfx.pk])}#bars")


@login_required
@require_POST
def competition_bar_add(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _configurer(request, pk)
    competition = competition_for_rfx(rfx)
    form = _bar_form(competition, request.POST)
    if competition is None:
        form.is_valid()
        form.add_error(None, "Set up the competition before adding bars.")
        return _bars_response(request, rfx, bar_form=form, status=400)
    if not form.is_valid():
        return _bars_response(request, rfx, bar_form=form, status=400)
    try:
        competition_services.competition_configure(
            rfx=rfx, user=request.user, bars=[*competition.bars, form.bar()]
        )
    except ApplicationError as error:
        # The scorer numbers the bars; only the new one can be wrong here.
        form.add_error(None, " ".join(_service_messages(error)))
        return _bars_response(request, _fresh(rfx), bar_form=form, status=400)
    return _bars_response(request, _fresh(rfx), notice="The bar is added.")


@login_required
@require_POST
def competition_bar_remove(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    rfx = _configurer(request, pk)
    competition = competition_for_rfx(rfx)
    bars = list(competition.bars) if competition else []
    if not 0 <= index < len(bars):
        return _bars_response(
            request,
            rfx,
            bar_errors=["That bar is no longer there: the page may be out of date."],
            status=400,
        )
    try:
        competition_services.competition_configure(
            rfx=rfx, user=request.user, bars=bars[:index] + bars[index + 1 :]
        )
    except ApplicationError as error:
        return _bars_response(request, _fresh(rfx), bar_errors=_service_messages(error), status=400)
    return _bars_response(request, _fresh(rfx), notice="The bar is removed.")


def _header_of(file: UploadedFile) -> list[str]:
    """The column names on the first line of an upload, for the confirmation message."""
    file.seek(0)
    first = file.read(64 * 1024).split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    file.seek(0)
    return next(csv.reader(io.StringIO(first)), [])


def _uploaded_note(competition: Competition, kind: str, columns: list[str]) -> str:
    name = getattr(competition, f"{kind}_name") or FILES[kind].what
    size = filesizeformat(getattr(competition, f"{kind}_size"))
    if kind == "labels":
        groups = ", ".join(competition.group_columns) or "none"
        return (
            f"“{name}” ({size}) is uploaded as the hidden labels: {competition.rows:,} rows, "
            f"classes {', '.join(competition.classes)}; group columns: {groups}."
        )
    shown = ", ".join(columns[:12]) + (" …" if len(columns) > 12 else "")
    what = FILES[kind].what
    return f"“{name}” ({size}) is uploaded as the {what}: {len(columns)} columns ({shown})."


@login_required
@require_POST
def competition_upload(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    rfx = _configurer(request, pk)
    if kind not in FILES:
        raise Http404("No such competition file.")
    form = CompetitionFileForm(request.POST, request.FILES, kind=kind)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        columns = _header_of(upload) if kind != "labels" else []
        try:
            competition = competition_services.competition_file_upload(
                rfx=rfx, user=request.user, kind=kind, file=upload
            )
        except ApplicationError as error:
            return _setup_page(
                request,
                _fresh(rfx),
                file_forms={kind: form},
                file_errors={kind: _service_messages(error)},
                status=400,
            )
        messages.success(request, _uploaded_note(competition, kind, columns))
        return redirect(f"{reverse('rfx-competition', args=[rfx.pk])}#file-{kind}")
    return _setup_page(request, rfx, file_forms={kind: form}, status=400)


@login_required
@require_GET
def competition_download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """One of the three files, to whoever `rfx.permissions` allows; never a public URL."""
    rfx = get_rfx_for_user(request.user, pk)
    if kind not in FILES:
        raise Http404("No such competition file.")
    if not request.user.has_perm(f"rfx.download_competition_{kind}", rfx):
        if kind == "inputs" and request.user.has_perm("rfx.download_competition_training", rfx):
            raise PermissionDenied("The evaluation inputs are not released yet.")
        raise PermissionDenied("You cannot download this file.")
    return competition_file_response(competition_for_rfx(rfx), kind)


def csv_attachment(stored: FieldFile, filename: str) -> FileResponse:
    """A stored CSV file streamed as an attachment, never cached; 404 if it is gone."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="text/csv")
    response["Cache-Control"] = "private, no-store"
    return response


def competition_file_response(competition: Competition | None, kind: str) -> FileResponse:
    """One of the competition's three files under its uploaded name (pages and API)."""
    stored = getattr(competition, FILES[kind].field) if competition else None
    if not stored:
        raise Http404("This file is not uploaded yet.")
    return csv_attachment(stored, getattr(competition, f"{kind}_name") or f"{kind}.csv")


# --- the supplier's page ------------------------------------------------------------------------


STATUS_WORDS = {
    Job.QUEUED: "Queued for scoring",
    Job.RUNNING: "Scoring now",
    Job.DONE: "Scored",
    Job.FAILED: "Scoring failed",
}


def _supplier_competition(request: HttpRequest, pk: int) -> tuple[RFx, Competition]:
    rfx = _supplier_rfx(request.user, pk)
    competition = competition_for_rfx(rfx) if rfx.has_competition else None
    if competition is None or not request.user.has_perm("rfx.view_competition", rfx):
        raise Http404("This RFx has no competition.")
    return rfx, competition


def _upload_rows(submissions: list[PredictionSubmission], counted_pk: int | None) -> list[dict]:
    return [
        {
            "submission": submission,
            "counts": submission.pk == counted_pk,
            "refused": not submission.valid,
            "status_words": "Refused: does not count"
            if not submission.valid
            else STATUS_WORDS.get(submission.status, submission.status),
            "can_retry": submission.valid and submission.status == Job.FAILED,
        }
        for submission in submissions
    ]


def _why_no_upload(
    rfx: RFx,
    competition: Competition,
    *,
    proposal: Proposal | None,
    accepted: bool,
    remaining: int,
    now: Any,
) -> str:
    """Why the predictions upload is closed now, in a sentence; empty when it is open."""
    deadline = rfx.proposal_deadline
    if rfx.status == RFx.Status.CANCELLED:
        return "This RFx was cancelled: predictions are no longer accepted."
    if deadline is None or now >= deadline or rfx.status != RFx.Status.PUBLISHED:
        return "The proposal deadline has passed: predictions are no longer accepted."
    if not accepted:
        return "Accept the invitation to take part in the competition."
    if competition.release_at is None or now < competition.release_at:
        when = (
            moment_in_words(competition.release_at, now, "are released", "were released")
            if competition.release_at
            else "are not released yet"
        )
        return f"The evaluation inputs {when}; you can upload predictions from then."
    if proposal is None:
        return "Predictions belong to your proposal: start your proposal first."
    if remaining <= 0:
        return (
            f"You have used all {competition.submission_limit} valid files this competition "
            "allows. Your last valid file counts."
        )
    return ""


def _supplier_context(request: HttpRequest, rfx: RFx, competition: Competition) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    proposal = proposal_for_supplier(rfx, user)
    invitation = _own_invitation(rfx, user)
    submissions = list(prediction_submission_list(proposal)) if proposal else []
    for submission in submissions:
        submission.proposal = proposal  # the permission rules read it; no query per file
    counted = next((submission for submission in submissions if submission.valid), None)
    valid_used = sum(1 for submission in submissions if submission.valid)
    remaining = max(0, competition.submission_limit - valid_used)
    accepted = invitation is not None and invitation.status == Invitation.Status.ACCEPTED
    why_not = _why_no_upload(
        rfx, competition, proposal=proposal, accepted=accepted, remaining=remaining, now=now
    )
    can_submit = (
        not why_not and proposal is not None and user.has_perm("rfx.submit_predictions", proposal)
    )
    results = None
    if counted is not None and user.has_perm("rfx.view_prediction_metrics", counted):
        metrics = prediction_metrics(counted)
        if metrics is not None:
            results = metrics_view(metrics, list(competition.bars), competition.primary_metric)
    deadline_passed = rfx.proposal_deadline is not None and now >= rfx.proposal_deadline
    return {
        "rfx": rfx,
        "competition": competition,
        "invitation": invitation,
        "proposal": proposal,
        "metric_name": METRIC_NAMES[competition.primary_metric],
        "metric_meaning": METRIC_MEANINGS[competition.primary_metric],
        "bars": bar_rows(list(competition.bars), None),
        "released": competition.release_at is not None and now >= competition.release_at,
        "release_words": moment_in_words(
            competition.release_at, now, "are released", "were released"
        )
        if competition.release_at
        else "",
        "deadline_words": moment_in_words(rfx.proposal_deadline, now, "close", "closed")
        if rfx.proposal_deadline
        else "",
        "deadline_passed": deadline_passed,
        "can_download_training": user.has_perm("rfx.download_competition_training", rfx)
        and bool(competition.training_file),
        "can_download_inputs": user.has_perm("rfx.download_competition_inputs", rfx)
        and bool(competition.inputs_file),
        "accepted": accepted,
        "uploads": _upload_rows(submissions, counted.pk if counted else None),
        "pending": any(s.valid and s.status in (Job.QUEUED, Job.RUNNING) for s in submissions),
        "counted": counted,
        "valid_used": valid_used,
        "remaining": remaining,
        "can_submit": can_submit,
        "why_not": why_not,
        "form": PredictionsForm(),
        "results": results,
    }


def _supplier_page(
    request: HttpRequest,
    rfx: RFx,
    competition: Competition,
    *,
    error: str = "",
    form: PredictionsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _supplier_context(request, rfx, competition)
    context["error"] = error
    if form is not None:
        context["form"] = form
    return render(request, "rfx/competition/supplier.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def supplier_competition(request: HttpRequest, pk: int) -> HttpResponse:
    """The competition as the supplier takes part in it; a POST uploads a predictions file."""
    rfx, competition = _supplier_competition(request, pk)
    if request.method == "GET":
        if request.htmx and request.GET.get("part") == "uploads":
            # The list of files polls itself while scoring runs.
            context = _supplier_context(request, rfx, competition)
            return render(request, "rfx/competition/_uploads.html", context)
        return _supplier_page(request, rfx, competition)
    context = _supplier_context(request, rfx, competition)
    proposal = context["proposal"]
    if not context["can_submit"]:
        # The server's clock decides: nothing is stored, whatever the form says.
        context["error"] = context["why_not"] or "You cannot upload predictions now."
        return render(request, "rfx/competition/supplier.html", context, status=403)
    form = PredictionsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _supplier_page(request, rfx, competition, form=form, status=400)
    try:
        submission = competition_services.prediction_submit(
            proposal=proposal, user=request.user, file=form.cleaned_data["file"]
        )
    except ApplicationError as error:
        return _supplier_page(
            request, rfx, competition, error=" ".join(_service_messages(error)), status=400
        )
    name = submission.original_name
    if submission.valid:
        messages.success(
            request,
            f"File {submission.number} (“{name}”) is valid and now counts. It is being scored; "
            "the results are shown here after the proposal deadline.",
        )
    else:
        messages.error(
            request,
            f"File {submission.number} (“{name}”) was refused and does not count against your "
            "limit. Fix the problems listed below and upload it again.",
        )
    return redirect(
        f"{reverse('rfx-supplier-competition', args=[rfx.pk])}#upload-{submission.number}"
    )


def prediction_file_response(submission: PredictionSubmission) -> FileResponse:
    """The predictions file exactly as it was uploaded, as an attachment under its own name."""
    return csv_attachment(
        submission.file, submission.original_name or f"predictions-{submission.number}.csv"
    )


@login_required
@require_GET
def prediction_download(request: HttpRequest, pk: int, submission_pk: int) -> FileResponse:
    """A predictions file as the supplier uploaded it, valid or refused: to that supplier only."""
    submission = get_prediction_submission_for_user(request.user, submission_pk)
    if submission.proposal.rfx_id != pk:
        raise Http404("No such predictions file.")
    if not request.user.has_perm("rfx.download_prediction_file", submission):
        raise PermissionDenied("Only the supplier that uploaded this file can download it.")
    return prediction_file_response(submission)


@login_required
@require_POST
def prediction_retry(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """Queue a failed scoring again: the supplier that sent it, or a procurement manager."""
    submission = get_prediction_submission_for_user(request.user, submission_pk)
    if submission.proposal.rfx_id != pk:
        raise Http404("No such predictions file.")
    if not request.user.has_perm("rfx.retry_prediction_scoring", submission):
        raise PermissionDenied("Only the supplier or a procurement manager can retry scoring.")
    try:
        competition_services.prediction_retry(submission=submission, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Scoring of file {submission.number} is queued again.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("rfx-supplier-competition", args=[pk])
    return redirect(back)


# --- the leaderboard ----------------------------------------------------------------------------


def _display_names(request: HttpRequest, rfx: RFx, rows: list[dict]) -> dict[int, str]:
    """Proposal id → the name this person may read (pseudonyms for reviewers grading blind).

    `supplier_names_for` reads only a proposal's pk, supplier_id and supplier name, which the
    leaderboard rows already carry: no need to load the proposals again.
    """
    stand_ins = [
        SimpleNamespace(
            pk=row["proposal_id"],
            supplier_id=row["supplier_id"],
            supplier=SimpleNamespace(name=row["supplier_name"]),
        )
        for row in rows
    ]
    return supplier_names_for(request.user, rfx, stand_ins)  # type: ignore[arg-type]


def _results_access(request: HttpRequest, pk: int) -> tuple[RFx, Competition] | HttpResponse:
    access = _access(request, pk)
    rfx = access.rfx
    competition = competition_for_rfx(rfx) if rfx.has_competition else None
    if competition is None:
        raise Http404("This RFx has no competition.")
    if rfx.status not in OPENED:
        return render(request, "rfx/evaluation/sealed.html", {"rfx": rfx})
    if not request.user.has_perm("rfx.view_competition_results", rfx):
        raise Http404("No such RFx.")
    return rfx, competition


def _leaderboard_rows(
    request: HttpRequest, rfx: RFx, competition: Competition
) -> list[dict[str, Any]]:
    rows = competition_results(rfx)
    names = _display_names(request, rfx, rows)
    failed = [row["submission_id"] for row in rows if row["status"] == Job.FAILED]
    reasons = (
        dict(
            PredictionSubmission.objects.filter(pk__in=failed).order_by().values_list("pk", "error")
        )
        if failed
        else {}
    )
    bars = list(competition.bars)
    return [
        {
            **row,
            **result_outcome(row, bars),
            "name": names[row["proposal_id"]],
            "error": reasons.get(row["submission_id"], ""),
            "detail_url": reverse("rfx-competition-result", args=[rfx.pk, row["proposal_id"]]),
        }
        for row in rows
    ]


@_guarded
@require_GET
def competition_leaderboard(request: HttpRequest, pk: int) -> HttpResponse:
    found = _results_access(request, pk)
    if isinstance(found, HttpResponse):
        return found
    rfx, competition = found
    rows = _leaderboard_rows(request, rfx, competition)
    return render(
        request,
        "rfx/competition/leaderboard.html",
        {
            "rfx": rfx,
            "competition": competition,
            "rows": rows,
            "bars": bar_rows(list(competition.bars), None),
            "metric_name": METRIC_NAMES[competition.primary_metric],
            "is_manager": request.user.has_perm("rfx.manage_rfx", rfx),
            "passed_count": sum(1 for row in rows if row["passed"] is True),
        },
    )


@_guarded
@require_GET
def competition_result(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    found = _results_access(request, pk)
    if isinstance(found, HttpResponse):
        return found
    rfx, competition = found
    row = next(
        (
            row
            for row in _leaderboard_rows(request, rfx, competition)
            if row["proposal_id"] == proposal_pk
        ),
        None,
    )
    if row is None:
        raise Http404("No such proposal in the competition.")
    proposal = rfx.proposals.get(pk=proposal_pk)
    return render(
        request,
        "rfx/competition/result.html",
        {
            "rfx": rfx,
            "competition": competition,
            "row": row,
            "metric_name": METRIC_NAMES[competition.primary_metric],
            "results": metrics_view(
                row["metrics"], list(competition.bars), competition.primary_metric
            )
            if row["metrics"]
            else None,
            "uploads": list(prediction_submission_list(proposal).defer("metrics")),
            "is_manager": request.user.has_perm("rfx.manage_rfx", rfx),
        },
    )


urlpatterns: list = [
    path("<int:pk>/competition/", competition_setup, name="rfx-competition"),
    path("<int:pk>/competition/settings/", competition_settings, name="rfx-competition-settings"),
    path("<int:pk>/competition/remove/", competition_remove, name="rfx-competition-remove"),
    path("<int:pk>/competition/bars/", competition_bar_add, name="rfx-competition-bar-add"),
    path(
        "<int:pk>/competition/bars/<int:index>/remove/",
        competition_bar_remove,
        name="rfx-competition-bar-remove",
    ),
    path(
        "<int:pk>/competition/files/<str:kind>/",
        competition_upload,
        name="rfx-competition-upload",
    ),
    path(
        "<int:pk>/competition/files/<str:kind>/download/",
        competition_download,
        name="rfx-competition-download",
    ),
    path("<int:pk>/supplier/competition/", supplier_competition, name="rfx-supplier-competition"),
    path(
        "<int:pk>/competition/predictions/<int:submission_pk>/download/",
        prediction_download,
        name="rfx-prediction-download",
    ),
    path(
        "<int:pk>/competition/predictions/<int:submission_pk>/retry/",
        prediction_retry,
        name="rfx-prediction-retry",
    ),
    path("<int:pk>/competition/results/", competition_leaderboard, name="rfx-competition-results"),
    path(
        "<int:pk>/competition/results/<int:proposal_pk>/",
        competition_result,
        name="rfx-competition-result",
    ),
]
