"""The portal's URLs, under /my/<tenant slug>/."""

from django.urls import path

from ispstack.portal.views import auth, pages, profile, tickets

app_name = "portal"

urlpatterns = [
    path("<slug:tenant>/", pages.DashboardView.as_view(), name="dashboard"),
    path("<slug:tenant>/login/", auth.LoginView.as_view(), name="login"),
    path("<slug:tenant>/logout/", auth.LogoutView.as_view(), name="logout"),
    path("<slug:tenant>/password/forgot/", auth.ForgotPasswordView.as_view(), name="forgot"),
    path(
        "<slug:tenant>/password/reset/<str:token>/",
        auth.ResetPasswordView.as_view(),
        name="reset-confirm",
    ),
    path("<slug:tenant>/welcome/<str:token>/", auth.SetPasswordView.as_view(), name="accept"),
    path("<slug:tenant>/services/<int:pk>/", pages.ServiceView.as_view(), name="service"),
    path("<slug:tenant>/invoices/", pages.DocumentsView.as_view(), name="invoices"),
    path(
        "<slug:tenant>/invoices/<int:pk>/pdf/", pages.InvoicePdfView.as_view(), name="invoice-pdf"
    ),
    path(
        "<slug:tenant>/credit-notes/<int:pk>/pdf/",
        pages.CreditNotePdfView.as_view(),
        name="credit-note-pdf",
    ),
    path("<slug:tenant>/payments/", pages.PaymentsView.as_view(), name="payments"),
    path(
        "<slug:tenant>/payments/<int:pk>/receipt/",
        pages.ReceiptPdfView.as_view(),
        name="receipt-pdf",
    ),
    path("<slug:tenant>/tickets/", tickets.TicketsView.as_view(), name="tickets"),
    path("<slug:tenant>/tickets/new/", tickets.NewTicketView.as_view(), name="ticket-new"),
    path("<slug:tenant>/tickets/<int:pk>/", tickets.TicketView.as_view(), name="ticket"),
    path("<slug:tenant>/profile/", profile.ProfileView.as_view(), name="profile"),
    path("<slug:tenant>/profile/password/", profile.PasswordView.as_view(), name="password"),
    path("<slug:tenant>/notifications/", profile.PreferencesView.as_view(), name="preferences"),
    path("<slug:tenant>/statement.pdf", pages.StatementPdfView.as_view(), name="statement-pdf"),
]
