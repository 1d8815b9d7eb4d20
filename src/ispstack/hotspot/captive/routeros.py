"""What a MikroTik hotspot passes to an external login page, checked.

RouterOS's ``login.html`` on the router redirects an unauthenticated client
to the page configured here, with its variables as query parameters:
``link-login-only`` (where to post the credentials), ``link-orig`` (the page
the client wanted), ``mac``, ``ip``, ``username``, ``error``, and for
``login-by=http-chap`` ``chap-id`` and ``chap-challenge`` (octal-escaped
bytes such as ``\\325``, as RouterOS prints them into its JavaScript). The
page posts ``username``, ``password`` and ``dst`` to ``link-login-only``;
with CHAP the password is the hex MD5 of chap-id + password + challenge
(RFC 1994 section 4.1; what RouterOS's ``md5.js`` computes), so the
cleartext password never reaches the router's network.

Every value is validated; a ``link-login-only`` that is not an http(s) URL
with a host (``javascript:``, ``data:``, credentials in the URL) is refused,
and a bad ``link-orig`` is dropped. Templates escape what they show.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from ispstack.core.errors import InvalidInput
from ispstack.hotspot.onboarding.mac import normalise_mac

MAX_URL = 2048
_OCTAL = re.compile(r"\\([0-7]{3})")
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


@dataclass(frozen=True)
class LoginParams:
    """The router's parameters after checking (empty strings when absent);
    ``chap_id`` / ``chap_challenge`` as RouterOS sent them (still escaped)."""

    link_login_only: str
    link_orig: str = ""
    mac: str = ""
    ip: str = ""
    username: str = ""
    error: str = ""
    chap_id: str = ""
    chap_challenge: str = ""

    def as_dict(self) -> dict[str, str]:
        """The parameters for the session (plain strings)."""
        return asdict(self)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of ``link_login_only`` (for the CSP's form-action)."""
        parts = urlsplit(self.link_login_only)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def chap(self) -> bool:
        """Whether the router asked for CHAP."""
        return bool(self.chap_id and self.chap_challenge)


def http_url(value: str, field: str) -> str:
    """``value`` when it is an absolute http(s) URL with a host and without
    credentials or control characters; raises InvalidInput (``field``)."""
    value = (value or "").strip()
    if not value or len(value) > MAX_URL or not _PRINTABLE.match(value):
        raise InvalidInput("must be an http or https address", field=field)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput("must be an http or https address", field=field)
    if parts.username or parts.password or "\\" in value:
        raise InvalidInput("must be an http or https address", field=field)
    return value


def unescape_octal(value: str, field: str) -> bytes:
    """RouterOS's ``\\ooo``-escaped string as bytes (other characters as
    themselves); raises InvalidInput (``field``) for non-printable text."""
    if len(value) > 400 or not _PRINTABLE.match(value):
        raise InvalidInput("not a CHAP value from RouterOS", field=field)
    out = bytearray()
    pos = 0
    for match in _OCTAL.finditer(value):
        out += value[pos : match.start()].encode("latin-1")
        number = int(match.group(1), 8)
        if number > 255:
            raise InvalidInput("not a CHAP value from RouterOS", field=field)
        out.append(number)
        pos = match.end()
    out += value[pos:].encode("latin-1")
    return bytes(out)


def _short(value: Any, limit: int) -> str:
    text = str(value or "").strip()
    return text[:limit] if _PRINTABLE.match(text) else ""


def read_params(query: Any) -> LoginParams:
    """Check the router's parameters (a mapping such as ``request.GET``).
    Raises InvalidInput (field ``link-login-only``) when the address to post
    to is missing or not http(s), or a CHAP value is malformed."""
    link = http_url(query.get("link-login-only", ""), "link-login-only")
    try:
        orig = http_url(query.get("link-orig", ""), "link-orig")
    except InvalidInput:
        orig = ""
    try:
        mac = normalise_mac(query.get("mac", "")) if query.get("mac") else ""
    except InvalidInput:
        mac = ""
    try:
        ip = str(ipaddress.ip_address(str(query.get("ip", "")).strip())) if query.get("ip") else ""
    except ValueError:
        ip = ""
    chap_id, challenge = _short(query.get("chap-id"), 40), _short(query.get("chap-challenge"), 400)
    if chap_id or challenge:
        if len(unescape_octal(chap_id, "chap-id")) != 1:
            raise InvalidInput("not a CHAP identifier from RouterOS", field="chap-id")
        if not unescape_octal(challenge, "chap-challenge"):
            raise InvalidInput("not a CHAP challenge from RouterOS", field="chap-challenge")
    return LoginParams(
        link_login_only=link,
        link_orig=orig,
        mac=mac,
        ip=ip,
        username=_short(query.get("username"), 64),
        error=_short(query.get("error"), 200),
        chap_id=chap_id,
        chap_challenge=challenge,
    )


def from_session(data: Any) -> LoginParams | None:
    """The parameters kept in the session, checked again (None when absent or bad)."""
    if not isinstance(data, dict):
        return None
    query = {key.replace("_", "-"): value for key, value in data.items()}
    try:
        return read_params(query)
    except InvalidInput:
        return None


def router_form(params: LoginParams, username: str, password: str) -> dict[str, str]:
    """The fields to post to ``link-login-only``: ``username``, ``password``
    (the CHAP response in hex when the router sent a challenge) and ``dst``."""
    if params.chap:
        ident = unescape_octal(params.chap_id, "chap-id")
        challenge = unescape_octal(params.chap_challenge, "chap-challenge")
        password = hashlib.md5(
            ident + password.encode() + challenge, usedforsecurity=False
        ).hexdigest()
    return {"username": username, "password": password, "dst": params.link_orig}
