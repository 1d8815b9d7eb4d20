"""Portal host names: a request to a tenant's own host (``my.example-isp.net``)
opens that tenant's portal at ``/`` and ``/login/``, without the slug."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port

from ispstack.portal import selectors

#: The URL map of a tenant's portal host (the site's own map behind it).
HOST_URLCONF = "ispstack.portal.host_urls"


#: The paths a portal host answers differently from the site: its home page,
#: its sign-in (typed without its slash too: ``APPEND_SLASH`` redirects it
#: through the host's map) and the portal's own URLs (another tenant's slug: 404).
_HOST_PATHS = ("/", "/login/", "/login")


def _portal_path(path: str) -> bool:
    return path in _HOST_PATHS or path.startswith("/my/")


class PortalHostMiddleware:
    """Route a request whose host is a ``PortalHost`` to the tenant's portal.

    The host is ``request.get_host()``, so Django's ``ALLOWED_HOSTS`` check
    comes first: a host missing from it is answered 400 by Django and never
    looked up. For a tenant's host, ``request.portal_host_tenant`` is the
    tenant and the URL map is ``HOST_URLCONF`` (``/`` the dashboard,
    ``/login/`` the sign-in, then every URL of the site, the slug URLs
    included). A portal URL of another tenant's slug on that host answers
    404: one tenant's host never shows another tenant's portal. Any other
    host gets the normal site. Place it before ``CommonMiddleware`` (which
    reads the URL map for ``APPEND_SLASH``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _portal_path(request.path_info):
            # The staff console, the API, the admin, static files and health
            # checks read the same on every host: no host lookup (and no
            # database or cache access) for them.
            return self.get_response(request)
        host, _port = split_domain_port(request.get_host())
        tenant = selectors.tenant_for_host(host) if host else None
        if tenant is not None:
            request.portal_host_tenant = tenant  # type: ignore[attr-defined]
            request.urlconf = HOST_URLCONF
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        """404 for a portal page of another tenant's slug on a tenant's host."""
        tenant = getattr(request, "portal_host_tenant", None)
        match = request.resolver_match
        if tenant is None or match is None or "portal" not in match.namespaces:
            return None
        slug = kwargs.get("tenant")
        if slug is not None and slug != tenant.slug:
            raise Http404("no such portal on this host")
        return None
