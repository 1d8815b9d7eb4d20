"""The URL map of a tenant's portal host (``portal.middleware``): the
portal's dashboard at ``/`` and its sign-in at ``/login/``, then the site's
own map (``/my/<slug>/...`` and the rest) unchanged."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import include, path

from ispstack.portal.views import auth, pages


def _for_host_tenant(view: Any) -> Any:
    """``view`` with the host's tenant as its ``tenant`` slug."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        slug = request.portal_host_tenant.slug  # type: ignore[attr-defined]
        response: HttpResponseBase = view(request, *args, tenant=slug, **kwargs)
        return response

    return wrapped


urlpatterns = [
    path("", _for_host_tenant(pages.DashboardView.as_view()), name="portal-host-home"),
    path("login/", _for_host_tenant(auth.LoginView.as_view()), name="portal-host-login"),
    path("", include(settings.ROOT_URLCONF)),
]
