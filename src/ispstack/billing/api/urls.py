"""Routes of the billing API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.billing.api import views
from ispstack.core.api.routers import Route

routes: list[Route] = [
    # Actions on the subscriptions API's resource: same prefix and basename.
    ("subscriptions", views.SubscriptionBillingViewSet, "subscription"),
    ("invoices", views.InvoiceViewSet, "invoice"),
    ("credit-notes", views.CreditNoteViewSet, "creditnote"),
    ("charges", views.ChargeViewSet, "charge"),
    ("billing-runs", views.BillingRunViewSet, "billingrun"),
]
