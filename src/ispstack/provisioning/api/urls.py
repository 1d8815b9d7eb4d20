"""Routes of the provisioning API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.provisioning.api import views

routes: list[Route] = [
    ("leads", views.LeadViewSet, "lead"),
    ("surveys", views.SurveyViewSet, "sitesurvey"),
    ("service-orders", views.ServiceOrderViewSet, "serviceorder"),
]
