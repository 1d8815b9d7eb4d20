"""The staff API of customers' plan change requests: list and read them,
approve or reject a submitted one (``portal.plan_changes.services``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.portal.models import PlanChangeRequest
from ispstack.portal.plan_changes import services
from ispstack.portal.plan_changes.api.serializers import (
    PlanChangeRequestSerializer,
    RejectInputSerializer,
)

_VIEW = ("portal.view_planchangerequest",)
_DECIDE = ("portal.view_planchangerequest", "portal.decide_planchangerequest")


class PlanChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Plan change requests customers made in the portal, oldest first;
    filter with ``?state=``, ``customer``, ``subscription``."""

    queryset = PlanChangeRequest.objects.all()
    serializer_class = PlanChangeRequestSerializer
    required_perms = {
        "list": _VIEW,
        "retrieve": _VIEW,
        "approve": _DECIDE,
        "reject": _DECIDE,
    }
    filterset_fields = ["state", "customer", "subscription"]

    def get_queryset(self) -> QuerySet[PlanChangeRequest]:
        return (
            super()
            .get_queryset()
            .select_related("requested_by", "subscription", "from_plan", "to_plan")
            .order_by("created_at", "id")
        )

    @extend_schema(request=None, responses=PlanChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Approve a submitted request: scheduled for its effective date
        (``approved``, applied by the billing run), or applied now with
        proration for a ``now`` request (``applied``). 409 once decided."""
        done = services.approve_request(request=self.get_object(), actor=request.user)
        return Response(PlanChangeRequestSerializer(done).data)

    @extend_schema(request=RejectInputSerializer, responses=PlanChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        """Reject a submitted request with a reason (required, sent to the
        customer). 409 once decided."""
        done = services.reject_request(
            request=self.get_object(),
            actor=request.user,
            **self.validated(RejectInputSerializer),
        )
        return Response(PlanChangeRequestSerializer(done).data)
