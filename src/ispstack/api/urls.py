"""REST API v1 routes and the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from ispstack.api import views
from ispstack.api.radius import NasViewSet

router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("tax-rates", views.TaxRateViewSet, basename="taxrate")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("credit-notes", views.CreditNoteViewSet, basename="creditnote")
router.register("refunds", views.RefundViewSet, basename="refund")
router.register("charges", views.ChargeViewSet, basename="charge")
router.register("addons", views.AddOnViewSet, basename="addon")
router.register("promotions", views.PromotionViewSet, basename="promotion")
router.register("bundles", views.BundleViewSet, basename="bundle")
router.register("billing-runs", views.BillingRunViewSet, basename="billingrun")
router.register("payment-methods", views.PaymentMethodViewSet, basename="paymentmethod")
router.register("bank-transfers", views.BankTransferViewSet, basename="banktransfer")
router.register("bank-statements", views.BankStatementViewSet, basename="bankstatement")
router.register("statement-lines", views.StatementLineViewSet, basename="statementline")
router.register("direct-debit-batches", views.DirectDebitBatchViewSet, basename="ddbatch")
router.register("dunning-campaigns", views.DunningCampaignViewSet, basename="dunningcampaign")
router.register("dunning-executions", views.DunningExecutionViewSet, basename="dunningexecution")
router.register("nas", NasViewSet, basename="nas")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/auth/token/", obtain_auth_token, name="api-token"),
    path("v1/webhooks/stripe/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
