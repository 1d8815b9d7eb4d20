"""The staff console's URLs, under /staff/."""

from django.urls import path

from ispstack.console.views import (
    auth,
    customer,
    exports,
    field,
    helpdesk,
    home,
    job_runs,
    lists,
    network,
    noc,
    outages,
    plan_changes,
    portal_access,
    quotes,
    report_schedules,
    reports,
    reports_money,
    reports_ops,
    runs,
    sales,
    sales_lists,
    search,
)

app_name = "console"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("noc/sessions/", noc.SessionsView.as_view(), name="noc-sessions"),
    path(
        "noc/sessions/<int:radacctid>/disconnect/",
        noc.DisconnectView.as_view(),
        name="noc-disconnect",
    ),
    path("noc/auth/", noc.LoginCheckView.as_view(), name="noc-auth"),
    path("noc/coa/", noc.CoaLogView.as_view(), name="noc-coa"),
    path("noc/nas/", noc.NasListView.as_view(), name="noc-nas"),
    path("noc/nas/<int:pk>/reveal/", noc.NasRevealView.as_view(), name="noc-nas-reveal"),
    path("network/sites/", network.SiteListView.as_view(), name="network-sites-list"),
    path("network/sites/<int:pk>/", network.SiteView.as_view(), name="network-site"),
    path("network/devices/", network.DeviceListView.as_view(), name="network-devices-list"),
    path(
        "network/devices/<int:pk>/reveal/",
        network.DeviceRevealView.as_view(),
        name="network-device-reveal",
    ),
    path("network/onus/", network.OnuListView.as_view(), name="network-onus-list"),
    path(
        "network/onus/<int:pk>/assign/", network.OnuAssignView.as_view(), name="network-onu-assign"
    ),
    path("field/my-day/", field.MyDayView.as_view(), name="field-my-day"),
    path("field/calendar/", field.CalendarView.as_view(), name="field-calendar"),
    path(
        "field/appointments/<int:pk>/transition/",
        field.TransitionView.as_view(),
        name="field-transition",
    ),
    path(
        "field/appointments/<int:pk>/complete/",
        field.CompleteView.as_view(),
        name="field-complete",
    ),
    path("reports/", reports.MrrReportView.as_view(), name="reports"),
    path("reports/plans/", reports.PlanReportView.as_view(), name="reports-plans"),
    path("reports/aging/", reports.AgingReportView.as_view(), name="reports-aging"),
    path(
        "reports/schedules/",
        report_schedules.ScheduleListView.as_view(),
        name="report-schedules",
    ),
    path(
        "reports/schedules/new/",
        report_schedules.ScheduleFormView.as_view(),
        name="report-schedule-new",
    ),
    path(
        "reports/schedules/<int:pk>/",
        report_schedules.ScheduleFormView.as_view(),
        name="report-schedule",
    ),
    path(
        "reports/schedules/<int:pk>/<slug:action>/",
        report_schedules.ScheduleActionView.as_view(),
        name="report-schedule-action",
    ),
    path(
        "reports/marketing-spend/",
        report_schedules.MarketingSpendView.as_view(),
        name="reports-spend",
    ),
    path(
        "reports/marketing-spend/<int:pk>/",
        report_schedules.MarketingSpendView.as_view(),
        name="reports-spend-edit",
    ),
    path("reports/usage/", reports_ops.UsageByPlanView.as_view(), name="reports-usage"),
    path("reports/top-users/", reports_ops.TopUsersView.as_view(), name="reports-top-users"),
    path(
        "reports/overdue-sites/",
        reports_ops.OverdueBySiteView.as_view(),
        name="reports-overdue-sites",
    ),
    path(
        "reports/ticket-resolution/",
        reports_ops.TicketResolutionView.as_view(),
        name="reports-ticket-resolution",
    ),
    path("reports/ticket-sla/", reports_ops.TicketSlaView.as_view(), name="reports-ticket-sla"),
    path("runs/", runs.RunsView.as_view(), name="runs"),
    path("runs/<slug:kind>/start/", runs.StartRunView.as_view(), name="run-start"),
    path("runs/<slug:kind>/<int:pk>/", runs.RunView.as_view(), name="run"),
    path(
        "runs/<slug:kind>/<int:pk>/progress/", runs.RunProgressView.as_view(), name="run-progress"
    ),
    path("exports/", exports.MyExportsView.as_view(), name="exports"),
    path("exports/<int:pk>/", exports.ExportView.as_view(), name="export"),
    path(
        "exports/<int:pk>/progress/", exports.ExportProgressView.as_view(), name="export-progress"
    ),
    path(
        "exports/<int:pk>/download/", exports.ExportDownloadView.as_view(), name="export-download"
    ),
    path("customers/", lists.CustomerListView.as_view(), name="customers-list"),
    path("subscriptions/", lists.SubscriptionListView.as_view(), name="subscriptions-list"),
    path("invoices/", lists.InvoiceListView.as_view(), name="invoices-list"),
    path("payments/", lists.PaymentListView.as_view(), name="payments-list"),
    path("statement-lines/", lists.StatementLineListView.as_view(), name="statement-lines-list"),
    path("transfers/", lists.TransferListView.as_view(), name="transfers-list"),
    path("jobs/", lists.JobListView.as_view(), name="jobs-list"),
    path("job-runs/", job_runs.JobRunListView.as_view(), name="job-runs-list"),
    path("customers/<int:pk>/", customer.CustomerView.as_view(), name="customer"),
    path(
        "customers/<int:pk>/portal-invite/",
        portal_access.PortalInviteView.as_view(),
        name="customer-portal-invite",
    ),
    path("plan-changes/", plan_changes.PlanChangeListView.as_view(), name="plan-changes"),
    path("plan-changes/<int:pk>/", plan_changes.PlanChangeView.as_view(), name="plan-change"),
    path(
        "plan-changes/<int:pk>/approve/",
        plan_changes.PlanChangeApproveView.as_view(),
        name="plan-change-approve",
    ),
    path(
        "plan-changes/<int:pk>/reject/",
        plan_changes.PlanChangeRejectView.as_view(),
        name="plan-change-reject",
    ),
    path("helpdesk/", helpdesk.QueueView.as_view(), name="helpdesk"),
    path("outages/", outages.OutageListView.as_view(), name="outages"),
    path("outages/new/", outages.DeclareView.as_view(), name="outage-new"),
    path("outages/<int:pk>/", outages.OutageView.as_view(), name="outage"),
    path(
        "outages/<int:pk>/<slug:action>/",
        outages.OutageActionView.as_view(),
        name="outage-action",
    ),
    path("helpdesk/mine/", helpdesk.MyTicketsView.as_view(), name="helpdesk-mine"),
    path("helpdesk/new/", helpdesk.NewTicketView.as_view(), name="helpdesk-new"),
    path("helpdesk/tickets/<int:pk>/", helpdesk.TicketView.as_view(), name="ticket"),
    path(
        "helpdesk/tickets/<int:pk>/<slug:action>/",
        helpdesk.TicketActionView.as_view(),
        name="ticket-action",
    ),
    path(
        "helpdesk/attachments/<int:pk>/",
        helpdesk.AttachmentView.as_view(),
        name="ticket-attachment",
    ),
    path("customers/<int:pk>/notes/", customer.CustomerNotesView.as_view(), name="customer-notes"),
    path(
        "customers/<int:pk>/<slug:action>/",
        customer.CustomerActionView.as_view(),
        name="customer-action",
    ),
    path("leads/", sales_lists.LeadListView.as_view(), name="leads-list"),
    path("leads/<int:pk>/", sales.LeadView.as_view(), name="lead"),
    path("leads/<int:pk>/coverage/", sales.LeadCoverageView.as_view(), name="lead-coverage"),
    path("survey-photos/<int:pk>/", sales.SurveyPhotoView.as_view(), name="survey-photo"),
    path("quotes/", quotes.QuoteListView.as_view(), name="quotes-list"),
    path("quotes/new/", quotes.QuoteFormView.as_view(), name="quote-new"),
    path("quotes/<int:pk>/", quotes.QuoteView.as_view(), name="quote"),
    path("quotes/<int:pk>/edit/", quotes.QuoteFormView.as_view(), name="quote-edit"),
    path("quotes/<int:pk>/pdf/", quotes.QuotePdfView.as_view(), name="quote-pdf"),
    path("quotes/<int:pk>/<slug:action>/", quotes.QuoteActionView.as_view(), name="quote-action"),
    path("orders/", sales.OrdersView.as_view(), name="orders"),
    path("orders/all/", sales_lists.OrderListView.as_view(), name="service-orders-list"),
    path("orders/<int:pk>/", sales.OrderView.as_view(), name="order"),
    path("orders/<int:pk>/<slug:action>/", sales.OrderActionView.as_view(), name="order-action"),
    path("invoices/<int:pk>/pdf/", customer.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "credit-notes/<int:pk>/pdf/", customer.CreditNotePdfView.as_view(), name="credit-note-pdf"
    ),
    path(
        "reports/payment-success/",
        reports_money.PaymentSuccessReportView.as_view(),
        name="reports-payment-success",
    ),
    path(
        "reports/dunning-effectiveness/",
        reports_money.DunningReportView.as_view(),
        name="reports-dunning-effectiveness",
    ),
    path(
        "reports/revenue-by-service/",
        reports_money.RevenueReportView.as_view(),
        name="reports-revenue-by-service",
    ),
    path(
        "reports/payment-methods/",
        reports_money.PaymentMethodsReportView.as_view(),
        name="reports-payment-methods",
    ),
    path(
        "reports/credit-notes-refunds/",
        reports_money.CreditsReportView.as_view(),
        name="reports-credit-notes-refunds",
    ),
]
