"""REST API v1: every app's routes on one router, the token endpoints, the
OpenAPI schema and its docs.

Apps are assembled from the lowest floor up, so a resource is registered before
the higher floors' actions on it (see ``ispstack.core.api.routers.Router``).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ispstack.accounting.api import urls as accounting
from ispstack.api.auth import ApiTokenViewSet, TokenView
from ispstack.billing.api import urls as billing
from ispstack.catalog.api import urls as catalog
from ispstack.collections.api import urls as collections
from ispstack.core.api import job_log
from ispstack.core.api.routers import Router
from ispstack.customers.api import urls as customers
from ispstack.hotspot.api import captive_urls as hotspot_captive
from ispstack.hotspot.vouchers.api import urls as vouchers
from ispstack.network.api import urls as network
from ispstack.payments.api import urls as payments
from ispstack.portal.api import urls as portal
from ispstack.portal.plan_changes.api import urls as plan_changes
from ispstack.provisioning.api import urls as provisioning
from ispstack.radius.api import urls as radius
from ispstack.reports.api import urls as reports
from ispstack.sales.api import urls as sales
from ispstack.subscriptions.api import urls as subscriptions
from ispstack.tickets.api import field_urls as field
from ispstack.tickets.api import urls as tickets
from ispstack.usage.api import urls as usage
from ispstack.webhooks.api import urls as webhooks

router = Router()
apps = (
    job_log,
    customers,
    catalog,
    network,
    webhooks,
    subscriptions,
    billing,
    radius,
    usage,
    payments,
    collections,
    accounting,
    tickets,
    provisioning,
    sales,
    vouchers,
    hotspot_captive,
    field,
    plan_changes,
    reports,
)
for app in apps:
    for prefix, viewset, basename in app.routes:
        router.register(prefix, viewset, basename=basename)
router.register("auth/tokens", ApiTokenViewSet, basename="apitoken")

urlpatterns = [
    # The customer portal's API: portal tokens only (see ispstack.portal.api).
    path("v1/portal/", include(portal.urlpatterns)),
    path("v1/", include(router.urls)),
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include(payments.urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
