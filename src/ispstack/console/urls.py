"""The staff console's URLs, under /staff/."""

from django.urls import path

from ispstack.console.views import auth, customer, home, search

app_name = "console"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("customers/<int:pk>/", customer.CustomerView.as_view(), name="customer"),
    path("customers/<int:pk>/notes/", customer.CustomerNotesView.as_view(), name="customer-notes"),
    path(
        "customers/<int:pk>/<slug:action>/",
        customer.CustomerActionView.as_view(),
        name="customer-action",
    ),
    path("invoices/<int:pk>/pdf/", customer.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "credit-notes/<int:pk>/pdf/", customer.CreditNotePdfView.as_view(), name="credit-note-pdf"
    ),
]
