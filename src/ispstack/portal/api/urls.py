"""The portal API's routes, mounted at ``/api/v1/portal/`` by ``ispstack.api.urls``."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from ispstack.portal.api import paying, plan_changes, profile, support, topups, views

router = SimpleRouter()
router.register("auth/tokens", views.TokenViewSet, basename="portal-apitoken")
router.register("subscriptions", plan_changes.ServiceViewSet, basename="portal-subscription")
router.register("invoices", paying.PayableInvoiceViewSet, basename="portal-invoice")
router.register("credit-notes", views.CreditNoteViewSet, basename="portal-creditnote")
router.register("payments", views.PaymentViewSet, basename="portal-payment")
router.register("transfers", paying.TransferViewSet, basename="portal-transfer")
router.register("payment-methods", paying.PaymentMethodViewSet, basename="portal-paymentmethod")
router.register(
    "plan-change-requests", plan_changes.PlanChangeRequestViewSet, basename="portal-planchange"
)
router.register("tickets", support.TicketViewSet, basename="portal-ticket")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", views.TokenView.as_view(), name="portal-api-token"),
    path("account/", views.AccountView.as_view(), name="portal-api-account"),
    path("statement/", views.StatementView.as_view(), name="portal-api-statement"),
    path("profile/", profile.ProfileView.as_view(), name="portal-api-profile"),
    path("notifications/", profile.PreferencesView.as_view(), name="portal-api-notifications"),
    path(
        "subscriptions/<str:pk>/topup-offers/",
        topups.TopUpOffersView.as_view(),
        name="portal-api-topup-offers",
    ),
    path("subscriptions/<str:pk>/topups/", topups.TopUpsView.as_view(), name="portal-api-topups"),
    path("", include(router.urls)),
]
