"""Routes of the RADIUS API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.radius.api import views

routes: list[Route] = [
    # Actions on the subscriptions API's resource: same prefix and basename.
    ("subscriptions", views.SubscriptionRadiusViewSet, "subscription"),
]
