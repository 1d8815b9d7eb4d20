"""API of the network app: the NAS registry (secrets are write-only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.network.api.serializers import NasInputSerializer, NasSerializer
from ispstack.network.models import Nas
from ispstack.network.nas import create_nas, update_nas


class NasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routers and BRAS that FreeRADIUS serves and ispstack sends CoA to."""

    queryset = Nas.objects.all()
    serializer_class = NasSerializer
    filterset_fields = ["type", "nasname"]

    def get_queryset(self) -> QuerySet[Nas]:
        user = self.request.user
        if getattr(user, "tenant_id", None) is None and user.is_superuser:
            return Nas.objects.order_by("shortname")
        return Nas.objects.filter(tenant_id=getattr(user, "tenant_id", 0) or 0).order_by(
            "shortname"
        )

    @extend_schema(request=NasInputSerializer, responses={201: NasSerializer})
    def create(self, request: Request) -> Response:
        nas = create_nas(
            tenant=self.tenant, actor=request.user, **self.validated(NasInputSerializer)
        )
        return Response(NasSerializer(nas).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NasInputSerializer, responses=NasSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        nas = update_nas(
            nas=self.get_object(),
            actor=request.user,
            **self.validated(NasInputSerializer, partial=True),
        )
        return Response(NasSerializer(nas).data)
