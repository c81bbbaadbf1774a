"""The RFx API: requests, sections, invitations, clarifications, sealed proposals, evaluation.

Each view parses its input, fetches the RFx with `get_rfx_for_user` (404 for what the
person may not see), checks the action with `has_perm` (403), calls one service and
serializes the result. Services raise ApplicationError, which `core.api.exception_handler`
turns into a 400 with the message; settings and publishing name the fields at fault.
A supplier's writes are checked against the server's clock by the services themselves,
so a request sent after the deadline is a 400 whatever the client says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, parsers, renderers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Organisation
from accounts.selectors import membership_list_for_user
from core.exceptions import ApplicationError
from principles.loader import FrameworkFileError
from principles.models import Framework
from principles.selectors import get_framework_for_user
from rfx import services
from rfx.api import serializers as s
from rfx.evaluation import LABELS, rank
from rfx.models import Clarification, Proposal, ProposalDocument, ProposalVersion, RFx, Section
from rfx.selectors import (
    award_for,
    clarification_list_for_buyer,
    clarification_list_for_supplier,
    evaluation_inputs,
    get_proposal_document_for_user,
    get_proposal_for_user,
    get_rfx_for_user,
    proposal_document_list,
    proposal_for_supplier,
    proposal_list_for_user,
    rfx_list_for_user,
    rfx_reviewer_list,
    section_list,
    submission_status,
    supplier_outcome,
    supplier_pseudonyms,
)
from rfx.views.documents import document_response

TAGS = ["rfx"]
ERRORS = {
    400: OpenApiResponse(
        s.ErrorSerializer,
        description="The request cannot be done; `detail` says why, or each field at fault "
        "maps to a list of messages.",
    ),
    403: OpenApiResponse(
        s.ErrorSerializer, description="Not signed in, or not allowed to do this."
    ),
    404: OpenApiResponse(s.ErrorSerializer, description="No such RFx, or not one you may see."),
}
READ_ERRORS = {403: ERRORS[403], 404: ERRORS[404]}
MANAGERS_ONLY = "Only a procurement manager of the buyer can do this."
SEALED = (
    "Proposals stay sealed until the proposal deadline has passed and the RFx has closed; "
    "until then only who has submitted, and when, is shown."
)
DECLARE_FIRST = (
    "Declare that you have no conflict of interest with this RFx before opening its proposals."
)
TEAM_ONLY = "Only the procurement managers and the evaluation team read the proposals."


# --- access -------------------------------------------------------------------------------------


def _rfx(request: Request, pk: int, perm: str | None = None, message: str = "") -> RFx:
    """The RFx, or 404 when the person may not see it; 403 when they may not do `perm`."""
    rfx = get_rfx_for_user(request.user, pk)
    if perm is not None and not request.user.has_perm(perm, rfx):
        raise exceptions.PermissionDenied(message)
    return rfx


def _evaluation_rfx(request: Request, pk: int) -> RFx:
    """The RFx for reading its proposals or ranking; a 403 that says why when refused."""
    rfx = get_rfx_for_user(request.user, pk)
    if request.user.has_perm("rfx.view_evaluation", rfx):
        return rfx
    member = rfx_reviewer_list(rfx).filter(reviewer=request.user).first()
    if member is not None and member.no_conflict_declared_at is None:
        raise exceptions.PermissionDenied(DECLARE_FIRST)
    if rfx.is_sealed:
        raise exceptions.PermissionDenied(SEALED)
    raise exceptions.PermissionDenied(TEAM_ONLY)


@contextmanager
def _field_errors() -> Iterator[None]:
    """A service's per-field messages become `{field: [message]}`; other errors pass through."""
    try:
        yield
    except ApplicationError as error:
        errors = error.extra.get("errors")
        if not errors:
            raise
        raise exceptions.ValidationError(
            {field: [message] for field, message in errors.items()}
        ) from None


def _framework(user, slug: str, version: str | None) -> Framework:
    try:
        return get_framework_for_user(user, slug=slug, version=version)
    except Http404:
        named = slug + (f" version {version}" if version else "")
        raise exceptions.ValidationError(
            {"framework": [f"There is no framework {named} that you can use."]}
        ) from None


def _buyer_for_create(user, slug: str | None) -> Organisation:
    memberships = list(
        membership_list_for_user(user).filter(
            role=Membership.Role.PROCUREMENT_MANAGER, organisation__kind=Organisation.Kind.BUYER
        )
    )
    if not memberships:
        raise exceptions.PermissionDenied(
            "Only a procurement manager of a buyer organisation can create an RFx."
        )
    if slug:
        for membership in memberships:
            if membership.organisation.slug == slug:
                return membership.organisation
        raise exceptions.ValidationError(
            {"buyer": [f"You are not a procurement manager of {slug}."]}
        )
    if len(memberships) > 1:
        names = ", ".join(membership.organisation.slug for membership in memberships)
        raise exceptions.ValidationError(
            {"buyer": [f"You manage procurement for several organisations; name one: {names}."]}
        )
    return memberships[0].organisation


def _detail_data(rfx: RFx) -> dict:
    rfx.section_rows = list(section_list(rfx))
    rfx.addendum_rows = list(rfx.addenda.order_by("number"))
    return s.RFxDetailSerializer(rfx).data


def _blind_for(request: Request, rfx: RFx) -> bool:
    """Supplier names are hidden from everyone but the managers when the RFx grades blind."""
    return rfx.blind_grading and not request.user.has_perm("rfx.manage_rfx", rfx)


def _own_proposal(request: Request, rfx: RFx) -> Proposal:
    proposal = proposal_for_supplier(rfx, request.user)
    if proposal is None:
        raise exceptions.NotFound("Your organisation has not started a proposal for this RFx.")
    return proposal


def _own_proposal_data(proposal: Proposal) -> dict:
    proposal.version_rows = list(proposal.versions.order_by("-number"))
    return s.OwnProposalSerializer(proposal).data


# --- RFx ----------------------------------------------------------------------------------------


class RFxListCreateApi(generics.ListAPIView):
    serializer_class = s.RFxListSerializer

    def get_queryset(self) -> QuerySet[RFx]:
        return rfx_list_for_user(self.request.user).order_by("-updated_at", "-pk")

    @extend_schema(
        tags=TAGS,
        summary="RFx you may open",
        description="The buyer's procurement managers see every RFx of their organisation, "
        "its reviewers those whose evaluation team they are on; a supplier sees the "
        "published RFx it is invited to.",
        responses={200: s.RFxListSerializer(many=True), 403: ERRORS[403]},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Create a draft RFx from the RFP or RFI template",
        request=s.RFxCreateInputSerializer,
        responses={201: s.RFxDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        serializer = s.RFxCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        buyer = _buyer_for_create(request.user, data.get("buyer"))
        framework = (
            _framework(request.user, data["framework"], data.get("framework_version"))
            if data.get("framework")
            else None
        )
        rfx = services.rfx_create(
            buyer=buyer,
            user=request.user,
            title=data["title"],
            kind=data["kind"],
            framework=framework,
        )
        return Response(
            _detail_data(get_rfx_for_user(request.user, rfx.pk)), status=status.HTTP_201_CREATED
        )


class RFxDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One RFx with its sections and addenda",
        responses={200: s.RFxDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        return Response(_detail_data(_rfx(request, rfx_id, "rfx.view_rfx")))

    @extend_schema(
        tags=TAGS,
        summary="Change settings, weights or the timeline",
        description="Send only what changes. After publishing the change is an addendum: "
        "`summary` tells the invited suppliers what changed. A value that does not fit "
        "comes back as a 400 naming its field.",
        request=s.RFxUpdateInputSerializer,
        responses={200: s.RFxDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(
            request, rfx_id, "rfx.change_rfx", "Only a procurement manager can change this RFx."
        )
        serializer = s.RFxUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        summary = fields.pop("summary", "")
        version = fields.pop("framework_version", None)
        if "framework" in fields:
            fields["framework"] = _framework(request.user, fields["framework"], version)
        with _field_errors():
            services.rfx_update(rfx=rfx, user=request.user, summary=summary, **fields)
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


class RFxPublishApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Publish the RFx and send the invitations",
        description="What is missing or out of order comes back as a 400 naming its field.",
        request=None,
        responses={200: s.RFxDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        with _field_errors():
            services.rfx_publish(rfx=rfx, user=request.user)
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


class RFxCancelApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Cancel the RFx, with the reason suppliers are told",
        request=s.CancelInputSerializer,
        responses={200: s.RFxDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        serializer = s.CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.rfx_cancel(rfx=rfx, user=request.user, reason=serializer.validated_data["reason"])
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


class ExtraQuestionnaireApi(APIView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        tags=TAGS,
        summary="Upload the buyer's own extra questionnaire (while the RFx is a draft)",
        description="A framework file in the library format with `kind: questionnaire`; once "
        "loaded it belongs to the buyer and is attached to this RFx, replacing any earlier "
        "one. The file is checked whole first: when the loader finds problems nothing is "
        "stored and the 400 lists every problem in `problems`.",
        request={"multipart/form-data": s.ExtraQuestionnaireInputSerializer},
        responses={
            200: s.RFxDetailSerializer,
            400: OpenApiResponse(
                s.LoadProblemsSerializer,
                description="The file was not loaded: `detail` says why and `problems`, when "
                "present, lists what to fix; a bad upload names the `file` field instead.",
            ),
            **READ_ERRORS,
        },
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        serializer = s.ExtraQuestionnaireInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            services.extra_questionnaire_load(
                rfx=rfx, user=request.user, text=upload["text"], source=upload["name"]
            )
        except FrameworkFileError as error:
            raise ApplicationError(
                f"{error.source}: the questionnaire was not loaded; fix each problem listed.",
                extra={"problems": list(error.problems)},
            ) from None
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


def _section(rfx: RFx, key: str) -> Section:
    section = section_list(rfx).filter(key=key).first()
    if section is None:
        raise exceptions.NotFound(f"This RFx has no section {key}.")
    return section


class SectionApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="One section of the RFx document",
        responses={200: s.SectionSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int, key: str) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.view_rfx")
        return Response(s.SectionSerializer(_section(rfx, key)).data)

    @extend_schema(
        tags=TAGS,
        summary="Replace a section's text",
        description="The rich text is sanitised on save. After publishing the change is an "
        "addendum.",
        request=s.SectionInputSerializer,
        responses={200: s.SectionSerializer, **ERRORS},
    )
    def put(self, request: Request, rfx_id: int, key: str) -> Response:
        rfx = _rfx(
            request, rfx_id, "rfx.change_rfx", "Only a procurement manager can change this RFx."
        )
        section = _section(rfx, key)
        serializer = s.SectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        section = services.section_update(
            section=section, user=request.user, **serializer.validated_data
        )
        return Response(s.SectionSerializer(section).data)


# --- invitations --------------------------------------------------------------------------------


class InvitationListCreateApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The suppliers invited and their answers",
        responses={200: s.InvitationSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        invitations = rfx.invitations.select_related("supplier").order_by("created_at", "pk")
        return Response(s.InvitationSerializer(invitations, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Invite a supplier",
        description="The e-mail with its one-time link goes now, or when the RFx is published.",
        request=s.InvitationCreateInputSerializer,
        responses={201: s.InvitationSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        serializer = s.InvitationCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slug = serializer.validated_data["supplier"]
        supplier = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.SUPPLIER).first()
        if supplier is None:
            raise exceptions.ValidationError(
                {"supplier": [f"There is no supplier organisation {slug}."]}
            )
        invitation = services.invitation_create(
            rfx=rfx, supplier=supplier, email=serializer.validated_data["email"], user=request.user
        )
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationResendApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Send an invitation again with a new one-time link",
        description="The earlier link stops working. Only while the RFx is published.",
        request=None,
        responses={200: s.InvitationSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int, invitation_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        invitation = rfx.invitations.select_related("supplier").filter(pk=invitation_id).first()
        if invitation is None:
            raise exceptions.NotFound("This RFx has no such invitation.")
        services.invitation_send(invitation=invitation, user=request.user)
        invitation.refresh_from_db()
        return Response(s.InvitationSerializer(invitation).data)


class InvitationAcceptApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Accept an invitation with the token of its one-time link",
        request=s.InvitationAcceptInputSerializer,
        responses={200: s.InvitationSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        serializer = s.InvitationAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation = services.invitation_respond(
            token=data["token"], user=request.user, accept_terms=data["accept_terms"]
        )
        return Response(s.InvitationSerializer(invitation).data)


class InvitationDeclineApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Decline an invitation with the token of its one-time link",
        request=s.InvitationDeclineInputSerializer,
        responses={200: s.InvitationSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        serializer = s.InvitationDeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation = services.invitation_respond(
            token=data["token"], user=request.user, reason=data["reason"]
        )
        return Response(s.InvitationSerializer(invitation).data)


# --- clarifications -----------------------------------------------------------------------------


def _clarification_rows(request: Request, rfx: RFx) -> list[dict[str, Any]]:
    """The managers see every question and who asked; anyone else never learns who asked."""
    if request.user.has_perm("rfx.manage_rfx", rfx):
        return [
            {
                "id": row.pk,
                "question": row.question,
                "answer": row.answer,
                "visibility": row.visibility,
                "created_at": row.created_at,
                "answered_at": row.answered_at,
                "mine": False,
                "supplier": row.supplier,
                "asked_by": row.asked_by.username if row.asked_by else None,
            }
            for row in clarification_list_for_buyer(rfx)
        ]
    return [
        {**row, "supplier": None, "asked_by": None}
        for row in clarification_list_for_supplier(rfx, request.user)
    ]


class ClarificationListCreateApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Clarification questions you may read",
        description="A supplier reads its own questions and the published ones, never who "
        "asked; the procurement managers read them all.",
        responses={200: s.ClarificationSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.view_rfx")
        return Response(
            s.ClarificationSerializer(_clarification_rows(request, rfx), many=True).data
        )

    @extend_schema(
        tags=TAGS,
        summary="Ask a clarification question (invited suppliers, until its deadline)",
        request=s.ClarificationAskInputSerializer,
        responses={201: s.ClarificationSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(
            request,
            rfx_id,
            "rfx.ask_clarification",
            "Only an invited supplier can ask a clarification question.",
        )
        serializer = s.ClarificationAskInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clarification = services.clarification_ask(
            rfx=rfx, user=request.user, question=serializer.validated_data["question"]
        )
        row = next(
            item for item in _clarification_rows(request, rfx) if item["id"] == clarification.pk
        )
        return Response(s.ClarificationSerializer(row).data, status=status.HTTP_201_CREATED)


class ClarificationAnswerApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Answer a clarification privately, or publish it to every invited supplier",
        request=s.ClarificationAnswerInputSerializer,
        responses={200: s.ClarificationSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int, clarification_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        clarification: Clarification | None = (
            clarification_list_for_buyer(rfx).filter(pk=clarification_id).first()
        )
        if clarification is None:
            raise exceptions.NotFound("This RFx has no such clarification question.")
        serializer = s.ClarificationAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.clarification_answer(
            clarification=clarification, user=request.user, **serializer.validated_data
        )
        row = next(
            item for item in _clarification_rows(request, rfx) if item["id"] == clarification.pk
        )
        return Response(s.ClarificationSerializer(row).data)


# --- submissions and proposals ------------------------------------------------------------------


class SubmissionListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Who has submitted a proposal, and when",
        description="Sealed: never the content, before or after the deadline.",
        responses={200: s.SubmissionSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(
            request,
            rfx_id,
            "rfx.view_submission_status",
            "Only the buyer's team can see who has submitted.",
        )
        rows = submission_status(rfx)
        names = supplier_pseudonyms(rfx) if _blind_for(request, rfx) else {}
        data = [
            {
                "supplier": names.get(row["supplier_id"], row["supplier__name"]),
                "submitted_at": row["submitted_at"],
            }
            for row in rows
        ]
        return Response(s.SubmissionSerializer(data, many=True).data)


class OwnProposalApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Your organisation's proposal",
        responses={200: s.OwnProposalSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.view_rfx")
        return Response(_own_proposal_data(_own_proposal(request, rfx)))

    @extend_schema(
        tags=TAGS,
        summary="Start your organisation's proposal (the same one when called again)",
        description="Only an invited supplier that has accepted, before the deadline.",
        request=None,
        responses={201: s.OwnProposalSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(
            request, rfx_id, "rfx.start_proposal", "Only an invited supplier can send a proposal."
        )
        proposal = services.proposal_start(rfx=rfx, user=request.user)
        proposal = _own_proposal(request, get_rfx_for_user(request.user, proposal.rfx_id))
        return Response(_own_proposal_data(proposal), status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Save terms and price (autosave)",
        description="Send only what changes; send the price with its currency. Refused after "
        "the deadline, whatever the client's clock says.",
        request=s.ProposalUpdateInputSerializer,
        responses={200: s.OwnProposalSerializer, **ERRORS},
    )
    def patch(self, request: Request, rfx_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        serializer = s.ProposalUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        # The price and its currency are checked together; the one not sent is kept.
        if "price_currency" in fields and "price_amount" not in fields:
            fields["price_amount"] = proposal.price_amount
        if "price_amount" in fields and "price_currency" not in fields:
            fields["price_currency"] = proposal.price_currency
        services.proposal_update(proposal=proposal, user=request.user, **fields)
        return Response(_own_proposal_data(_own_proposal(request, proposal.rfx)))


class OwnProposalSubmitApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Submit or resubmit your proposal before the deadline",
        description="Each submission is kept as an immutable version; draft questionnaires "
        "are submitted with it.",
        request=None,
        responses={201: s.ProposalVersionSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        version = services.proposal_submit(proposal=proposal, user=request.user)
        return Response(s.ProposalVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class OwnProposalReopenApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Reopen your submitted questionnaires for changes, before the deadline",
        description="The questionnaires become drafts again, answered through the assessments "
        "API; the submitted versions stay as they were and still count until you submit the "
        "proposal again. Refused after the deadline, whatever the client's clock says.",
        request=None,
        responses={200: s.OwnProposalSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        services.proposal_reopen(proposal=proposal, user=request.user)
        return Response(_own_proposal_data(_own_proposal(request, proposal.rfx)))


class ProposalListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The submitted proposals, once the RFx has closed",
        description="For the procurement managers and the reviewers who declared no conflict. "
        "The price is left out until the technical scores are locked.",
        responses={200: s.SubmittedProposalSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        price_visible = request.user.has_perm("rfx.view_evaluation_price", rfx)
        names = supplier_pseudonyms(rfx) if _blind_for(request, rfx) else {}
        proposals = (
            proposal_list_for_user(request.user)
            .filter(rfx=rfx, submitted_at__isnull=False)
            .prefetch_related(
                Prefetch(
                    "versions",
                    queryset=ProposalVersion.objects.order_by("-number"),
                    to_attr="version_rows",
                )
            )
            .order_by("created_at", "pk")
        )
        rows = []
        for proposal in proposals:
            latest = proposal.version_rows[0]
            snapshot = latest.snapshot
            row = {
                "id": proposal.pk,
                "supplier": names.get(proposal.supplier_id, proposal.supplier.name),
                "version": latest.number,
                "submitted_at": latest.created_at,
                "maturity_assessment": proposal.maturity_assessment_id,
                "extra_assessment": proposal.extra_assessment_id,
                "licence_terms": snapshot.get("licence_terms", ""),
                "service_terms": snapshot.get("service_terms", ""),
                "documents": _submitted_documents(request, rfx, proposal, snapshot),
            }
            if price_visible:
                row["price_amount"] = snapshot.get("price_amount")
                row["price_currency"] = snapshot.get("price_currency", "")
            rows.append(row)
        return Response(s.SubmittedProposalSerializer(rows, many=True).data)


def _submitted_documents(
    request: Request, rfx: RFx, proposal: Proposal, snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    context = {"request": request}
    return [
        {**item, "download_url": s.document_download_url(context, rfx.pk, proposal.pk, item["id"])}
        for item in snapshot.get("documents") or []
    ]


# --- proposal documents -------------------------------------------------------------------------


class BinaryRenderer(renderers.BaseRenderer):
    """Downloads go out as FileResponses; only an error body ever reaches this renderer."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


def _own_document(proposal: Proposal, document_id: int) -> ProposalDocument:
    document = proposal_document_list(proposal).filter(pk=document_id).first()
    if document is None:
        raise exceptions.NotFound("Your proposal has no such document.")
    return document


class OwnProposalDocumentListApi(APIView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="The documents of your proposal's licence and service terms",
        description="What is on the draft now; each submission keeps its own list.",
        responses={200: s.ProposalDocumentSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        documents = proposal_document_list(proposal).select_related("proposal", "uploaded_by")
        return Response(
            s.ProposalDocumentSerializer(documents, many=True, context={"request": request}).data
        )

    @extend_schema(
        tags=TAGS,
        summary="Upload a document to your proposal's licence or service terms",
        description="Sent as multipart/form-data. Type, size and content are checked; a refusal "
        "names the file. Refused after the deadline, whatever the client's clock says. The "
        "document goes to the buyer with your next submission.",
        request={"multipart/form-data": s.ProposalDocumentInputSerializer},
        responses={201: s.ProposalDocumentSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        serializer = s.ProposalDocumentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.proposal_document_add(
            proposal=proposal,
            user=request.user,
            kind=data["kind"],
            file=data["file"],
            title=data.get("title", ""),
        )
        document = (
            proposal_document_list(proposal)
            .select_related("proposal", "uploaded_by")
            .get(pk=document.pk)
        )
        return Response(
            s.ProposalDocumentSerializer(document, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class OwnProposalDocumentApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Remove a document from your proposal",
        description="A document that a submitted version lists stays with that version; it only "
        "leaves the draft. Refused after the deadline.",
        request=None,
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, rfx_id: int, document_id: int) -> Response:
        proposal = _own_proposal(request, _rfx(request, rfx_id, "rfx.view_rfx"))
        services.proposal_document_remove(
            document=_own_document(proposal, document_id), user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProposalDocumentDownloadApi(APIView):
    renderer_classes = [renderers.JSONRenderer, BinaryRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Download a document of a proposal",
        description="Your own proposal's documents, on the draft or in a submitted version; "
        "for the procurement managers and the reviewers who declared no conflict, once the "
        "RFx has closed, the documents of each proposal's latest submission.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            ),
            **READ_ERRORS,
        },
    )
    def get(
        self, request: Request, rfx_id: int, proposal_id: int, document_id: int
    ) -> FileResponse:
        proposal = get_proposal_for_user(request.user, proposal_id)
        if proposal.rfx_id != rfx_id:
            raise exceptions.NotFound()
        document = get_proposal_document_for_user(request.user, proposal, document_id)
        return document_response(document, content_type="application/octet-stream")


# --- evaluation ---------------------------------------------------------------------------------


class DeclarationApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Declare that you have no conflict of interest (reviewers of the RFx)",
        description="Needed before a reviewer opens any proposal.",
        request=None,
        responses={200: s.DeclarationSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(
            request,
            rfx_id,
            "rfx.declare_conflict",
            "Only a reviewer on this RFx's evaluation team makes this declaration.",
        )
        member = rfx_reviewer_list(rfx).filter(reviewer=request.user).first()
        if member is None:  # declare_conflict already needs it; kept for safety
            raise exceptions.PermissionDenied("You are not on this RFx's evaluation team.")
        member = services.rfx_reviewer_declare_no_conflict(member=member, user=request.user)
        return Response(s.DeclarationSerializer(member).data)


class TermsScoreApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Score a proposal's licence and service terms, 0 to 3",
        description="Reviewers of the RFx who declared no conflict, until the technical scores "
        "are locked.",
        request=s.TermsScoreInputSerializer,
        responses={200: s.TermsScoreSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int, proposal_id: int) -> Response:
        rfx = _rfx(request, rfx_id)
        proposal = get_proposal_for_user(request.user, proposal_id)
        if proposal.rfx_id != rfx.pk:
            raise exceptions.NotFound("This RFx has no such proposal.")
        if not request.user.has_perm("rfx.score_terms", proposal):
            raise exceptions.PermissionDenied(
                "Only a reviewer of this RFx who declared no conflict can score the terms, "
                "until the technical scores are locked."
            )
        serializer = s.TermsScoreInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        score = services.terms_score_set(
            proposal=proposal,
            reviewer=request.user,
            score=int(serializer.validated_data["score"]),
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(s.TermsScoreSerializer(score).data)


class LockApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Lock the technical scores; the price envelope opens to the evaluation team",
        request=None,
        responses={200: s.RFxDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        services.rfx_lock_technical_scores(rfx=rfx, user=request.user)
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


class EvaluatedApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Finish the evaluation (after the lock), so the RFx can be awarded",
        request=None,
        responses={200: s.RFxDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        services.rfx_mark_evaluated(rfx=rfx, user=request.user)
        return Response(_detail_data(get_rfx_for_user(request.user, rfx.pk)))


def _ranking_data(request: Request, rfx: RFx) -> dict[str, Any]:
    """rank() over the submitted proposals, as this person may see it.

    Until the price envelope opens, cost plays no part at all: the totals are over the
    technical components only (a total that included cost would give the price away), every
    proposal gets the same stand-in price so the tie-break cannot order them by price, and
    every price and cost field is left out.
    """
    price_visible = request.user.has_perm("rfx.view_evaluation_price", rfx)
    names = supplier_pseudonyms(rfx) if _blind_for(request, rfx) else {}
    proposals = []
    for item in evaluation_inputs(rfx):
        entry = {key: value for key, value in item.items() if key != "proposal_id"}
        entry["supplier_id"] = item["proposal_id"]
        entry["supplier_name"] = names.get(item["supplier_id"], item["supplier_name"])
        if not price_visible:
            entry["price"], entry["currency"] = "1", "XXX"
        proposals.append(entry)
    weights = rfx.weights if price_visible else {**rfx.weights, "cost": 0}
    result = rank(
        proposals,
        weights,
        {
            "disqualify_on_critical_red_flags": rfx.disqualify_on_critical_red_flags,
            "has_competition": rfx.has_competition,
        },
    )
    for entry in (*result["ranking"], *result["excluded"]):
        entry["proposal_id"] = entry.pop("supplier_id")
        if not price_visible:
            del entry["price"], entry["currency"]
            entry["components"].pop("cost", None)
    if not price_visible:
        result["weights"].pop("cost")
        result["sensitivity"] = [row for row in result["sensitivity"] if row["weight"] != "cost"]
        cost = LABELS["cost"].lower()
        result["notes"] = [note for note in result["notes"] if cost not in note.lower()]
    return {"price_visible": price_visible, **result}


class RankingApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The weighted ranking of the submitted proposals (DESIGN §4)",
        description="For the procurement managers and the reviewers who declared no conflict, "
        "once the RFx has closed. Until the technical scores are locked the ranking leaves "
        "cost out and no price or cost field is sent.",
        responses={200: s.RankingSerializer, **ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _evaluation_rfx(request, rfx_id)
        return Response(s.RankingSerializer(_ranking_data(request, rfx)).data)


class AwardApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The award decision",
        description="For the procurement managers; a 404 until the RFx is awarded.",
        responses={200: s.AwardSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        award = award_for(rfx)
        if award is None:
            raise exceptions.NotFound("This RFx has not been awarded.")
        return Response(s.AwardSerializer(award).data)

    @extend_schema(
        tags=TAGS,
        summary="Award the RFx to the preferred proposal, with the justification",
        description="Each unsuccessful supplier gets feedback on its own scores only.",
        request=s.AwardInputSerializer,
        responses={201: s.AwardSerializer, **ERRORS},
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        serializer = s.AwardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        proposal = proposal_list_for_user(request.user).filter(pk=data["proposal"], rfx=rfx).first()
        if proposal is None:
            raise exceptions.ValidationError(
                {"proposal": ["This RFx has no such proposal that you can see."]}
            )
        award = services.rfx_award(
            rfx=rfx, proposal=proposal, justification=data["justification"], user=request.user
        )
        return Response(s.AwardSerializer(award).data, status=status.HTTP_201_CREATED)


# --- after the award ----------------------------------------------------------------------------

NO_DECISION = "The buyer has not made its decision yet."
NO_SUBMISSION = "Your organisation submitted no proposal, so there is no feedback for it."


class FeedbackApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Your organisation's outcome after the award, with its feedback",
        description="For members of an invited supplier; anyone else gets a 404. The winner "
        "is told it won; an unsuccessful supplier reads its own scores against the weights, "
        "as ranked at the award, and its own tender competition results (its metrics, each "
        "bar, whether it let the proposal into the ranking), and nothing about any other "
        "proposal. A 404 too until the award, and for a supplier that submitted nothing.",
        responses={200: s.FeedbackSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = get_rfx_for_user(request.user, rfx_id)
        if not request.user.has_perm("rfx.ask_clarification", rfx):  # an invited supplier
            raise exceptions.NotFound()
        outcome = supplier_outcome(rfx, request.user)
        award, proposal, summary = outcome["award"], outcome["proposal"], outcome["feedback"]
        if award is None:
            raise exceptions.NotFound(NO_DECISION)
        if proposal is None or proposal.submitted_at is None:
            raise exceptions.NotFound(NO_SUBMISSION)
        # A summary made without a ranking (it could not be made at the award) has another
        # shape; it is not passed on half-filled.
        data = summary.data if summary is not None and "ranked" in summary.data else None
        return Response(
            s.FeedbackSerializer(
                {
                    "rfx": rfx.pk,
                    "outcome": "won" if outcome["won"] else "not_chosen",
                    "awarded_at": award.created_at,
                    "feedback": data,
                    "competition": outcome["competition"],
                }
            ).data
        )
