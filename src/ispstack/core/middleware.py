"""Request middleware shared by every app: the request body size cap."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body exceeds ``MAX_REQUEST_BYTES``.

    The check reads ``Content-Length`` only, before Django parses (or spools to
    disk) a byte of the body, so an oversized upload costs nothing. The answer
    is the API's error object (``{"code": "too_large", "field": "body",
    "detail"}``; RFC 9110 section 15.5.14, 413 Content Too Large). A chunked
    body without a length is still bounded by Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and by the proxy's limit (docs/install.md).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return _refuse(400, "invalid", "the Content-Length header is not a number")
        if length > limit:
            return _refuse(413, "too_large", f"the body is larger than {limit} bytes")
        return self.get_response(request)


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "field": "body", "detail": detail}, status=status)
