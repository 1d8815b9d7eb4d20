"""API of the collections app: dunning campaigns and their executions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.collections import dunning
from ispstack.collections.api.serializers import (
    CampaignStatsSerializer,
    DunningCampaignInputSerializer,
    DunningCampaignSerializer,
    DunningExecutionSerializer,
    PromiseInputSerializer,
)
from ispstack.collections.models import DunningCampaign, DunningExecution
from ispstack.core.api.base import TenantViewSet


class DunningCampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Dunning campaigns with their steps; ``stats`` gives the recovery figures."""

    queryset = DunningCampaign.objects.prefetch_related("steps")
    serializer_class = DunningCampaignSerializer
    required_perms = {
        "list": ("collections.view_dunningcampaign",),
        "retrieve": ("collections.view_dunningcampaign",),
        "create": ("collections.add_dunningcampaign",),
        "stats": ("collections.view_dunningcampaign", "collections.view_dunningexecution"),
    }

    @extend_schema(
        request=DunningCampaignInputSerializer, responses={201: DunningCampaignSerializer}
    )
    def create(self, request: Request) -> Response:
        campaign = dunning.create_campaign(
            tenant=self.tenant, actor=request.user, **self.validated(DunningCampaignInputSerializer)
        )
        return Response(DunningCampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CampaignStatsSerializer)
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: Any = None) -> Response:
        """Executions started and recovered, the amount recovered and the rate."""
        figures = dunning.campaign_stats(self.get_object())
        return Response(CampaignStatsSerializer(figures).data)


class DunningExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Campaigns running for customers; ``promise`` pauses one until a date."""

    queryset = DunningExecution.objects.all()
    serializer_class = DunningExecutionSerializer
    required_perms = {
        "list": ("collections.view_dunningexecution",),
        "retrieve": ("collections.view_dunningexecution",),
        "promise": ("collections.change_dunningexecution",),
    }
    filterset_fields = ["status", "campaign", "customer"]

    @extend_schema(request=PromiseInputSerializer, responses=DunningExecutionSerializer)
    @action(detail=True, methods=["post"])
    def promise(self, request: Request, pk: Any = None) -> Response:
        execution = dunning.promise_to_pay(
            execution=self.get_object(),
            actor=request.user,
            **self.validated(PromiseInputSerializer),
        )
        return Response(DunningExecutionSerializer(execution).data)
