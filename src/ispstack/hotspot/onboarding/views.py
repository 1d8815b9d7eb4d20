"""``POST /hotspot/mac-onboarding/``: a router's DHCP lease script reports a
lease (``onboarding.signing`` for the authentication).

The body is form-encoded (what RouterOS's ``/tool fetch http-data`` sends)
or JSON, with ``mac``, ``ip``, ``hostname`` and ``identity``. Answers: 200
with the profile, 401 for a wrong key, signature or stale timestamp, 400
naming the field for bad input (nothing written), 429 beyond the
``hotspot_onboarding`` rate of ``API_THROTTLE_RATES`` per router, 405 for
another method. No cookies, no CSRF token: the signature is the proof.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ispstack.core.api.bearer import SettingsRateThrottle
from ispstack.core.errors import ServiceError
from ispstack.hotspot.onboarding import services
from ispstack.hotspot.onboarding.signing import Unauthorized, authenticate

MAX_BODY = 4096


class RouterRateThrottle(SettingsRateThrottle):
    """Reports per router key (the ``hotspot_onboarding`` rate)."""

    scope = "hotspot_onboarding"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": view}


def _fields(request: HttpRequest, body: bytes) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ServiceError("the body is not JSON", field="body") from None
        if not isinstance(data, dict):
            raise ServiceError("the body must be a JSON object", field="body")
        return data
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise ServiceError("the body is not form-encoded text", field="body") from None
    return {name: values[-1] for name, values in parsed.items()}


@csrf_exempt
@never_cache
@require_POST
def mac_onboarding(request: HttpRequest) -> JsonResponse:
    """Record one lease reported by a router (see the module docstring)."""
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return JsonResponse({"code": "invalid", "field": "body", "detail": "too large"}, status=400)
    body = request.body
    try:
        router = authenticate(dict(request.headers), body)
    except Unauthorized:
        return JsonResponse(
            {
                "code": "not_authenticated",
                "field": None,
                "detail": "unknown router or bad signature",
            },
            status=401,
        )
    throttle = RouterRateThrottle()
    if not throttle.allow_request(request, router.key_id):  # type: ignore[arg-type]
        response = JsonResponse(
            {"code": "throttled", "field": None, "detail": "too many reports"}, status=429
        )
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return response
    try:
        report = services.read_report(_fields(request, body))
        profile = services.record_lease(router=router, report=report)
    except ServiceError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    return JsonResponse(
        {
            "mac_address": profile.mac_address,
            "ip": profile.last_ip,
            "mac_auth": profile.mac_auth,
            "first_seen": profile.first_seen.isoformat(),
            "last_seen": profile.last_seen.isoformat(),
        }
    )
