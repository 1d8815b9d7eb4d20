"""Routes of the helpdesk API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.tickets.api import outage_views, views

routes: list[Route] = [
    ("tickets", views.TicketViewSet, "ticket"),
    ("teams", views.TeamViewSet, "team"),
    ("canned-responses", views.CannedResponseViewSet, "cannedresponse"),
    ("sla-policies", views.SlaPolicyViewSet, "slapolicy"),
    ("outages", outage_views.OutageViewSet, "outage"),
]
