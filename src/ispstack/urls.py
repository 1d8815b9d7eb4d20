"""URL map: the back office under /admin/, the REST API under /api/, the
health check and metrics at /healthz and /metrics."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("ispstack.api.urls")),
    path("", include("ispstack.ops.urls")),
]
