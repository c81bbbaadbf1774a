from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from principles.api.serializers import (
    FrameworkDetailSerializer,
    FrameworkSummarySerializer,
    PrincipleSerializer,
)
from principles.selectors import (
    framework_list_for_user,
    framework_tree,
    get_framework_for_user,
    principle_list,
)


class PrincipleListApi(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = PrincipleSerializer
    pagination_class = None

    def get_queryset(self):
        return principle_list()


class FrameworkListApi(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = FrameworkSummarySerializer

    def get_queryset(self):
        return framework_list_for_user(self.request.user)


class FrameworkDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=FrameworkDetailSerializer)
    def get(self, request, slug: str, version: str | None = None):
        framework = get_framework_for_user(request.user, slug=slug, version=version)
        serializer = FrameworkDetailSerializer(
            framework, context={"criteria": framework_tree(framework)}
        )
        return Response(serializer.data)


class FrameworkVersionDetailApi(FrameworkDetailApi):
    """One named version; a class of its own so the OpenAPI operation ids differ."""

    @extend_schema(
        responses=FrameworkDetailSerializer, operation_id="v1_frameworks_version_retrieve"
    )
    def get(self, request, slug: str, version: str | None = None):
        return super().get(request, slug, version)
