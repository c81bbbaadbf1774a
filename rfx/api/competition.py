"""The tender competition API (DESIGN §5): what the competition pages do, as JSON.

Who gets what, as on the pages (`rfx.views.competition`, rules in `rfx.permissions`):
- The set-up: the buyer's staff read it, with the three files' names and sizes and what the
  hidden labels hold (rows, classes, group columns), never the labels themselves; its
  procurement managers set it up, change it, upload its files and remove it while the RFP is
  a draft. An invited supplier reads what its competition page shows: the task, the bars, its
  own limits and the files it may download now, nothing about the hidden labels.
- Downloads: the training set for the buyer's staff and accepted suppliers, the evaluation
  inputs for suppliers only from the release time, the hidden labels for the buyer's
  procurement managers only.
- Predictions: a member of an invited supplier lists and uploads its own files; before the
  deadline only whether each was valid, its problems and its scoring status, after it the
  metrics of its files. A refused file is kept, does not count and is answered with a 400
  naming its rows.
- Results: once the RFx has closed, the buyer's procurement managers and the reviewers who
  declared no conflict read the leaderboard and each supplier's details; reviewers grading
  blind read pseudonyms.

As elsewhere in the RFx API, anyone who may not see the RFx gets a 404 and anyone who may see
it but not do this a 403 saying why. The services check the server's clock themselves.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, parsers, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from rfx import competition_services
from rfx.api import competition_serializers as cs
from rfx.api.reports import CSVRenderer
from rfx.api.views import (
    ERRORS,
    MANAGERS_ONLY,
    READ_ERRORS,
    TAGS,
    _evaluation_rfx,
    _field_errors,
    _rfx,
)
from rfx.competition_display import METRIC_MEANINGS, METRIC_NAMES, bar_rows
from rfx.competition_services import FILES
from rfx.models import Competition, PredictionSubmission, RFx
from rfx.selectors import (
    competition_for_rfx,
    counted_prediction_submission,
    get_prediction_submission_for_user,
    get_rfx_for_user,
    prediction_metrics,
    prediction_submission_list,
    proposal_for_supplier,
)
from rfx.views.competition import (
    _leaderboard_rows,
    _service_messages,
    _supplier_context,
    _upload_rows,
    competition_file_response,
    prediction_file_response,
)

NO_COMPETITION = "This RFx has no competition."
SUPPLIERS_ONLY = "Only an invited supplier takes part in the competition with predictions files."
DEFAULTS: dict[str, Any] = {
    "description": "",
    "primary_metric": Competition.Metric.ACCURACY,
    "bars": [],
    "submission_limit": 5,
    "release_at": None,
}


# --- access -------------------------------------------------------------------------------------


def _url(request: Request, name: str, *args: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def _competition(rfx: RFx) -> Competition:
    competition = competition_for_rfx(rfx) if rfx.has_competition else None
    if competition is None:
        raise exceptions.NotFound(NO_COMPETITION)
    return competition


def _configurer(request: Request, rfx_id: int) -> RFx:
    """For changes: the buyer's procurement managers, while the RFP is a draft."""
    rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
    if not request.user.has_perm("rfx.configure_competition", rfx):
        raise exceptions.PermissionDenied(
            "The competition is fixed once the RFx is published: suppliers rely on it."
            if rfx.kind == RFx.Kind.RFP
            else "A request for information has no competition."
        )
    return rfx


def _supplier_access(request: Request, rfx_id: int) -> tuple[RFx, Competition]:
    """The RFx and its competition for a member of an invited supplier; 403 for the buyer."""
    rfx = _rfx(request, rfx_id, "rfx.ask_clarification", SUPPLIERS_ONLY)
    if not request.user.has_perm("rfx.view_competition", rfx):
        raise exceptions.NotFound(NO_COMPETITION)
    return rfx, _competition(rfx)


def _results_access(request: Request, rfx_id: int) -> tuple[RFx, Competition]:
    rfx = _evaluation_rfx(request, rfx_id)
    competition = _competition(rfx)
    if not request.user.has_perm("rfx.view_competition_results", rfx):
        raise exceptions.PermissionDenied(
            "Only the procurement managers and the evaluation team read the competition results."
        )
    return rfx, competition


# --- the set-up ---------------------------------------------------------------------------------


def _bars(competition: Competition) -> list[dict]:
    bars = list(competition.bars)
    return [{"bar": bar, **row} for bar, row in zip(bars, bar_rows(bars, None), strict=True)]


def _files(
    request: Request,
    rfx: RFx,
    competition: Competition,
    kinds: tuple[str, ...],
    *,
    only_open: bool = False,
) -> list[dict]:
    """The files' names and sizes; `only_open` keeps the ones this person may download now,
    as the supplier's page does."""
    rows = []
    for kind in kinds:
        spec = FILES[kind]
        stored = bool(getattr(competition, spec.field))
        can_download = stored and request.user.has_perm(f"rfx.download_competition_{kind}", rfx)
        if only_open and not can_download:
            continue
        rows.append(
            {
                "kind": kind,
                "what": spec.what,
                "stored": stored,
                "name": getattr(competition, f"{kind}_name"),
                "size": getattr(competition, f"{kind}_size"),
                "download_url": _url(request, "api-rfx-competition-download", rfx.pk, kind)
                if can_download
                else None,
            }
        )
    return rows


def _buyer_data(request: Request, rfx: RFx, competition: Competition) -> dict:
    user = request.user
    return {
        "description": competition.description,
        "primary_metric": competition.primary_metric,
        "primary_metric_name": METRIC_NAMES[competition.primary_metric],
        "bars": _bars(competition),
        "submission_limit": competition.submission_limit,
        "release_at": competition.release_at,
        "released": _released(competition),
        "ready": competition.is_ready,
        "rows": competition.rows,
        "classes": list(competition.classes),
        "group_columns": list(competition.group_columns),
        "files": _files(request, rfx, competition, tuple(FILES)),
        "can_configure": user.has_perm("rfx.configure_competition", rfx),
        "publishing_problem": competition_services.competition_publishing_problem(rfx)
        if rfx.status == RFx.Status.DRAFT
        else None,
        "results_url": _url(request, "api-rfx-competition-results", rfx.pk)
        if user.has_perm("rfx.view_competition_results", rfx)
        else None,
    }


def _released(competition: Competition) -> bool:
    return competition.release_at is not None and timezone.now() >= competition.release_at


def _supplier_data(request: Request, rfx: RFx, competition: Competition) -> dict:
    """What the supplier's competition page shows, from the same context."""
    context = _supplier_context(request, rfx, competition)
    return {
        "description": competition.description,
        "primary_metric": competition.primary_metric,
        "primary_metric_name": METRIC_NAMES[competition.primary_metric],
        "primary_metric_meaning": METRIC_MEANINGS[competition.primary_metric],
        "bars": _bars(competition),
        "submission_limit": competition.submission_limit,
        "release_at": competition.release_at,
        "released": context["released"],
        "proposal_deadline": rfx.proposal_deadline,
        "deadline_passed": context["deadline_passed"],
        "accepted": context["accepted"],
        "files": _files(request, rfx, competition, ("training", "inputs"), only_open=True),
        "valid_used": context["valid_used"],
        "remaining": context["remaining"],
        "can_submit": context["can_submit"],
        "why_not": context["why_not"],
    }


def _set_up_data(request: Request, rfx_id: int) -> dict:
    rfx = get_rfx_for_user(request.user, rfx_id)
    return _buyer_data(request, rfx, _competition(rfx))


CompetitionView = PolymorphicProxySerializer(
    component_name="CompetitionView",
    serializers=[cs.CompetitionSerializer, cs.SupplierCompetitionSerializer],
    resource_type_field_name=None,
)


class CompetitionApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The tender competition of the RFx",
        description="The buyer's staff read the settings, the bars and the three files (name, "
        "size; the hidden labels' rows, classes and group columns, never their content). An "
        "invited supplier reads what its competition page shows: the task, the bars, the "
        "files it may download now and how many valid prediction files it has left.",
        responses={200: CompetitionView, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id)
        if request.user.has_perm("rfx.view_submission_status", rfx):
            competition = competition_for_rfx(rfx)
            if competition is None:
                raise exceptions.NotFound(NO_COMPETITION)
            return Response(cs.CompetitionSerializer(_buyer_data(request, rfx, competition)).data)
        if not request.user.has_perm("rfx.view_competition", rfx):
            raise exceptions.NotFound(NO_COMPETITION)
        competition = _competition(rfx)
        return Response(
            cs.SupplierCompetitionSerializer(_supplier_data(request, rfx, competition)).data
        )

    def _configure(self, request: Request, rfx_id: int, *, partial: bool) -> Response:
        rfx = _configurer(request, rfx_id)
        existed = competition_for_rfx(rfx) is not None
        if partial and not existed:
            raise exceptions.NotFound("This RFx has no competition yet: set it up with PUT.")
        serializer = cs.CompetitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if not partial:
            fields = {**DEFAULTS, **fields}
        with _field_errors():
            competition_services.competition_configure(rfx=rfx, user=request.user, **fields)
        return Response(
            cs.CompetitionSerializer(_set_up_data(request, rfx.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(
        tags=TAGS,
        summary="Set up the competition, or replace its settings",
        description="For the buyer's procurement managers while the RFP is a draft. A setting "
        "left out takes its default (accuracy, no bars, 5 valid files, no release time yet). "
        "The first set-up is a 201 and turns the RFx's competition gate on. Once the hidden "
        "labels are uploaded, the classes and columns a bar names must exist in them.",
        request=cs.CompetitionInputSerializer,
        responses={
            201: cs.CompetitionSerializer,
            200: OpenApiResponse(cs.CompetitionSerializer, description="Replaced."),
            **ERRORS,
        },
    )
    def put(self, request: Request, rfx_id: int) -> Response:
        return self._configure(request, rfx_id, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Change some of the competition's settings",
        description="Send only what changes. A 404 until the competition is set up.",
        request=cs.CompetitionInputSerializer,
        responses={200: cs.CompetitionSerializer, **ERRORS},
    )
    def patch(self, request: Request, rfx_id: int) -> Response:
        return self._configure(request, rfx_id, partial=True)

    @extend_schema(
        tags=TAGS,
        summary="Remove the competition and its files",
        description="While the RFP is a draft; proposals are no longer gated on a competition.",
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **ERRORS},
    )
    def delete(self, request: Request, rfx_id: int) -> Response:
        rfx = _configurer(request, rfx_id)
        competition_services.competition_remove(rfx=rfx, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _kind(kind: str) -> str:
    if kind not in FILES:
        raise exceptions.NotFound(
            "No such competition file: the files are training, inputs and labels."
        )
    return kind


class CompetitionFileUploadApi(APIView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Upload the training set, the evaluation inputs or the hidden labels",
        description="`kind` is training, inputs or labels; sent as multipart/form-data. The "
        "file is checked whole: a refused file is not stored and the 400 lists every problem "
        "with its rows in `file`. The hidden labels are `id,label[,group columns…]` and are "
        "never served to a supplier; the evaluation inputs' ids must be exactly the labels' "
        "ids. A replaced file is deleted.",
        request={"multipart/form-data": cs.CompetitionFileInputSerializer},
        responses={
            200: cs.CompetitionSerializer,
            400: OpenApiResponse(
                cs.FileProblemsSerializer, description="Refused: nothing is stored."
            ),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def post(self, request: Request, rfx_id: int, kind: str) -> Response:
        rfx = _configurer(request, rfx_id)
        spec = FILES[_kind(kind)]
        serializer = cs.CompetitionFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            competition_services.competition_file_upload(
                rfx=rfx, user=request.user, kind=kind, file=serializer.validated_data["file"]
            )
        except ApplicationError as error:
            if not error.extra:
                raise
            return Response(
                {
                    "detail": f"The {spec.what} file was refused, so nothing is stored. Fix the "
                    "problems listed and upload it again.",
                    "file": _service_messages(error),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(cs.CompetitionSerializer(_set_up_data(request, rfx.pk)).data)


class CompetitionFileDownloadApi(APIView):
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Download the training set, the evaluation inputs or the hidden labels",
        description="The training set for the buyer's staff and the suppliers who accepted "
        "the invitation; the evaluation inputs for those suppliers only from the release time; "
        "the hidden labels for the buyer's procurement managers only.",
        operation_id="v1_rfx_competition_files_download",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, rfx_id: int, kind: str) -> FileResponse:
        rfx = _rfx(request, rfx_id)
        _kind(kind)  # a 404 for an unknown kind
        if not request.user.has_perm(f"rfx.download_competition_{kind}", rfx):
            if kind == "inputs" and request.user.has_perm("rfx.download_competition_training", rfx):
                raise exceptions.PermissionDenied("The evaluation inputs are not released yet.")
            raise exceptions.PermissionDenied("You cannot download this file.")
        return competition_file_response(competition_for_rfx(rfx), kind)


# --- predictions --------------------------------------------------------------------------------


def _prediction_data(
    request: Request, submission: PredictionSubmission, row: dict[str, Any]
) -> dict[str, Any]:
    """One file as its supplier reads it; metrics only where the rules allow (the deadline)."""
    metrics = (
        prediction_metrics(submission)
        if request.user.has_perm("rfx.view_prediction_metrics", submission)
        else None
    )
    return {
        "id": submission.pk,
        "number": submission.number,
        "name": submission.original_name,
        "size": submission.size,
        "sha256": submission.sha256,
        "uploaded_at": submission.created_at,
        "valid": submission.valid,
        "problems": list(submission.problems),
        "status": submission.status,
        "status_words": row["status_words"],
        "error": submission.error,
        "counts": row["counts"],
        "can_retry": row["can_retry"],
        "passed": submission.passed if metrics is not None else None,
        "metrics": metrics,
        "download_url": _url(
            request, "api-rfx-prediction-download", submission.proposal.rfx_id, submission.pk
        ),
    }


def _own_files(request: Request, rfx: RFx) -> list[dict[str, Any]]:
    """The supplier's files, newest first, in a fixed number of queries."""
    proposal = proposal_for_supplier(rfx, request.user)
    if proposal is None:
        return []
    proposal.rfx = rfx
    submissions = list(prediction_submission_list(proposal))
    for submission in submissions:
        submission.proposal = proposal  # the permission rules read it; no query per file
    counted = next((submission for submission in submissions if submission.valid), None)
    rows = _upload_rows(submissions, counted.pk if counted else None)
    return [_prediction_data(request, row["submission"], row) for row in rows]


def _own_file(request: Request, rfx: RFx, submission_id: int) -> dict[str, Any]:
    found = next((row for row in _own_files(request, rfx) if row["id"] == submission_id), None)
    if found is None:
        raise exceptions.NotFound("Your organisation has no such predictions file.")
    return found


class PredictionListApi(APIView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Your organisation's predictions files, newest first",
        description="Each with whether it was valid, its problems, its scoring status and "
        "whether it counts (the last valid one). Metrics and the bars' verdict only after the "
        "proposal deadline: until then nobody sees a score.",
        responses={200: cs.PredictionFileSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx, _ = _supplier_access(request, rfx_id)
        return Response(cs.PredictionFileSerializer(_own_files(request, rfx), many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Upload a predictions file",
        description="Sent as multipart/form-data: a CSV file `id,prediction`. From the release "
        "of the evaluation inputs until the proposal deadline, by the server's clock. A valid "
        "file counts at once and is scored in the background (201). A refused file is kept "
        "but does not count against your limit: the 400 lists its problems with their rows.",
        request={"multipart/form-data": cs.PredictionInputSerializer},
        responses={
            201: cs.PredictionFileSerializer,
            400: OpenApiResponse(
                cs.PredictionRefusedSerializer,
                description="Refused; `prediction` is the refused file when it was kept.",
            ),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx, competition = _supplier_access(request, rfx_id)
        context = _supplier_context(request, rfx, competition)
        if not context["can_submit"]:
            # The server's clock decides before the request's body is even read.
            raise ApplicationError(context["why_not"] or "You cannot upload predictions now.")
        serializer = cs.PredictionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _field_errors():
            submission = competition_services.prediction_submit(
                proposal=context["proposal"],
                user=request.user,
                file=serializer.validated_data["file"],
            )
        data = _own_file(request, rfx, submission.pk)
        if submission.valid:
            return Response(cs.PredictionFileSerializer(data).data, status=status.HTTP_201_CREATED)
        return Response(
            {
                "detail": f"File {submission.number} (“{submission.original_name}”) was refused "
                "and does not count against your limit. Fix the problems listed and upload it "
                "again.",
                "file": list(submission.problems),
                "prediction": cs.PredictionFileSerializer(data).data,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )


class PredictionDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One of your organisation's predictions files",
        description="Its metrics only after the proposal deadline.",
        responses={200: cs.PredictionFileSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int, submission_id: int) -> Response:
        rfx, _ = _supplier_access(request, rfx_id)
        return Response(cs.PredictionFileSerializer(_own_file(request, rfx, submission_id)).data)


class PredictionDownloadApi(APIView):
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Download one of your organisation's predictions files as it was uploaded",
        description="Valid or refused, byte for byte; for the supplier that sent it only.",
        operation_id="v1_rfx_competition_predictions_download",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, rfx_id: int, submission_id: int) -> FileResponse:
        rfx, _ = _supplier_access(request, rfx_id)
        submission = get_prediction_submission_for_user(request.user, submission_id)
        if submission.proposal.rfx_id != rfx.pk or not request.user.has_perm(
            "rfx.download_prediction_file", submission
        ):
            raise exceptions.NotFound("Your organisation has no such predictions file.")
        return prediction_file_response(submission)


class PredictionRetryApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Queue a failed scoring again",
        description="For the supplier that sent the file, or a procurement manager of the "
        "buyer once the RFx has closed. Only a valid file whose scoring failed; anything else "
        "is a 400.",
        request=None,
        responses={202: cs.PredictionFileSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int, submission_id: int) -> Response:
        rfx = _rfx(request, rfx_id)
        submission = get_prediction_submission_for_user(request.user, submission_id)
        if submission.proposal.rfx_id != rfx.pk:
            raise exceptions.NotFound("No such predictions file.")
        if not request.user.has_perm("rfx.retry_prediction_scoring", submission):
            raise exceptions.PermissionDenied(
                "Only the supplier or a procurement manager can retry scoring."
            )
        competition_services.prediction_retry(submission=submission, user=request.user)
        submission.refresh_from_db()
        counted = counted_prediction_submission(submission.proposal)
        (row,) = _upload_rows([submission], counted.pk if counted else None)
        return Response(
            cs.PredictionFileSerializer(_prediction_data(request, submission, row)).data,
            status=status.HTTP_202_ACCEPTED,
        )


# --- results ------------------------------------------------------------------------------------


def _rows(request: Request, rfx: RFx, competition: Competition) -> list[dict[str, Any]]:
    """The leaderboard page's rows, with the bars' raw form and the API's addresses."""
    rows = _leaderboard_rows(request, rfx, competition)
    for row in rows:
        row["proposal"] = row["proposal_id"]
        row["supplier"] = row["name"]
        row["bars"] = [
            {"bar": bar, **cell} for bar, cell in zip(competition.bars, row["bars"], strict=True)
        ]
        row["detail_url"] = (
            _url(request, "api-rfx-competition-result", rfx.pk, row["proposal_id"])
            if row["submission_id"]
            else None
        )
    return rows


class LeaderboardApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The competition leaderboard",
        operation_id="v1_rfx_competition_leaderboard",
        description="Once the RFx has closed, for the procurement managers and the reviewers "
        "who declared no conflict: each submitted proposal's counted file, best first by the "
        "primary metric, each bar passed or failed, and the verdict. Proposals with no scored "
        "file come last, unranked. Reviewers grading blind read pseudonyms.",
        responses={200: cs.LeaderboardSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx, competition = _results_access(request, rfx_id)
        rows = _rows(request, rfx, competition)
        data = {
            "primary_metric": competition.primary_metric,
            "primary_metric_name": METRIC_NAMES[competition.primary_metric],
            "passed_count": sum(1 for row in rows if row["passed"] is True),
            "rows": rows,
        }
        return Response(cs.LeaderboardSerializer(data).data)


class ResultApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One supplier's competition result in detail",
        description="Its leaderboard row with the scorer's metrics: per class, the confusion "
        "matrix (rows are the truth, columns the prediction), each group's metrics and the "
        "largest gaps between groups; and every file it uploaded.",
        responses={200: cs.ResultSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int, proposal_id: int) -> Response:
        rfx, competition = _results_access(request, rfx_id)
        row = next(
            (row for row in _rows(request, rfx, competition) if row["proposal_id"] == proposal_id),
            None,
        )
        if row is None:
            raise exceptions.NotFound("No such proposal in the competition.")
        proposal = rfx.proposals.get(pk=proposal_id)
        row["uploads"] = [
            {
                "number": upload.number,
                "uploaded_at": upload.created_at,
                "valid": upload.valid,
                "problem_count": len(upload.problems),
                "counts": upload.number == row["number"],
            }
            for upload in prediction_submission_list(proposal).defer("metrics")
        ]
        return Response(cs.ResultSerializer(row).data)
