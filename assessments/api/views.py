"""The assessments API: answer, submit, score, review and report (DESIGN §8).

Each view parses its input, fetches the assessment with
`get_assessment_for_user` (404 for what the person may not see), checks the
action with `has_perm` (403), calls one service and serializes the result.
Services raise ApplicationError, which `core.api.exception_handler` turns
into a 400 with the message.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from accounts.selectors import membership_list_for_user
from assessments import services
from assessments.api import serializers as s
from assessments.models import Assessment, AssessmentVersion, Report
from assessments.permissions import has_declared_no_conflict, is_assigned_reviewer
from assessments.scoring import is_answered, missing_required, question_codes, visibility
from assessments.selectors import (
    assessment_list_for_user,
    draft_rule_inputs,
    get_assessment_for_user,
    latest_version,
)
from principles.models import Framework, Question
from principles.rules import Evaluator
from principles.selectors import framework_spec, get_framework_for_user

TAGS = ["assessments"]
SCORECARD_KEYS = ("score", "level", "criteria", "questions", "red_flags", "divergences")
ERRORS = {
    400: OpenApiResponse(
        s.ErrorSerializer, description="The request cannot be done; `detail` says why."
    ),
    403: OpenApiResponse(
        s.ErrorSerializer, description="Not signed in, or not allowed to do this."
    ),
    404: OpenApiResponse(
        s.ErrorSerializer, description="No such assessment, or not one you may see."
    ),
}
READ_ERRORS = {403: ERRORS[403], 404: ERRORS[404]}


# --- access -------------------------------------------------------------------------------------


def _forbidden(user, assessment: Assessment, message: str) -> exceptions.PermissionDenied:
    if is_assigned_reviewer(user, assessment) and not has_declared_no_conflict(user, assessment):
        return exceptions.PermissionDenied(
            "Declare that you have no conflict of interest with this assessment before opening it."
        )
    return exceptions.PermissionDenied(message)


def _assessment(request: Request, pk: int, perm: str, message: str) -> Assessment:
    assessment = get_assessment_for_user(request.user, pk)
    if not request.user.has_perm(perm, assessment):
        raise _forbidden(request.user, assessment, message)
    return assessment


def _is_respondent(user, assessment: Assessment) -> bool:
    # change_* needs a draft and reopen a submission: together, "answers for this organisation".
    return user.has_perm("assessments.change_assessment", assessment) or user.has_perm(
        "assessments.reopen_assessment", assessment
    )


def _respondent_assessment(request: Request, pk: int) -> Assessment:
    """The assessment, for its answering organisation only.

    Its state (draft or submitted) is the service's to check: it says why in a 400.
    """
    assessment = get_assessment_for_user(request.user, pk)
    if not _is_respondent(request.user, assessment):
        raise _forbidden(
            request.user, assessment, "Only the answering organisation can change this assessment."
        )
    return assessment


# --- reads --------------------------------------------------------------------------------------


def _latest_status() -> Subquery:
    return Subquery(
        AssessmentVersion.objects.filter(assessment=OuterRef("pk"))
        .order_by("-number")
        .values("status")[:1]
    )


def _progress(assessment: Assessment, inputs: dict[str, dict]) -> dict[str, Any]:
    spec = framework_spec(assessment.framework)
    evaluator = Evaluator(inputs, question_codes(spec))
    shown = visibility(spec, evaluator)
    questions = [
        q for criterion in spec["criteria"] for q in criterion["questions"] if shown[q["code"]]
    ]
    answered = sum(
        is_answered(q.get("answer", "status"), evaluator.answer(q["code"])) for q in questions
    )
    return {
        "questions": len(questions),
        "answered": answered,
        "missing": missing_required(spec, inputs),
    }


def _detail_data(request: Request, assessment: Assessment) -> dict:
    versions = list(assessment.versions.select_related("scorecard").order_by("-number"))
    assessment.version_list = versions
    assessment.scoring_status = versions[0].status if versions else None
    # The draft is the respondent's working copy; reviewers see submitted versions only.
    assessment.progress = (
        _progress(assessment, draft_rule_inputs(assessment))
        if _is_respondent(request.user, assessment)
        else None
    )
    return s.AssessmentDetailSerializer(assessment, context={"request": request}).data


def _answer_sheet(user, assessment: Assessment) -> dict[str, Any]:
    """Every question's answer by code: the respondent's draft, or else the latest submission."""
    if _is_respondent(user, assessment):
        source, number, inputs = "draft", None, draft_rule_inputs(assessment)
    else:
        version = latest_version(assessment)
        if version is None:  # view_answers already needs a submission; kept for safety
            raise exceptions.NotFound("Nothing has been submitted yet.")
        source, number = "version", version.number
        inputs = {
            code: {k: v for k, v in answer.items() if k != "evidence"}
            for code, answer in version.answers.items()
        }
    spec = framework_spec(assessment.framework)
    codes = question_codes(spec)
    evaluator = Evaluator(inputs, codes)
    shown = visibility(spec, evaluator)
    answers = {code: {**evaluator.answer(code), "hidden": not shown[code]} for code in codes}
    return {"source": source, "version": number, "answers": answers}


def _question(assessment: Assessment, code: str) -> Question:
    question = Question.objects.filter(framework_id=assessment.framework_id, code=code).first()
    if question is None:
        raise exceptions.NotFound(f"This assessment's framework has no question {code}.")
    return question


def _report(assessment: Assessment, report_id: int) -> Report:
    report = assessment.reports.select_related("version").filter(pk=report_id).first()
    if report is None:
        raise exceptions.NotFound("No such report.")
    return report


def _latest_version_or_404(assessment: Assessment) -> AssessmentVersion:
    version = latest_version(assessment)
    if version is None:
        raise exceptions.NotFound("Nothing has been submitted yet, so there is no scorecard.")
    return version


def _scorecard_data(version: AssessmentVersion) -> dict:
    body: dict[str, Any] = {
        "version": version.number,
        "status": version.status,
        "error": version.error,
    }
    scorecard = (
        getattr(version, "scorecard", None)
        if version.status == AssessmentVersion.Status.DONE
        else None
    )
    for key in SCORECARD_KEYS:
        body[key] = scorecard.data.get(key) if scorecard else None
    return s.ScorecardSerializer(body).data


# --- creating: the lookups behind the input ------------------------------------------------------


def _framework_for_create(user, data: dict) -> Framework:
    try:
        return get_framework_for_user(
            user, slug=data["framework"], version=data.get("framework_version")
        )
    except Http404:
        named = data["framework"] + (
            f" version {data['framework_version']}" if data.get("framework_version") else ""
        )
        raise exceptions.ValidationError(
            {"framework": [f"There is no framework {named} that you can use."]}
        ) from None


def _respondent_for_create(user, slug: str | None) -> Organisation:
    memberships = list(membership_list_for_user(user))
    if not memberships:
        raise exceptions.PermissionDenied(
            "You are not a member of any organisation, so there is no one to answer for. "
            "Ask your administrator to add you to one."
        )
    if slug:
        for membership in memberships:
            if membership.organisation.slug == slug:
                return membership.organisation
        raise exceptions.ValidationError({"organisation": [f"You are not a member of {slug}."]})
    if len(memberships) > 1:
        names = ", ".join(membership.organisation.slug for membership in memberships)
        raise exceptions.ValidationError(
            {
                "organisation": [
                    f"You belong to several organisations; name the one that answers: {names}."
                ]
            }
        )
    return memberships[0].organisation


def _reviewing_organisation(slug: str | None) -> Organisation | None:
    if not slug:
        return None
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise exceptions.ValidationError(
            {"reviewing_organisation": [f"There is no organisation {slug}."]}
        )
    return organisation


# --- assessments --------------------------------------------------------------------------------


class AssessmentListCreateApi(generics.ListAPIView):
    serializer_class = s.AssessmentListSerializer

    def get_queryset(self) -> QuerySet[Assessment]:
        return (
            assessment_list_for_user(self.request.user)
            .annotate(scoring_status=_latest_status())
            .order_by("-updated_at", "-pk")
        )

    @extend_schema(
        tags=TAGS,
        summary="Assessments you may open",
        responses={200: s.AssessmentListSerializer(many=True), 403: ERRORS[403]},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Start a self-assessment",
        description="The answering organisation is yours; name it when you belong to several.",
        request=s.AssessmentCreateInputSerializer,
        responses={201: s.AssessmentDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        serializer = s.AssessmentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organisation = _respondent_for_create(request.user, data.get("organisation"))
        framework = _framework_for_create(request.user, data)
        assessment = services.assessment_create(
            framework=framework,
            organisation=organisation,
            user=request.user,
            title=data.get("title", ""),
            reviewing_organisation=_reviewing_organisation(data.get("reviewing_organisation")),
        )
        assessment = get_assessment_for_user(request.user, assessment.pk)
        return Response(_detail_data(request, assessment), status=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One assessment with its versions and progress",
        responses={200: s.AssessmentDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, assessment_id: int) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.view_assessment",
            "You may not open this assessment.",
        )
        return Response(_detail_data(request, assessment))

    @extend_schema(
        tags=TAGS,
        summary="Rename a draft",
        request=s.AssessmentUpdateInputSerializer,
        responses={200: s.AssessmentDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, assessment_id: int) -> Response:
        assessment = _respondent_assessment(request, assessment_id)
        serializer = s.AssessmentUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.assessment_update(assessment=assessment, title=serializer.validated_data["title"])
        return Response(_detail_data(request, get_assessment_for_user(request.user, assessment.pk)))


class AssessmentSubmitApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Submit the draft for scoring",
        description="Saves an immutable version and queues its scoring. Unanswered required "
        "questions are "
        "listed in `missing`.",
        request=None,
        responses={
            201: s.VersionSerializer,
            400: OpenApiResponse(
                s.MissingAnswersErrorSerializer,
                description="Required questions are unanswered, or it is already submitted.",
            ),
            **READ_ERRORS,
        },
    )
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = _respondent_assessment(request, assessment_id)
        version = services.assessment_submit(assessment=assessment, user=request.user)
        return Response(s.VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class AssessmentReopenApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Reopen a submitted assessment as a draft",
        description="The submitted versions stay as they were.",
        request=None,
        responses={200: s.AssessmentDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = _respondent_assessment(request, assessment_id)
        services.assessment_reopen(assessment=assessment, user=request.user)
        return Response(_detail_data(request, get_assessment_for_user(request.user, assessment.pk)))


# --- answers ------------------------------------------------------------------------------------


class AnswerListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Every answer, keyed by question code",
        description="The answering organisation sees its draft; reviewers and the buyer "
        "see the latest "
        "submitted version.",
        responses={200: s.AnswerSheetSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, assessment_id: int) -> Response:
        assessment = _assessment(
            request, assessment_id, "assessments.view_answers", "You may not read these answers."
        )
        return Response(s.AnswerSheetSerializer(_answer_sheet(request.user, assessment)).data)


class AnswerDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Save one answer",
        description="Send any of status, text, number and choices; the others are kept. "
        "A field that does "
        "not fit the question comes back as a 400 naming the field.",
        request=s.AnswerInputSerializer,
        responses={200: s.SavedAnswerSerializer, **ERRORS},
    )
    def patch(self, request: Request, assessment_id: int, code: str) -> Response:
        assessment = _respondent_assessment(request, assessment_id)
        question = _question(assessment, code)
        serializer = s.AnswerInputSerializer(data=request.data, context={"question": question})
        serializer.is_valid(raise_exception=True)
        answer = services.answer_save(
            assessment=assessment, question=question, user=request.user, **serializer.validated_data
        )
        evidence_count = assessment.evidence.filter(question=question).count()
        data = {"code": question.code, **answer.as_rule_input(evidence_count)}
        return Response(s.SavedAnswerSerializer(data).data)


# --- scorecard ----------------------------------------------------------------------------------


class ScorecardApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The latest version's scorecard",
        description="`status` is the scoring job's (queued, running, done, failed with `error`); "
        "the "
        "scorecard fields are null until it is done.",
        responses={200: s.ScorecardSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, assessment_id: int) -> Response:
        # Whoever may read the report may read the scorecard it is made from.
        assessment = _assessment(
            request, assessment_id, "assessments.view_report", "You may not read this scorecard."
        )
        return Response(_scorecard_data(_latest_version_or_404(assessment)))


class ScorecardRetryApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Retry failed scoring",
        request=None,
        responses={202: s.ScorecardSerializer, **ERRORS},
    )
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.request_report",
            "You may not retry the scoring of this assessment.",
        )
        services.scoring_retry(version=_latest_version_or_404(assessment))
        return Response(
            _scorecard_data(_latest_version_or_404(assessment)), status=status.HTTP_202_ACCEPTED
        )


# --- reports ------------------------------------------------------------------------------------


class PDFRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        # Only errors reach a renderer here (the file goes out as a FileResponse).
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class ReportCreateApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Ask for the PDF maturity report of the latest version",
        description="Rendering runs in the background: poll the report until "
        "`status` is done, then "
        "follow `download_url`. Asking again while one is rendering returns that one.",
        request=None,
        responses={202: s.ReportSerializer, **ERRORS},
    )
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.request_report",
            "You may not ask for this assessment's report.",
        )
        report = services.report_request(assessment=assessment, user=request.user)
        report = _report(assessment, report.pk)
        return Response(
            s.ReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ReportDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="A report's rendering status",
        responses={200: s.ReportSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, assessment_id: int, report_id: int) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.view_report",
            "You may not read this assessment's reports.",
        )
        return Response(
            s.ReportSerializer(_report(assessment, report_id), context={"request": request}).data
        )


class ReportRetryApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Retry a failed report",
        request=None,
        responses={202: s.ReportSerializer, **ERRORS},
    )
    def post(self, request: Request, assessment_id: int, report_id: int) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.request_report",
            "You may not ask for this assessment's report.",
        )
        services.report_retry(report=_report(assessment, report_id))
        return Response(
            s.ReportSerializer(_report(assessment, report_id), context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ReportDownloadApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Download a rendered report (PDF)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF file."
            ),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, assessment_id: int, report_id: int) -> FileResponse:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.view_report",
            "You may not read this assessment's reports.",
        )
        report = _report(assessment, report_id)
        if report.status != Report.Status.DONE or not report.file:
            raise exceptions.NotFound(
                f"This report is not ready yet (its status is {report.status})."
            )
        from assessments.reports import report_filename  # imports WeasyPrint: only when needed

        report.assessment = assessment
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report_filename(report),
            content_type="application/pdf",
        )


# --- reviews ------------------------------------------------------------------------------------


class ReviewApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Set your own score for one question",
        description=(
            "Assigned reviewers who declared no conflict only. The scorecard is recomputed."
        ),
        request=s.ReviewInputSerializer,
        responses={200: s.ReviewSerializer, **ERRORS},
    )
    def put(self, request: Request, assessment_id: int, code: str) -> Response:
        assessment = _assessment(
            request,
            assessment_id,
            "assessments.score_assessment",
            "Only an assigned reviewer can score this assessment.",
        )
        question = _question(assessment, code)
        serializer = s.ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.reviewer_score_set(
            assessment=assessment,
            question=question,
            reviewer=request.user,
            **serializer.validated_data,
        )
        return Response(s.ReviewSerializer(review).data)
