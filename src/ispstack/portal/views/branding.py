"""The tenant's brand assets, public like the sign-in page that shows them:
the colours as a stylesheet (the CSP allows no inline style or script) and
the logo (MEDIA is not served; the portal answers the checked file itself)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View

from ispstack.core.models import Tenant
from ispstack.portal import branding, selectors

#: A versioned URL (``?v=``) changes with the branding, so it may be kept a day.
CACHE_CONTROL = "public, max-age=86400"
# The logo is an image, never a document: nothing in it may run, load or frame.
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class BrandCssView(View):
    """``/my/<tenant>/brand.css``: the tenant's colours as CSS custom properties
    (``--brand``, ``--accent``) over the portal's stylesheet. The values are
    validated hex colours (``portal.branding.check_colour``), so nothing but
    a colour reaches the stylesheet."""

    def get(self, request: HttpRequest, tenant: str) -> HttpResponse:
        row = selectors.branding_for(get_object_or_404(Tenant, slug=tenant))
        rules = []
        if row.primary_color:
            rules.append(f"--brand: {branding.normalise_colour(row.primary_color)};")
        accent = row.accent_color or row.primary_color
        if accent:
            rules.append(f"--accent: {branding.normalise_colour(accent)};")
        response = HttpResponse(
            ":root { " + " ".join(rules) + " }\n", content_type="text/css; charset=utf-8"
        )
        response["Cache-Control"] = CACHE_CONTROL
        response["X-Content-Type-Options"] = "nosniff"
        return response


class LogoView(View):
    """``/my/<tenant>/logo``: the tenant's portal logo, 404 without one.

    The file's first bytes are checked again (a file swapped on disk for
    HTML is never answered) and decide the type; ``nosniff``, an attachment
    name and a CSP without sources (``sandbox``) keep a browser that opens
    an SVG directly from running anything in it."""

    def get(self, request: HttpRequest, tenant: str) -> FileResponse:
        row = selectors.branding_for(get_object_or_404(Tenant, slug=tenant))
        if not row.logo:
            raise Http404("this portal has no logo")
        try:
            handle = row.logo.open("rb")
        except FileNotFoundError:
            raise Http404("the logo's file is missing") from None
        head = handle.read(64)
        handle.seek(0)
        kind = branding.logo_kind(head)
        if kind is None:
            handle.close()
            raise Http404("the logo's file is not an image")
        response = FileResponse(handle, content_type=branding.CONTENT_TYPES[kind])
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = LOGO_CSP
        response["Content-Disposition"] = f'inline; filename="logo.{kind}"'
        response["Cache-Control"] = CACHE_CONTROL
        return response
