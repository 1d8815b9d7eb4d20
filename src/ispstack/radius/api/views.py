"""API of the radius app: the NAS registry (secrets are write-only) and what
FreeRADIUS sees of a subscription (reply attributes, sessions, login attempts)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.radius import selectors as radius_selectors
from ispstack.radius.api.serializers import (
    AuthAttemptSerializer,
    NasInputSerializer,
    NasSerializer,
    RadiusReplySerializer,
    SessionSerializer,
)
from ispstack.radius.models import Nas
from ispstack.radius.nas import create_nas, update_nas
from ispstack.subscriptions.api.views import SubscriptionViewSet


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


class SubscriptionRadiusViewSet(TenantViewSet):
    """RADIUS views of ``subscriptions/{id}/``: reply attributes, sessions, login
    attempts (the subscription itself is served by the subscriptions API)."""

    queryset = SubscriptionViewSet.queryset
    serializer_class = SubscriptionViewSet.serializer_class
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
