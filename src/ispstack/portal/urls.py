"""The portal's URLs, under /my/<tenant slug>/."""

from django.urls import path

from ispstack.portal.views import (
    auth,
    branding,
    pages,
    paying,
    plan_changes,
    profile,
    tickets,
    topups,
)

app_name = "portal"

urlpatterns = [
    path("<slug:tenant>/", pages.DashboardView.as_view(), name="dashboard"),
    path("<slug:tenant>/login/", auth.LoginView.as_view(), name="login"),
    path("<slug:tenant>/login/code/", auth.CodeView.as_view(), name="login-code"),
    path("<slug:tenant>/logout/", auth.LogoutView.as_view(), name="logout"),
    path("<slug:tenant>/password/forgot/", auth.ForgotPasswordView.as_view(), name="forgot"),
    path(
        "<slug:tenant>/password/reset/<str:token>/",
        auth.ResetPasswordView.as_view(),
        name="reset-confirm",
    ),
    path("<slug:tenant>/welcome/<str:token>/", auth.SetPasswordView.as_view(), name="accept"),
    path("<slug:tenant>/services/<int:pk>/", pages.ServiceView.as_view(), name="service"),
    path(
        "<slug:tenant>/services/<int:pk>/change-plan/",
        plan_changes.ChangePlanView.as_view(),
        name="change-plan",
    ),
    path("<slug:tenant>/services/<int:pk>/topups/", topups.TopUpView.as_view(), name="topups"),
    path(
        "<slug:tenant>/plan-changes/<int:pk>/cancel/",
        plan_changes.CancelPlanChangeView.as_view(),
        name="plan-change-cancel",
    ),
    path("<slug:tenant>/invoices/", pages.DocumentsView.as_view(), name="invoices"),
    path(
        "<slug:tenant>/invoices/<int:pk>/pdf/", pages.InvoicePdfView.as_view(), name="invoice-pdf"
    ),
    path(
        "<slug:tenant>/credit-notes/<int:pk>/pdf/",
        pages.CreditNotePdfView.as_view(),
        name="credit-note-pdf",
    ),
    path("<slug:tenant>/invoices/<int:pk>/pay/", paying.PayInvoiceView.as_view(), name="pay"),
    path(
        "<slug:tenant>/invoices/<int:pk>/pay/return/",
        paying.PayReturnView.as_view(),
        name="pay-return",
    ),
    path("<slug:tenant>/transfers/", paying.TransfersView.as_view(), name="transfers"),
    path("<slug:tenant>/payment-methods/", paying.MethodsView.as_view(), name="methods"),
    path(
        "<slug:tenant>/payment-methods/<int:pk>/primary/",
        paying.MethodActionView.as_view(action="primary"),
        name="method-primary",
    ),
    path(
        "<slug:tenant>/payment-methods/<int:pk>/remove/",
        paying.MethodActionView.as_view(action="remove"),
        name="method-remove",
    ),
    path("<slug:tenant>/payments/", pages.PaymentsView.as_view(), name="payments"),
    path(
        "<slug:tenant>/payments/<int:pk>/receipt/",
        pages.ReceiptPdfView.as_view(),
        name="receipt-pdf",
    ),
    path("<slug:tenant>/brand.css", branding.BrandCssView.as_view(), name="brand-css"),
    path("<slug:tenant>/logo", branding.LogoView.as_view(), name="logo"),
    path("<slug:tenant>/tickets/", tickets.TicketsView.as_view(), name="tickets"),
    path("<slug:tenant>/tickets/new/", tickets.NewTicketView.as_view(), name="ticket-new"),
    path("<slug:tenant>/tickets/<int:pk>/", tickets.TicketView.as_view(), name="ticket"),
    path("<slug:tenant>/profile/", profile.ProfileView.as_view(), name="profile"),
    path("<slug:tenant>/profile/password/", profile.PasswordView.as_view(), name="password"),
    path("<slug:tenant>/profile/language/", profile.LanguageView.as_view(), name="language"),
    path(
        "<slug:tenant>/profile/sign-in-code/",
        profile.SmsSignInView.as_view(),
        name="sms-sign-in",
    ),
    path("<slug:tenant>/notifications/", profile.PreferencesView.as_view(), name="preferences"),
    path("<slug:tenant>/statement.pdf", pages.StatementPdfView.as_view(), name="statement-pdf"),
]
