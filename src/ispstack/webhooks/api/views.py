"""API of the webhooks app: a tenant's endpoints and the deliveries to them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.webhooks import services
from ispstack.webhooks.api.serializers import (
    CreatedWebhookEndpointSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)
from ispstack.webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """URLs that receive the tenant's events, signed per Standard Webhooks."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    required_perms = {
        "list": ("webhooks.view_webhookendpoint",),
        "retrieve": ("webhooks.view_webhookendpoint",),
        "create": ("webhooks.add_webhookendpoint",),
        "partial_update": ("webhooks.change_webhookendpoint",),
    }
    filterset_fields = ["is_active"]

    @extend_schema(
        request=WebhookEndpointInputSerializer, responses={201: CreatedWebhookEndpointSerializer}
    )
    def create(self, request: Request) -> Response:
        endpoint = services.create_endpoint(
            tenant=self.tenant, actor=request.user, **self.validated(WebhookEndpointInputSerializer)
        )
        return Response(
            CreatedWebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=WebhookEndpointInputSerializer, responses=WebhookEndpointSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        endpoint = services.update_endpoint(
            endpoint=self.get_object(),
            actor=request.user,
            **self.validated(WebhookEndpointInputSerializer, partial=True),
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Every event sent to an endpoint, its attempts and last answer; replay."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    required_perms = {
        "list": ("webhooks.view_webhookdelivery",),
        "retrieve": ("webhooks.view_webhookdelivery",),
        "replay": ("webhooks.view_webhookdelivery", "webhooks.change_webhookdelivery"),
    }
    filterset_fields = ["endpoint", "status", "event_type"]

    @extend_schema(request=None, responses=WebhookDeliverySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: Any = None) -> Response:
        delivery = services.replay_delivery(delivery=self.get_object(), actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data)
