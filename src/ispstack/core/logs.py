"""The request id of log lines: set per request by ``RequestIdMiddleware``,
added to every record by ``RequestIdFilter``.

The id is the client's or the proxy's ``X-Request-ID`` when it is a sane
token (nginx's ``$request_id``, a load balancer's trace id), else a new
random one; the response carries it back in ``X-Request-ID``, so a user's
error report and the log lines of that request meet. Outside a request
(commands, Celery tasks) the id is ``-``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
NO_REQUEST = "-"

# A token safe to copy into a log line and a header: no spaces, quotes or
# control characters a client could use to forge log entries.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request being served by this thread or task, or ``-``."""
    return _request_id.get()


class RequestIdMiddleware:
    """Give each request an id (see the module docstring) for its log lines."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex
        # Not reset on the way out: Django's own "Not Found" / "Internal
        # Server Error" line is written after the middleware returns and must
        # carry the id too. The next request of this thread replaces it.
        _request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record passing the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
