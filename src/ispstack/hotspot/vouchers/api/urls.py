"""Routes of the vouchers API, assembled under ``/api/v1/`` by ``ispstack.api.urls``."""

from ispstack.core.api.routers import Route
from ispstack.hotspot.vouchers.api import views

routes: list[Route] = [
    ("voucher-plans", views.VoucherPlanViewSet, "voucherplan"),
    ("voucher-agents", views.VoucherAgentViewSet, "voucheragent"),
    ("voucher-batches", views.VoucherBatchViewSet, "voucherbatch"),
    ("vouchers", views.VoucherViewSet, "voucher"),
]
