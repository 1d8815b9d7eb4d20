"""Routes of the network API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.network.api import views

routes: list[Route] = [
    ("nas", views.NasViewSet, "nas"),
    ("ip-pools", views.IPPoolViewSet, "ippool"),
    ("prefix-pools", views.PrefixPoolViewSet, "prefixpool"),
    ("sites", views.SiteViewSet, "site"),
    ("sectors", views.SectorViewSet, "sector"),
    ("devices", views.DeviceViewSet, "device"),
    ("pon-ports", views.PonPortViewSet, "ponport"),
    ("onus", views.OnuViewSet, "onu"),
    ("vlans", views.VlanViewSet, "vlan"),
    ("plan-vlans", views.PlanVlanViewSet, "planvlan"),
]
