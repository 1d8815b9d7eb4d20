"""Routes of the sales API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.sales.api import contracts, views

routes: list[Route] = [
    ("quotes", views.QuoteViewSet, "quote"),
    ("contracts", contracts.ContractViewSet, "contract"),
]
