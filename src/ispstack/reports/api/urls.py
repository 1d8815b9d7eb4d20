"""Routes of the reports API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.reports.api import money_views, ops_views, views

routes: list[Route] = [
    ("reports", views.ReportViewSet, "report"),
    ("reports", money_views.MoneyReportViewSet, "report"),
    ("reports", ops_views.OperationsReportViewSet, "report"),
    ("report-schedules", views.ReportScheduleViewSet, "report-schedule"),
]
