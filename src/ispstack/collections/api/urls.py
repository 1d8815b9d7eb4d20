"""Routes of the collections API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.collections.api import views
from ispstack.core.api.routers import Route

routes: list[Route] = [
    ("dunning-campaigns", views.DunningCampaignViewSet, "dunningcampaign"),
    ("dunning-executions", views.DunningExecutionViewSet, "dunningexecution"),
]
