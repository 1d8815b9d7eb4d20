"""Operations endpoints at the site's root, outside the versioned API."""

from django.urls import path

from ispstack.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]
