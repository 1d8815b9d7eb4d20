"""URL map: the staff console under /staff/ (what / opens), the customer
portal under /my/<tenant slug>/, platform and tenant configuration under
/admin/, the REST API under /api/, the public quote links under /quote/,
the captive portal and the routers' lease reports under /hotspot/,
the health check and metrics at /healthz and /metrics."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from ispstack.sales.views import PublicQuoteView

urlpatterns = [
    path("", RedirectView.as_view(url="/staff/", permanent=False)),
    path("staff/", include("ispstack.console.urls")),
    path("my/", include("ispstack.portal.urls")),
    path("admin/", admin.site.urls),
    path("quote/<str:token>/", PublicQuoteView.as_view(), name="sales-quote-public"),
    path("hotspot/", include("ispstack.hotspot.captive.urls")),
    path("api/", include("ispstack.api.urls")),
    path("", include("ispstack.ops.urls")),
]
