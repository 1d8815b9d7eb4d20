"""Routes of the webhooks API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.webhooks.api import views

routes: list[Route] = [
    ("webhook-endpoints", views.WebhookEndpointViewSet, "webhookendpoint"),
    ("webhook-deliveries", views.WebhookDeliveryViewSet, "webhookdelivery"),
]
