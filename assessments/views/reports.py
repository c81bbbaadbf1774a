"""PDF maturity report pages: ask for one, watch it render, download it, retry a failure.

The status fragment (`templates/assessments/_report_status.html`) is included by the
overview page and returned by these views, so htmx swaps it in place; it polls itself
every 2 s only while the report is queued or rendering. Without JavaScript the forms
post normally and land on a small page around the same fragment.

Who may: `assessments.view_report` to see and download (the respondent's members, the
buyer's reviewers who declared no conflict and its procurement managers),
`assessments.request_report` to ask and retry. Everyone else gets a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assessments import services
from assessments.models import Assessment, AssessmentVersion, Report, Scorecard
from assessments.reports import report_filename
from assessments.selectors import get_assessment_for_user, latest_version
from core.exceptions import ApplicationError

STATUS_TEMPLATE = "assessments/_report_status.html"
PAGE_TEMPLATE = "assessments/reports/report_page.html"


@dataclass
class ReportPanel:
    """What the status fragment shows about an assessment's PDF report."""

    assessment: Assessment
    report: Report | None
    version: AssessmentVersion | None  # the latest submitted version
    can_request: bool
    error: str = ""

    @property
    def scoring_ready(self) -> bool:
        return self.version is not None and self.version.status == AssessmentVersion.Status.DONE

    @property
    def newer_version(self) -> bool:
        return (
            self.report is not None
            and self.version is not None
            and self.report.version_id != self.version.pk
        )

    @property
    def scores_changed(self) -> bool:
        """A finished report rendered before the latest rescoring (a reviewer scored since)."""
        if self.report is None or self.report.status != Report.Status.DONE or self.newer_version:
            return False
        try:
            scorecard = self.version.scorecard if self.version else None
        except Scorecard.DoesNotExist:
            return False
        started = self.report.started_at or self.report.created_at
        return scorecard is not None and scorecard.updated_at > started

    @cached_property
    def competition_released(self) -> bool:
        """A proposal's finished report rendered before the RFx's proposal deadline, which has
        passed since: a new one has the supplier's own tender competition results."""
        report = self.report
        if (
            report is None
            or report.status != Report.Status.DONE
            or self.newer_version
            or self.assessment.kind != Assessment.Kind.PROPOSAL
        ):
            return False
        from rfx.models import Proposal  # rfx builds on assessments

        deadline = (
            Proposal.objects.filter(maturity_assessment=self.assessment, rfx__has_competition=True)
            .values_list("rfx__proposal_deadline", flat=True)
            .first()
        )
        started = report.started_at or report.created_at
        return deadline is not None and started < deadline <= timezone.now()

    @property
    def offer_new(self) -> bool:
        """Whether to show the button that asks for a (new) report."""
        if not self.can_request or not self.scoring_ready:
            return False
        if self.report is None:
            return True
        return self.report.status == Report.Status.DONE and (
            self.newer_version or self.scores_changed or self.competition_released
        )


def report_panel(
    user, assessment: Assessment, report: Report | None = None, error: str = ""
) -> ReportPanel | None:
    """The panel for `report`, or for the latest report; None if the person may not see reports."""
    if not user.has_perm("assessments.view_report", assessment):
        return None
    if report is None:
        report = assessment.reports.select_related("version").order_by("-created_at", "-pk").first()
    return ReportPanel(
        assessment=assessment,
        report=report,
        version=latest_version(assessment),
        can_request=user.has_perm("assessments.request_report", assessment),
        error=error,
    )


# --- fetching with a permission check ---------------------------------------------------------


def _assessment(request: HttpRequest, pk: int, perm: str) -> Assessment:
    """The assessment if the person has `perm` on it; 404 otherwise, so nothing is revealed."""
    assessment = get_assessment_for_user(request.user, pk)
    if not request.user.has_perm(perm, assessment):
        raise Http404("No such assessment.")
    return assessment


def _report(assessment: Assessment, report_id: int) -> Report:
    report = assessment.reports.select_related("version").filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report


def _respond(request: HttpRequest, panel: ReportPanel | None, *, status: int = 200) -> HttpResponse:
    context = {"assessment": panel.assessment if panel else None, "panel": panel}
    if request.htmx:
        # htmx swaps only 2xx responses, so an error message travels in a 200 fragment.
        return render(request, STATUS_TEMPLATE, context)
    return render(request, PAGE_TEMPLATE, context, status=status)


# --- views ------------------------------------------------------------------------------------


@login_required
@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessments.request_report")
    try:
        report = services.report_request(assessment=assessment, user=request.user)
    except ApplicationError as error:
        return _respond(
            request, report_panel(request.user, assessment, error=error.message), status=400
        )
    if request.htmx:
        return _respond(
            request, report_panel(request.user, assessment, _report(assessment, report.pk))
        )
    return redirect("assessment-report-status", pk=assessment.pk, report_id=report.pk)


@login_required
@require_GET
def report_status(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessments.view_report")
    return _respond(request, report_panel(request.user, assessment, _report(assessment, report_id)))


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessments.view_report")
    report = _report(assessment, report_id)
    if report.status != Report.Status.DONE or not report.file:
        raise Http404("This report is not ready.")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404("The report file is missing; create the report again.") from None
    report.assessment = assessment  # already fetched with its organisation and framework
    return FileResponse(
        handle, as_attachment=True, filename=report_filename(report), content_type="application/pdf"
    )


@login_required
@require_POST
def report_retry(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessments.request_report")
    report = _report(assessment, report_id)
    try:
        services.report_retry(report=report)
    except ApplicationError as error:
        return _respond(
            request, report_panel(request.user, assessment, report, error=error.message), status=400
        )
    if request.htmx:
        return _respond(
            request, report_panel(request.user, assessment, _report(assessment, report_id))
        )
    return redirect("assessment-report-status", pk=assessment.pk, report_id=report.pk)


urlpatterns = [
    path("<int:pk>/reports/", report_request, name="assessment-report-request"),
    path(
        "<int:pk>/reports/<int:report_id>/status/", report_status, name="assessment-report-status"
    ),
    path(
        "<int:pk>/reports/<int:report_id>/download/",
        report_download,
        name="assessment-report-download",
    ),
    path("<int:pk>/reports/<int:report_id>/retry/", report_retry, name="assessment-report-retry"),
]
