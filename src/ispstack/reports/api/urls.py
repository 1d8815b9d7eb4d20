"""Routes of the reports API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.reports.api import ops_views, views

routes: list[Route] = [("reports", views.ReportViewSet, "report")]
routes.append(("reports", ops_views.OperationsReportViewSet, "report"))
