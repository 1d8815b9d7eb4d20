"""API of the subscriptions app: signup, the lifecycle (activate, suspend,
reconnect, terminate), billing day, access, add-ons and promotions.

Actions on a subscription that belong to a higher floor (plan changes and
charges: billing; usage and top-ups: usage; RADIUS views: radius) are in those
apps' APIs, on the same ``subscriptions/`` prefix.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.access import change_access
from ispstack.subscriptions.api.serializers import (
    AccessSerializer,
    AttachAddOnSerializer,
    BillingDaySerializer,
    GrantPromotionSerializer,
    RevealedPasswordSerializer,
    ServiceActionSerializer,
    SignupInputSerializer,
    SubscriptionAddOnSerializer,
    SubscriptionPromotionSerializer,
    SubscriptionSerializer,
    SuspendSerializer,
    TerminateSerializer,
    TransitionSerializer,
)
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.selectors import service_actions


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscriptions and their lifecycle: activate, suspend, reconnect, terminate."""

    queryset = Subscription.objects.select_related("ip_address")
    serializer_class = SubscriptionSerializer
    required_perms = {
        "list": ("subscriptions.view_subscription",),
        "retrieve": ("subscriptions.view_subscription",),
        "create": ("subscriptions.add_subscription",),
        "activate": ("subscriptions.change_subscription",),
        "suspend": ("subscriptions.change_subscription",),
        "reconnect": ("subscriptions.change_subscription",),
        "terminate": ("subscriptions.change_subscription",),
        "billing_day": ("subscriptions.change_billing_day",),
        "access": ("subscriptions.change_subscription", "network.view_nas"),
        "addons": ("subscriptions.add_subscriptionaddon",),
        "promotions": ("subscriptions.add_subscriptionpromotion",),
        "reveal_password": ("subscriptions.view_subscription", "subscriptions.reveal_password"),
        "service_actions": ("subscriptions.view_subscription", "subscriptions.view_serviceaction"),
    }
    filterset_fields = ["status", "customer", "plan", "username"]

    @extend_schema(responses=ServiceActionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="actions", filter_backends=[])
    def service_actions(self, request: Request, pk: Any = None) -> Response:
        """The subscription's service action log, newest first (paginated)."""
        page = self.paginate_queryset(service_actions(self.get_object()))
        return self.get_paginated_response(ServiceActionSerializer(page, many=True).data)

    @extend_schema(request=SignupInputSerializer, responses={201: SubscriptionSerializer})
    def create(self, request: Request) -> Response:
        sub = subscriptions.create_subscription(
            tenant=self.tenant, actor=request.user, **self.validated(SignupInputSerializer)
        )
        return Response(SubscriptionSerializer(sub).data, status=status.HTTP_201_CREATED)

    def _transition(self, request: Request, name: str, serializer: Any) -> Response:
        data = self.validated(serializer)
        kwargs = {k: v for k, v in data.items() if v not in (None, "")}
        sub = getattr(subscriptions, name)(
            subscription=self.get_object(), actor=request.user, **kwargs
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "activate", TransitionSerializer)

    @extend_schema(request=SuspendSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "suspend", SuspendSerializer)

    @extend_schema(request=TransitionSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def reconnect(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "reconnect", TransitionSerializer)

    @extend_schema(request=BillingDaySerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"], url_path="billing-day")
    def billing_day(self, request: Request, pk: Any = None) -> Response:
        """Change the billing day; the bridge period is billed prorated."""
        sub = subscriptions.change_billing_day(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(BillingDaySerializer),
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=AccessSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def access(self, request: Request, pk: Any = None) -> Response:
        """Set the NAS and IPv6 prefixes; the open session is disconnected to take them."""
        sub = change_access(
            subscription=self.get_object(), actor=request.user, **self.validated(AccessSerializer)
        )
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=AttachAddOnSerializer, responses={201: SubscriptionAddOnSerializer})
    @action(detail=True, methods=["post"])
    def addons(self, request: Request, pk: Any = None) -> Response:
        """Attach an add-on (quantity, start date) to the subscription."""
        attached = subscriptions.attach_addon(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(AttachAddOnSerializer),
        )
        return Response(SubscriptionAddOnSerializer(attached).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GrantPromotionSerializer, responses={201: SubscriptionPromotionSerializer}
    )
    @action(detail=True, methods=["post"])
    def promotions(self, request: Request, pk: Any = None) -> Response:
        """Grant a promotion to the subscription."""
        granted = subscriptions.grant_promotion(
            subscription=self.get_object(),
            actor=request.user,
            **self.validated(GrantPromotionSerializer),
        )
        return Response(
            SubscriptionPromotionSerializer(granted).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=RevealedPasswordSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-password")
    def reveal_password(self, request: Request, pk: Any = None) -> Response:
        """The PPPoE password, which no other response shows; each reveal is
        audited. A POST: it is an act recorded in the log, never cached."""
        password = subscriptions.reveal_password(subscription=self.get_object(), actor=request.user)
        return Response(RevealedPasswordSerializer({"password": password}).data)

    @extend_schema(request=TerminateSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, "terminate", TerminateSerializer)
