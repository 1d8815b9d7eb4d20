"""Routes of the catalog API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.catalog.api import views
from ispstack.core.api.routers import Route

routes: list[Route] = [
    ("tax-rates", views.TaxRateViewSet, "taxrate"),
    ("plans", views.PlanViewSet, "plan"),
    ("addons", views.AddOnViewSet, "addon"),
    ("promotions", views.PromotionViewSet, "promotion"),
    ("bundles", views.BundleViewSet, "bundle"),
]
