"""Routes of the subscriptions API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.subscriptions.api import equipment, views

routes: list[Route] = [
    ("subscriptions", views.SubscriptionViewSet, "subscription"),
    ("subscriptions", equipment.SubscriptionInstallationViewSet, "subscription"),
    ("onus", equipment.OnuAssignViewSet, "onu"),
    ("onu-assignments", equipment.OnuAssignmentViewSet, "onuassignment"),
]
