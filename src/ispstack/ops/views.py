"""``/healthz`` for load balancers and orchestrators, ``/metrics`` for Prometheus."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from ispstack.ops import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, 503 otherwise; the body lists each check
    (``ops.health``). No authentication: it holds no secret and no business data."""
    healthy, body = health.report()
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format for a scraper that shows ``METRICS_BEARER_TOKEN``
    (``Authorization: Bearer ...``) or connects directly from one of
    ``METRICS_ALLOWED_IPS``; 403 in the error shape otherwise."""
    if not _may_scrape(request):
        return JsonResponse(
            {
                "code": "permission_denied",
                "field": None,
                "detail": "metrics need the bearer token or an allowed address",
            },
            status=403,
        )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
        return True
    if "X-Forwarded-For" in request.headers:
        # Came through the reverse proxy: REMOTE_ADDR is the proxy's, not the client's.
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)
