"""The RFx API for the evaluation team: who reviews, who leads, which criteria (DESIGN §6).

The procurement managers of the buyer read and change the team; reviewers on the team read
it too. Anyone else who may see the RFx gets a 403, anyone who may not gets a 404. Removing a
reviewer is refused once the RFx is awarded or cancelled, or once they have recorded anything
on its proposals (see `services.rfx_reviewer_remove`).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from rfx import services
from rfx.api import serializers as s
from rfx.api.views import ERRORS, MANAGERS_ONLY, READ_ERRORS, TAGS, _rfx
from rfx.models import RFx, RFxReviewer
from rfx.selectors import rfx_reviewer_list, rfx_team_candidates

TEAM_READERS = "Only the procurement managers and the evaluation team see the team."


def _member(rfx: RFx, reviewer_id: int) -> RFxReviewer:
    member = rfx_reviewer_list(rfx).filter(reviewer_id=reviewer_id).first()
    if member is None:
        raise exceptions.NotFound("This RFx's evaluation team has no such reviewer.")
    return member


def _candidate(rfx: RFx, data: dict) -> User:
    """The named person among the buyer's reviewers and managers, or a 400 naming the field.

    Only the buyer's own staff are looked up, so the answer says nothing about anyone else.
    """
    if "reviewer" in data:
        field, lookup, named = "reviewer", {"pk": data["reviewer"]}, f"the id {data['reviewer']}"
    else:
        field, lookup, named = "username", {"username": data["username"]}, data["username"]
    user = rfx_team_candidates(rfx).filter(**lookup).first()
    if user is None:
        raise exceptions.ValidationError(
            {field: [f"{rfx.buyer} has no reviewer or procurement manager with {named}."]}
        )
    return user


def _member_data(rfx: RFx, reviewer_id: int) -> dict:
    return s.TeamMemberSerializer(_member(rfx, reviewer_id)).data


class TeamListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The evaluation team of the RFx",
        description="For the procurement managers and the reviewers on the team.",
        responses={200: s.TeamMemberSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.view_team", TEAM_READERS)
        return Response(s.TeamMemberSerializer(rfx_reviewer_list(rfx), many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Put a reviewer on the team, or change their place on it",
        description="Name a reviewer or procurement manager of the buyer by user id or "
        "username. Sent again for someone already on the team, it replaces their lead flag and "
        "criteria (200); a new member is a 201. After the close, a new member is assigned to "
        "every submitted proposal's questionnaires at once.",
        request=s.TeamAssignInputSerializer,
        responses={
            201: s.TeamMemberSerializer,
            200: OpenApiResponse(s.TeamMemberSerializer, description="Already on the team."),
            **ERRORS,
        },
    )
    def post(self, request: Request, rfx_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        serializer = s.TeamAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reviewer = _candidate(rfx, data)
        existed = rfx_reviewer_list(rfx).filter(reviewer=reviewer).exists()
        services.rfx_reviewer_assign(
            rfx=rfx,
            reviewer=reviewer,
            user=request.user,
            is_lead=data["is_lead"],
            criterion_codes=data["criterion_codes"],
        )
        return Response(
            _member_data(rfx, reviewer.pk),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class TeamMemberApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Change a team member's lead flag or criteria",
        description="Send only what changes.",
        request=s.TeamUpdateInputSerializer,
        responses={200: s.TeamMemberSerializer, **ERRORS},
    )
    def patch(self, request: Request, rfx_id: int, reviewer_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        member = _member(rfx, reviewer_id)
        serializer = s.TeamUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.rfx_reviewer_assign(
            rfx=rfx,
            reviewer=member.reviewer,
            user=request.user,
            is_lead=data.get("is_lead", member.is_lead),
            criterion_codes=data.get("criterion_codes", member.criterion_codes),
        )
        return Response(_member_data(rfx, reviewer_id))

    @extend_schema(
        tags=TAGS,
        summary="Take a reviewer off the team",
        description="They also leave the proposals' questionnaires. Refused (400) once the RFx "
        "is awarded or cancelled, and once they have scored a proposal, set a consensus score "
        "or dismissed a red flag on this RFx: what they recorded stays part of the evaluation. "
        "The history keeps who removed them and when.",
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **ERRORS},
    )
    def delete(self, request: Request, rfx_id: int, reviewer_id: int) -> Response:
        rfx = _rfx(request, rfx_id, "rfx.manage_rfx", MANAGERS_ONLY)
        member = _member(rfx, reviewer_id)
        services.rfx_reviewer_remove(rfx=rfx, reviewer=member.reviewer, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
