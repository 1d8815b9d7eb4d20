"""Routes of the payments API, assembled under ``/api/v1/`` by ``ispstack.api.urls``:
viewsets in ``routes``, plain views in ``urlpatterns``."""

from django.urls import path

from ispstack.core.api.routers import Route
from ispstack.payments.api import views

routes: list[Route] = [
    # Actions on the customers and billing APIs' resources: same prefix and basename.
    ("customers", views.CustomerStatementViewSet, "customer"),
    ("invoices", views.InvoicePaymentViewSet, "invoice"),
    ("payments", views.PaymentViewSet, "payment"),
    ("refunds", views.RefundViewSet, "refund"),
    ("payment-methods", views.PaymentMethodViewSet, "paymentmethod"),
    ("bank-transfers", views.BankTransferViewSet, "banktransfer"),
    ("bank-statements", views.BankStatementViewSet, "bankstatement"),
    ("statement-lines", views.StatementLineViewSet, "statementline"),
    ("direct-debit-batches", views.DirectDebitBatchViewSet, "ddbatch"),
]

urlpatterns = [
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
]
