"""The HTTP side of webhooks: the SSRF guard, the Standard Webhooks
signature and one POST.

Signature (Standard Webhooks, https://www.standardwebhooks.com/, "Signature
scheme"): ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``{webhook-id}.{webhook-timestamp}.{body}`` with the secret after its
``whsec_`` prefix, base64-decoded, as the key; the timestamp is Unix seconds.

SSRF guard: a tenant chooses the URL and ispstack calls it from inside the
ISP's network, so only http(s) is allowed and every address the host
resolves to must be public (not private, loopback, link-local, multicast,
reserved or unspecified: RFC 1918, RFC 4193, RFC 6890), unless it lies in
``settings.WEBHOOK_ALLOWED_NETWORKS`` (empty by default; the tests allow
127.0.0.1/32). The host is resolved again right before each POST, and
redirects are not followed, so a DNS change or a 302 cannot lead inside.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ispstack.core.errors import InvalidInput


def check_url(url: str, field: str = "url") -> None:
    """Refuse ``url`` unless it is http(s) to a host whose every address is
    public or allowed (see the module). Raises InvalidInput naming ``field``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("must be an http:// or https:// URL", field=field)
    if not parts.hostname:
        raise InvalidInput("must name a host", field=field)
    if parts.username or parts.password:
        raise InvalidInput("must not carry a user name or password", field=field)
    try:
        port = parts.port
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (ValueError, OSError, UnicodeError):
        raise InvalidInput(f"the host '{parts.hostname}' does not resolve", field=field) from None
    allowed = [ipaddress.ip_network(n) for n in settings.WEBHOOK_ALLOWED_NETWORKS]
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if any(address in network for network in allowed):
            continue
        if not address.is_global or address.is_multicast:
            raise InvalidInput(
                f"the host resolves to {address}, a private or reserved address", field=field
            )


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body`` (see the module)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class Answer:
    """What the endpoint answered: the HTTP status (None without an answer)
    and, when it failed, why."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer: delivered."""
        return self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` (JSON bytes) to ``url`` after ``check_url``; a refused
    URL, a timeout (``settings.WEBHOOK_TIMEOUT_SECONDS``) or a non-2xx answer
    is an Answer that is not ok, never an exception."""
    try:
        check_url(url)
    except InvalidInput as exc:
        return Answer(None, f"refused: {exc.message}")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "ispstack-webhooks", **headers},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, f"answered {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, f"{type(reason).__name__}: {reason}"[:2000])
    return Answer(status, "" if 200 <= status < 300 else f"answered {status}")
