"""Routes of the usage API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.usage.api import views

routes: list[Route] = [
    # Actions on the subscriptions API's resource: same prefix and basename.
    ("subscriptions", views.SubscriptionUsageViewSet, "subscription"),
]
