"""The staff console's URLs, under /staff/."""

from django.urls import path

from ispstack.console.views import auth, home, lists, search

app_name = "console"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("customers/", lists.CustomerListView.as_view(), name="customers-list"),
    path("subscriptions/", lists.SubscriptionListView.as_view(), name="subscriptions-list"),
    path("invoices/", lists.InvoiceListView.as_view(), name="invoices-list"),
    path("payments/", lists.PaymentListView.as_view(), name="payments-list"),
    path("statement-lines/", lists.StatementLineListView.as_view(), name="statement-lines-list"),
    path("transfers/", lists.TransferListView.as_view(), name="transfers-list"),
    path("jobs/", lists.JobListView.as_view(), name="jobs-list"),
]
