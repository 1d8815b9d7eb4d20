"""What an API token may reach: its scopes against a route's app and method.

A scope is one of:

- ``*``: everything the token's user may do (the user's role still applies);
- ``*:read``: every read (GET, HEAD, OPTIONS), no write;
- ``<app>:read``: the reads of one app's routes;
- ``<app>:write``: reads and writes of one app's routes.

An app's routes are those its ``api/urls.py`` registers, so the app is the
one whose view serves the request: ``/api/v1/customers/{id}/statement/`` is
served by payments and needs a ``payments`` scope. The token endpoints
themselves (``ispstack.api``) belong to no app: only ``*`` and ``*:read``
reach them. Scopes narrow what a token can do, they never widen the user's
permissions (the same shape as GitHub's fine-grained tokens).
"""

from __future__ import annotations

from typing import Any

from ispstack.core.errors import InvalidInput

# The apps that serve routes under /api/v1/ (see ispstack.api.urls).
APPS = (
    "customers",
    "catalog",
    "subscriptions",
    "billing",
    "radius",
    "usage",
    "payments",
    "collections",
    # The back office's plan change requests (customers ask in the portal).
    "portal",
)
# RFC 9110 section 9.2.1: the safe methods only read.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A handful of scopes covers any sensible token; a bound keeps the column small.
MAX_SCOPES = 20
ALL = "*"
READ_ALL = "*:read"


def valid_scopes() -> list[str]:
    """Every scope a token may hold, in the order the documentation lists them."""
    return [ALL, READ_ALL] + [f"{app}:{access}" for app in APPS for access in ("read", "write")]


def clean_scopes(value: Any, field: str = "scopes") -> list[str]:
    """``value`` as a sorted list of distinct valid scopes.

    Raises InvalidInput (naming ``field``, or ``field[i]`` for one item) for a
    value that is not a non-empty list of known scope strings.
    """
    if not isinstance(value, list | tuple):
        raise InvalidInput(
            'must be a list of scopes such as ["*"] or ["billing:read"]', field=field
        )
    if not value:
        raise InvalidInput("needs at least one scope", field=field)
    if len(value) > MAX_SCOPES:
        raise InvalidInput(f"has at most {MAX_SCOPES} scopes", field=field)
    known = set(valid_scopes())
    for index, scope in enumerate(value):
        if not isinstance(scope, str) or scope not in known:
            raise InvalidInput(
                f"must be one of {', '.join(valid_scopes())}", field=f"{field}[{index}]"
            )
    return sorted(set(value))


def route_app(view: Any) -> str:
    """The app whose view serves a request: ``ispstack.billing.api.views`` -> ``billing``."""
    parts = type(view).__module__.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "ispstack" else ""


def allows(scopes: list[str], *, app: str, method: str) -> bool:
    """True when ``scopes`` let a request with HTTP ``method`` reach a route of ``app``."""
    read = method.upper() in READ_METHODS
    if ALL in scopes or (read and READ_ALL in scopes):
        return True
    if app not in APPS:
        return False
    return f"{app}:write" in scopes or (read and f"{app}:read" in scopes)
