"""Comparison scorecard PDF and evaluation-matrix exports of an RFx.

Only the procurement managers and the cleared reviewers of the RFx (no conflict
declared) see these, and only once the RFx has closed; everyone else gets a 404.
Prices and the cost score only for those with `rfx.view_price`; under blind grading
reviewers read pseudonyms. The status fragment polls every 2 s while a scorecard is
queued or rendering; without JavaScript the forms post and land on the page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from rfx import reports
from rfx.exports import matrix_csv, matrix_xlsx
from rfx.models import ComparisonReport, RFx
from rfx.selectors import get_rfx_for_user

STATUS_TEMPLATE = "rfx/reports/_scorecard_status.html"
PAGE_TEMPLATE = "rfx/reports/scorecard_page.html"
ERROR_TEMPLATE = "rfx/exports/export_error.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rfx(request: HttpRequest, pk: int) -> RFx:
    """The RFx if the person may compare its proposals; 404 otherwise, revealing nothing."""
    rfx = get_rfx_for_user(request.user, pk)
    if not reports.can_view_comparison(request.user, rfx):
        raise Http404("No such RFx.")
    return rfx


def _report(request: HttpRequest, rfx: RFx, report_id: int) -> ComparisonReport:
    report = reports.reports_for_user(request.user, rfx).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such scorecard.")
    return report


def _respond(
    request: HttpRequest,
    rfx: RFx,
    report: ComparisonReport | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"rfx": rfx, "report": report, "error": error}
    if request.htmx:
        # htmx swaps only 2xx responses, so an error message travels in a 200 fragment.
        return render(request, STATUS_TEMPLATE, context)
    return render(request, PAGE_TEMPLATE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    if request.method == "GET":
        latest = reports.reports_for_user(request.user, rfx).first()
        return _respond(request, rfx, latest)
    try:
        report = reports.scorecard_request(rfx=rfx, user=request.user)
    except ApplicationError as error:
        return _respond(request, rfx, None, error=error.message, status=400)
    if request.htmx:
        return _respond(request, rfx, report)
    return redirect("rfx-scorecard-status", pk=rfx.pk, report_id=report.pk)


@login_required
@require_GET
def scorecard_status(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    return _respond(request, rfx, _report(request, rfx, report_id))


@login_required
@require_POST
def scorecard_retry(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    report = _report(request, rfx, report_id)
    try:
        report = reports.scorecard_retry(report=report)
    except ApplicationError as error:
        return _respond(request, rfx, report, error=error.message, status=400)
    if request.htmx:
        return _respond(request, rfx, report)
    return redirect("rfx-scorecard-status", pk=rfx.pk, report_id=report.pk)


@login_required
@require_GET
def scorecard_download(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    report = _report(request, rfx, report_id)
    if report.status != ComparisonReport.Status.DONE or not report.file:
        raise Http404("This scorecard is not ready.")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404("The scorecard file is missing; create it again.") from None
    report.rfx = rfx
    return FileResponse(
        handle,
        as_attachment=True,
        filename=reports.report_filename(report),
        content_type="application/pdf",
    )


def _matrix(request: HttpRequest, rfx: RFx) -> dict | HttpResponse:
    try:
        return reports.comparison_data(
            rfx,
            with_prices=reports.can_view_prices(request.user, rfx),
            with_names=reports.can_view_names(request.user, rfx),
        )
    except ApplicationError as error:
        return render(request, ERROR_TEMPLATE, {"rfx": rfx, "error": error.message}, status=409)


def _filename(rfx: RFx, extension: str) -> str:
    return f"{slugify(rfx.title) or 'rfx'}-evaluation-matrix.{extension}"


@login_required
@require_GET
def export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    data = _matrix(request, rfx)
    if isinstance(data, HttpResponse):
        return data
    response = HttpResponse(matrix_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(rfx, "csv")}"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    rfx = _rfx(request, pk)
    data = _matrix(request, rfx)
    if isinstance(data, HttpResponse):
        return data
    response = HttpResponse(matrix_xlsx(data, title=rfx.title), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(rfx, "xlsx")}"'
    return response


urlpatterns: list = [
    path("<int:pk>/scorecard/", scorecard, name="rfx-scorecard"),
    path(
        "<int:pk>/scorecard/<int:report_id>/status/",
        scorecard_status,
        name="rfx-scorecard-status",
    ),
    path("<int:pk>/scorecard/<int:report_id>/retry/", scorecard_retry, name="rfx-scorecard-retry"),
    path(
        "<int:pk>/scorecard/<int:report_id>/download/",
        scorecard_download,
        name="rfx-scorecard-download",
    ),
    path("<int:pk>/export.csv", export_csv, name="rfx-export-csv"),
    path("<int:pk>/export.xlsx", export_xlsx, name="rfx-export-xlsx"),
]
