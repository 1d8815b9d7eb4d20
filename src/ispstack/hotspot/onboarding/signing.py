"""Authentication of a router's lease-script report.

The router names itself by its public key id (header ``X-Ispstack-Key``) and
sends the time of the report as Unix seconds (``X-Ispstack-Timestamp``).
It proves it holds the router's secret in one of two ways:

- ``X-Ispstack-Signature: sha256=<hex>``, the HMAC-SHA256 (RFC 2104) of
  ``<timestamp>.<raw body>`` keyed with the secret: the secret never travels;
  for anything that can compute HMAC (a script host, a container);
- ``X-Ispstack-Token: <secret>``, only where the router's secret row allows
  it (``allow_token``): RouterOS's scripting language has no HMAC or SHA-256
  function, so a lease script alone cannot sign; the secret then travels
  inside HTTPS, which the router must verify (``check-certificate=yes``).

Either way the timestamp must lie within ``REPLAY_WINDOW`` (300 s) of the
server's clock, so a captured report cannot be replayed later, and values
are compared in constant time. Every failure is the same ``Unauthorized``,
so a caller learns nothing about which part was wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from ispstack.core import clock
from ispstack.hotspot.models import RouterSecret

REPLAY_WINDOW = dt.timedelta(seconds=300)
KEY_HEADER = "X-Ispstack-Key"
TIMESTAMP_HEADER = "X-Ispstack-Timestamp"
SIGNATURE_HEADER = "X-Ispstack-Signature"
TOKEN_HEADER = "X-Ispstack-Token"


class Unauthorized(Exception):
    """The report is not from a known router, or is stale or forged."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Ispstack-Signature`` value: ``sha256=`` and the hex HMAC-SHA256
    of ``<timestamp>.<body>`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def authenticate(headers: dict[str, str], body: bytes) -> RouterSecret:
    """The router's secret row whose key signed ``body``; raises Unauthorized.

    ``headers`` maps header names (any case) to values."""
    lower = {name.lower(): value for name, value in headers.items()}
    key_id = lower.get(KEY_HEADER.lower(), "")
    stamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    if not key_id or len(key_id) > 32 or not stamp.isdigit() or len(stamp) > 12:
        raise Unauthorized
    sent = dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
    if abs(clock.now() - sent) > REPLAY_WINDOW:
        raise Unauthorized
    row = RouterSecret.objects.select_related("nas", "tenant").filter(key_id=key_id).first()
    if row is None:
        raise Unauthorized
    given = lower.get(SIGNATURE_HEADER.lower(), "")
    if given:
        if hmac.compare_digest(given.encode(), signature(row.secret, stamp, body).encode()):
            return row
        raise Unauthorized
    token = lower.get(TOKEN_HEADER.lower(), "")
    if row.allow_token and token and hmac.compare_digest(token.encode(), row.secret.encode()):
        return row
    raise Unauthorized
