"""The RFx API for the comparison scorecard PDF and the evaluation-matrix exports (DESIGN §7).

The pages' rules (`rfx.reports`): the procurement managers, and the reviewers on the team who
declared no conflict, once the RFx has closed. As for the ranking, anyone else who may see the
RFx gets a 403 saying why, anyone who may not a 404. Each gets only what they may see: prices
and the cost score once the technical scores are locked, and under blind grading reviewers
read pseudonyms. A scorecard made with more than a person may see does not exist for them.

The scorecard renders on the worker: ask for it (202), poll it until `status` is done or
failed (with the reason in `error`), retry a failed one, then download the PDF.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rfx import reports
from rfx.api import serializers as s
from rfx.api.views import ERRORS, READ_ERRORS, TAGS, _evaluation_rfx
from rfx.exports import matrix_csv, matrix_xlsx
from rfx.models import ComparisonReport, RFx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _FileRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file's type; only errors are rendered here, as JSON."""

    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class PDFRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CSVRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(_FileRenderer):
    media_type = XLSX
    format = "xlsx"


def _report(request: Request, rfx: RFx, report_id: int) -> ComparisonReport:
    report = reports.reports_for_user(request.user, rfx).filter(pk=report_id).first()
    if report is None:
        raise exceptions.NotFound("No such scorecard.")
    return report


def _data(request: Request, report: ComparisonReport) -> dict:
    return s.ComparisonScorecardSerializer(report, context={"request": request}).data


class ScorecardListCreateApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The comparison scorecards you may download, newest first",
        responses={200: s.ComparisonScorecardSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        rows = reports.reports_for_user(request.user, rfx).order_by("-created_at", "-pk")
        return Response(
            s.ComparisonScorecardSerializer(rows, many=True, context={"request": request}).data
        )

    @extend_schema(
        tags=TAGS,
        summary="Ask for the comparison scorecard PDF",
        description="It renders in the background, showing what you may see (prices only "
        "after the technical lock; pseudonyms for reviewers grading blind). Poll it until "
        "`status` is done, then follow `download_url`. Asking again while one such scorecard "
        "is queued or rendering returns that one.",
        request=None,
        responses={202: s.ComparisonScorecardSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        report = reports.scorecard_request(rfx=rfx, user=request.user)
        return Response(
            _data(request, _report(request, rfx, report.pk)), status=status.HTTP_202_ACCEPTED
        )


class ScorecardDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A scorecard's rendering status",
        description="queued, running, done or failed; `error` says why a rendering failed.",
        responses={200: s.ComparisonScorecardSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int, report_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        return Response(_data(request, _report(request, rfx, report_id)))


class ScorecardRetryApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Render a failed scorecard again",
        description="Only a scorecard that failed; any other is a 400.",
        request=None,
        responses={202: s.ComparisonScorecardSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int, report_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        reports.scorecard_retry(report=_report(request, rfx, report_id))
        return Response(
            _data(request, _report(request, rfx, report_id)), status=status.HTTP_202_ACCEPTED
        )


class ScorecardDownloadApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Download a rendered scorecard (PDF/A)",
        description="A 404 until its status is done.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF file."
            ),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, rfx_id: int, report_id: int) -> FileResponse:
        rfx = _evaluation_rfx(request, rfx_id)
        report = _report(request, rfx, report_id)
        if report.status != ComparisonReport.Status.DONE or not report.file:
            raise exceptions.NotFound(
                f"This scorecard is not ready yet (its status is {report.status})."
            )
        try:
            handle = report.file.open("rb")
        except FileNotFoundError:
            raise exceptions.NotFound("The scorecard file is missing; ask for it again.") from None
        report.rfx = rfx
        return FileResponse(
            handle,
            as_attachment=True,
            filename=reports.report_filename(report),
            content_type="application/pdf",
        )


def _matrix(request: Request, rfx: RFx) -> dict:
    """The evaluation matrix as this person may see it; a 400 when it cannot be ranked."""
    return reports.comparison_data(
        rfx,
        with_prices=reports.can_view_prices(request.user, rfx),
        with_names=reports.can_view_names(request.user, rfx),
    )


def _attachment(content: str | bytes, content_type: str, rfx: RFx, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    filename = f"{slugify(rfx.title) or 'rfx'}-evaluation-matrix.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


MATRIX_DESCRIPTION = (
    "One row per submitted proposal, ranked ones first: rank, total, each component and each "
    "maturity criterion's score. Price and cost columns only after the technical lock, for "
    "who may see them; pseudonyms for reviewers grading blind. Text cells that a spreadsheet "
    "could read as a formula (starting with = + - @) are neutralised."
)


class MatrixCsvApi(APIView):
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS,
        summary="The evaluation matrix as CSV",
        operation_id="v1_rfx_evaluation_matrix_csv",
        description=MATRIX_DESCRIPTION,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="UTF-8 CSV."),
            **ERRORS,
        },
    )
    def get(self, request: Request, rfx_id: int) -> HttpResponse:
        rfx = _evaluation_rfx(request, rfx_id)
        return _attachment(matrix_csv(_matrix(request, rfx)), "text/csv; charset=utf-8", rfx, "csv")


class MatrixXlsxApi(APIView):
    renderer_classes = [renderers.JSONRenderer, XLSXRenderer]

    @extend_schema(
        tags=TAGS,
        summary="The evaluation matrix as an XLSX workbook",
        operation_id="v1_rfx_evaluation_matrix_xlsx",
        description=MATRIX_DESCRIPTION,
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The workbook."),
            **ERRORS,
        },
    )
    def get(self, request: Request, rfx_id: int) -> HttpResponse:
        rfx = _evaluation_rfx(request, rfx_id)
        return _attachment(matrix_xlsx(_matrix(request, rfx), title=rfx.title), XLSX, rfx, "xlsx")
