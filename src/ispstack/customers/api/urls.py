"""Routes of the customers API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.customers.api import views

routes: list[Route] = [
    ("customers", views.CustomerViewSet, "customer"),
]
