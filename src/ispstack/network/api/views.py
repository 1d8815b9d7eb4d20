"""API of the network app: the NAS registry (secrets are write-only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.network.api.serializers import (
    NasInputSerializer,
    NasSerializer,
    RevealedSecretSerializer,
)
from ispstack.network.models import Nas
from ispstack.network.nas import create_nas, reveal_secret, update_nas


class NasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Routers and BRAS that FreeRADIUS serves and ispstack sends CoA to."""

    queryset = Nas.objects.all()
    serializer_class = NasSerializer
    required_perms = {
        "list": ("network.view_nas",),
        "retrieve": ("network.view_nas",),
        "create": ("network.add_nas",),
        "partial_update": ("network.change_nas",),
        "reveal_secret": ("network.view_nas", "network.reveal_secret"),
    }
    filterset_fields = ["type", "nasname"]

    def get_queryset(self) -> QuerySet[Nas]:
        return super().get_queryset().order_by("shortname")

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

    @extend_schema(request=None, responses=RevealedSecretSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-secret")
    def reveal_secret(self, request: Request, pk: Any = None) -> Response:
        """The shared secret, which no other response shows; each reveal is
        audited. A POST: it is an act recorded in the log, never cached."""
        secret = reveal_secret(nas=self.get_object(), actor=request.user)
        return Response(RevealedSecretSerializer({"secret": secret}).data)
