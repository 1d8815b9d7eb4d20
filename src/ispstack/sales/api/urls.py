"""Routes of the sales API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.sales.api import views

routes: list[Route] = [("quotes", views.QuoteViewSet, "quote")]
