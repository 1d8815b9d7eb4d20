"""API of outages: declare one on a site, sector, NAS or device, change its
expected end, resolve or cancel it, list the subscriptions it hit. Every
write goes through ``tickets.outages.services``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.tickets.api.outage_serializers import (
    OutageCancelSerializer,
    OutageImpactSerializer,
    OutageInputSerializer,
    OutageResolveSerializer,
    OutageSerializer,
    OutageUpdateSerializer,
)
from ispstack.tickets.models import Outage
from ispstack.tickets.outages import services

_VIEW = ("tickets.view_outage",)
_WORK = ("tickets.view_outage", "tickets.change_outage")


class OutageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Outages, open ones first; filter with ``?state=``, ``cause``, ``site``,
    ``sector``, ``nas``, ``device``."""

    queryset = Outage.objects.all()
    serializer_class = OutageSerializer
    required_perms = {
        "list": _VIEW,
        "retrieve": _VIEW,
        "create": ("tickets.view_outage", "tickets.add_outage"),
        "partial_update": _WORK,
        "resolve": _WORK,
        "cancel": _WORK,
        "impacts": ("tickets.view_outage", "tickets.view_outageimpact"),
    }
    filterset_fields = ["state", "cause", "site", "sector", "nas", "device"]

    def get_queryset(self) -> QuerySet[Outage]:
        return (
            super()
            .get_queryset()
            .select_related("site", "sector__site", "nas", "device")
            .order_by("state", "-started_at", "-id")
        )

    @extend_schema(request=OutageInputSerializer, responses={201: OutageSerializer})
    def create(self, request: Request) -> Response:
        """Declare an outage; the open one already on the scope is returned
        when there is one (a repeated request declares once)."""
        outage = services.declare_outage(
            tenant=self.tenant, actor=request.user, **self.validated(OutageInputSerializer)
        )
        return Response(OutageSerializer(outage).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OutageUpdateSerializer, responses=OutageSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        outage = services.update_outage(
            outage=self.get_object(),
            actor=request.user,
            **self.validated(OutageUpdateSerializer, partial=True),
        )
        return Response(OutageSerializer(outage).data)

    @extend_schema(request=OutageResolveSerializer, responses=OutageSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        """Service is back: minutes per subscription, grouped tickets resolved,
        customers told. Resolving a resolved outage changes nothing."""
        outage = services.resolve_outage(
            outage=self.get_object(), actor=request.user, **self.validated(OutageResolveSerializer)
        )
        return Response(OutageSerializer(outage).data)

    @extend_schema(request=OutageCancelSerializer, responses=OutageSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Call off a planned outage before it begins (409 for an active one)."""
        outage = services.cancel_outage(
            outage=self.get_object(), actor=request.user, **self.validated(OutageCancelSerializer)
        )
        return Response(OutageSerializer(outage).data)

    @extend_schema(request=None, responses=OutageImpactSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def impacts(self, request: Request, pk: Any = None) -> Response:
        """The subscriptions the outage hit, with their minutes and when they were told."""
        rows = self.get_object().impacts.order_by("id")
        return Response(OutageImpactSerializer(rows, many=True).data)
