"""API of the radius app: what FreeRADIUS sees of a subscription (reply
attributes, sessions, login attempts)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.radius import selectors as radius_selectors
from ispstack.radius.api.serializers import (
    AuthAttemptSerializer,
    RadiusReplySerializer,
    SessionSerializer,
)
from ispstack.subscriptions.api.views import SubscriptionViewSet


class SubscriptionRadiusViewSet(TenantViewSet):
    """RADIUS views of ``subscriptions/{id}/``: reply attributes, sessions, login
    attempts (the subscription itself is served by the subscriptions API)."""

    queryset = SubscriptionViewSet.queryset
    serializer_class = SubscriptionViewSet.serializer_class
    required_perms = {
        "radius_reply": ("subscriptions.view_subscription", "radius.view_radreply"),
        "sessions": ("subscriptions.view_subscription", "radius.view_radacct"),
        "auth_attempts": ("subscriptions.view_subscription", "radius.view_radpostauth"),
    }
    filterset_fields = SubscriptionViewSet.filterset_fields

    @extend_schema(responses=RadiusReplySerializer)
    @action(detail=True, methods=["get"], url_path="radius-reply")
    def radius_reply(self, request: Request, pk: Any = None) -> Response:
        """The reply attributes FreeRADIUS sends at the subscriber's next login."""
        reply = radius_selectors.effective_reply(self.get_object().username)
        return Response(RadiusReplySerializer({"attributes": reply}).data)

    # The whole list, unpaginated and unfiltered: a subscription's own sessions
    # (the archive included), not the subscriptions list the viewset filters.
    @extend_schema(responses=SessionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def sessions(self, request: Request, pk: Any = None) -> Response:
        """Accounting sessions, newest first (the open one, if online, first)."""
        rows = radius_selectors.session_history(self.get_object())
        return Response(SessionSerializer(rows, many=True).data)

    @extend_schema(responses=AuthAttemptSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="auth-attempts",
        pagination_class=None,
        filter_backends=[],
    )
    def auth_attempts(self, request: Request, pk: Any = None) -> Response:
        """Login attempts with FreeRADIUS's answer, so support sees why a login fails."""
        rows = radius_selectors.auth_attempts(self.get_object())[:100]
        return Response(AuthAttemptSerializer(rows, many=True).data)
