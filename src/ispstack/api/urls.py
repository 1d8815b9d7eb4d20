"""REST API v1: every app's routes on one router, the token view, the OpenAPI
schema and its docs.

Apps are assembled from the lowest floor up, so a resource is registered before
the higher floors' actions on it (see ``ispstack.core.api.routers.Router``).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ispstack.api.auth import TokenView
from ispstack.billing.api import urls as billing
from ispstack.catalog.api import urls as catalog
from ispstack.collections.api import urls as collections
from ispstack.core.api.routers import Router
from ispstack.customers.api import urls as customers
from ispstack.network.api import urls as network
from ispstack.payments.api import urls as payments
from ispstack.radius.api import urls as radius
from ispstack.subscriptions.api import urls as subscriptions
from ispstack.usage.api import urls as usage

router = Router()
for app in (
    customers,
    catalog,
    network,
    subscriptions,
    billing,
    radius,
    usage,
    payments,
    collections,
):
    for prefix, viewset, basename in app.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include(payments.urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
