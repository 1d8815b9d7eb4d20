"""Routes of the reports API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.reports.api import views

routes: list[Route] = [
    ("reports", views.ReportViewSet, "report"),
    ("report-schedules", views.ReportScheduleViewSet, "report-schedule"),
]
