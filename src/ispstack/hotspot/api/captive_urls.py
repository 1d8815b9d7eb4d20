"""Routes of the captive portal's and MAC onboarding's API, assembled under
``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.hotspot.api import captive_views as views

routes: list[Route] = [
    ("hotspot/captive-users", views.CaptiveUserViewSet, "captiveuser"),
    ("hotspot/walled-garden", views.WalledGardenViewSet, "walledgardenentry"),
    ("hotspot/mac-profiles", views.MacProfileViewSet, "macprofile"),
    ("hotspot/router-secrets", views.RouterSecretViewSet, "routersecret"),
    ("hotspot/sessions", views.HotspotSessionViewSet, "hotspotsession"),
]
