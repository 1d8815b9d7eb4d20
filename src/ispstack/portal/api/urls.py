"""The portal API's routes, mounted at ``/api/v1/portal/`` by ``ispstack.api.urls``."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from ispstack.portal.api import topups, views

router = SimpleRouter()
router.register("auth/tokens", views.TokenViewSet, basename="portal-apitoken")
router.register("subscriptions", views.SubscriptionViewSet, basename="portal-subscription")
router.register("invoices", views.InvoiceViewSet, basename="portal-invoice")
router.register("credit-notes", views.CreditNoteViewSet, basename="portal-creditnote")
router.register("payments", views.PaymentViewSet, basename="portal-payment")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", views.TokenView.as_view(), name="portal-api-token"),
    path("account/", views.AccountView.as_view(), name="portal-api-account"),
    path("statement/", views.StatementView.as_view(), name="portal-api-statement"),
    path(
        "subscriptions/<str:pk>/topup-offers/",
        topups.TopUpOffersView.as_view(),
        name="portal-api-topup-offers",
    ),
    path("subscriptions/<str:pk>/topups/", topups.TopUpsView.as_view(), name="portal-api-topups"),
    path("", include(router.urls)),
]
