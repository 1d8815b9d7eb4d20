"""Routes of the field-service API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.tickets.api import field_views as views

routes: list[Route] = [
    ("technicians", views.TechnicianViewSet, "technician"),
    ("appointments", views.AppointmentViewSet, "appointment"),
]
