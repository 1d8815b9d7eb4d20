"""Serializers of the webhooks API: endpoints (the secret is write-only) and
deliveries, and the input of endpoint writes."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer, StrictCharField
from ispstack.webhooks.models import WebhookDelivery, WebhookEndpoint
from ispstack.webhooks.services import INPUT_FIELDS


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as shown: never its secret."""

    class Meta:
        model = WebhookEndpoint
        exclude = ["tenant", "secret"]


class CreatedWebhookEndpointSerializer(WebhookEndpointSerializer):
    """The answer to ``POST webhook-endpoints/``: the endpoint and, this once,
    its secret, to configure the receiver's verification with."""

    class Meta:
        model = WebhookEndpoint
        exclude = ["tenant"]


class WebhookEndpointInputSerializer(InputSerializer):
    """Input of ``POST webhook-endpoints/`` and ``PATCH webhook-endpoints/{id}/``."""

    event_types = serializers.ListField(
        child=StrictCharField(max_length=80),
        min_length=1,
        max_length=100,
        help_text="Event names such as subscription.suspended or invoices.issued.",
    )
    secret = StrictCharField(
        max_length=100,
        required=False,
        write_only=True,
        help_text="whsec_ and the base64 of 24 to 64 bytes; generated when left out.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = list(INPUT_FIELDS)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        exclude = ["tenant"]
