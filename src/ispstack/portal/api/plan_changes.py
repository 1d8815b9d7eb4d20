"""The portal API's plan change requests, as the change-plan page
(``portal.views.plan_changes``): the plans a service may move to with the
monthly price difference and the date each timing would start, submitting a
request (through ``portal.plan_changes.services.submit_request``, so it
joins the back office's queue and the customer gets the same emails),
the customer's requests, and withdrawing one still waiting for a decision.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.catalog.models import Plan
from ispstack.core.errors import NotFound
from ispstack.portal import selectors
from ispstack.portal.api import serializers as s
from ispstack.portal.api.views import ID_PATTERN, PortalViewMixin, SubscriptionViewSet, _id
from ispstack.portal.models import PlanChangeRequest, PlanChangeTiming
from ispstack.portal.plan_changes import selectors as plan_selectors
from ispstack.portal.plan_changes import services
from ispstack.subscriptions.models import SubscriptionStatus


class ServiceViewSet(SubscriptionViewSet):
    """The customer's services (``SubscriptionViewSet``), and the plans each may move to."""

    @extend_schema(responses={200: s.PortalPlanOptionsSerializer})
    @action(detail=True, methods=["get"], url_path="plan-options")
    def plan_options(self, request: Request, pk: Any = None) -> Response:
        """The plans this service may move to (the ISP's, on sale, in its
        currency, cheapest first) with the monthly price difference, the
        timings with the first day each would start, and the open request."""
        sub = selectors.subscriptions_of(self.customer).filter(pk=_id(pk)).first()
        if sub is None:
            raise Http404("No such service.")
        options = {
            "sub": sub,
            "can_change": sub.status != SubscriptionStatus.TERMINATED,
            "plans": plan_selectors.plan_options(sub),
            "timings": [
                {
                    "timing": value,
                    "label": PlanChangeTiming(value).label,
                    "effective_date": plan_selectors.effective_date(sub, value),
                }
                for value in plan_selectors.timings_for(self.portal_user.tenant)
            ],
            "open_request": plan_selectors.open_of(plan_selectors.history(self.customer, sub)),
        }
        return Response(s.PortalPlanOptionsSerializer(options).data)


class PlanChangeRequestViewSet(PortalViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The customer's plan change requests (newest first); submit one (201;
    409 when the service has an open request already); withdraw a submitted
    one (``cancel/``; 409 once decided)."""

    queryset = PlanChangeRequest.objects.none()
    serializer_class = s.PortalPlanChangeRequestSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[PlanChangeRequest]:
        if getattr(self, "swagger_fake_view", False):
            return PlanChangeRequest.objects.none()
        return plan_selectors.requests_of(self.customer)

    def get_object(self) -> PlanChangeRequest:
        found = self.get_queryset().filter(pk=_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise Http404("No such request.")
        return found

    @extend_schema(responses={200: s.PortalPlanChangeRequestSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(s.PortalPlanChangeRequestSerializer(self.get_object()).data)

    @extend_schema(
        request=s.PortalPlanChangeInputSerializer,
        responses={201: s.PortalPlanChangeRequestSerializer},
    )
    def create(self, request: Request) -> Response:
        """Ask to move a service to a plan: ``submitted``, or ``applied`` at
        once where the ISP applies upgrades instantly. A service or plan that
        is not the customer's or their ISP's answers 404."""
        data = self.validated(s.PortalPlanChangeInputSerializer)
        sub = selectors.subscriptions_of(self.customer).filter(pk=data["subscription"]).first()
        if sub is None:
            raise NotFound("is not one of your services", field="subscription")
        if not Plan.objects.filter(tenant_id=sub.tenant_id, pk=data["plan"]).exists():
            raise NotFound("is not a plan of your provider", field="plan")
        made = services.submit_request(
            user=self.portal_user, subscription=sub, plan=data["plan"], timing=data["timing"]
        )
        body = s.PortalPlanChangeRequestSerializer(made).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PortalPlanChangeRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Withdraw a request that waits for the ISP's decision."""
        done = services.cancel_request(user=self.portal_user, request=self.get_object())
        return Response(s.PortalPlanChangeRequestSerializer(done).data)
