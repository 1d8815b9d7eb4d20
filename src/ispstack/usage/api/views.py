"""API of the usage app: a subscription's daily usage against its data cap,
and top-ups of extra volume."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core import clock
from ispstack.core.api.base import TenantViewSet, date_param
from ispstack.core.errors import InvalidInput
from ispstack.subscriptions.api.views import SubscriptionViewSet
from ispstack.usage import caps
from ispstack.usage import selectors as usage_selectors
from ispstack.usage.api.serializers import TopUpInputSerializer, TopUpSerializer, UsageSerializer


class SubscriptionUsageViewSet(TenantViewSet):
    """Usage actions on ``subscriptions/{id}/``: daily usage and top-ups (the
    subscription itself is served by the subscriptions API)."""

    queryset = SubscriptionViewSet.queryset
    serializer_class = SubscriptionViewSet.serializer_class
    required_perms = {
        "topups": ("subscriptions.view_subscription", "usage.add_topup"),
        "usage": ("subscriptions.view_subscription", "usage.view_dailyusage"),
    }
    filterset_fields = SubscriptionViewSet.filterset_fields

    @extend_schema(request=TopUpInputSerializer, responses={201: TopUpSerializer})
    @action(detail=True, methods=["post"])
    def topups(self, request: Request, pk: Any = None) -> Response:
        """Buy extra volume for the current cycle; lifts a fair-use throttle at once."""
        sub = self.get_object()
        topup = caps.buy_topup(
            subscription=sub,
            actor=request.user,
            today=clock.today(sub.tenant),
            **self.validated(TopUpInputSerializer),
        )
        return Response(TopUpSerializer(topup).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=UsageSerializer,
    )
    @action(detail=True, methods=["get"])
    def usage(self, request: Request, pk: Any = None) -> Response:
        """Daily usage (default: the current cycle, at most 400 days) and where
        the subscription stands against its data cap."""
        sub = self.get_object()
        today = clock.today(sub.tenant)
        cycle = usage_selectors.cap_status(sub, today)
        end = date_param(request, "end", today)
        start = date_param(request, "start", cycle["cycle_start"])
        if start > end:
            raise InvalidInput("must not be after end", field="start")
        if (end - start).days > 400:
            raise InvalidInput("the range may span at most 400 days", field="start")
        days = usage_selectors.daily_usage(sub, start, end)
        return Response(UsageSerializer({"cycle": cycle, "days": days}).data)
