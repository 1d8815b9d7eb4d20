"""Routes of the plan change requests' staff API, assembled under
``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.portal.plan_changes.api import views

routes: list[Route] = [
    ("plan-change-requests", views.PlanChangeRequestViewSet, "planchangerequest"),
]
