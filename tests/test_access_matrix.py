"""Who may call what: every route and method of the OpenAPI schema, as every
role of ``core.roles`` on its own tenant's rows and on another tenant's, as an
anonymous client and as the platform operator (a superuser without a tenant).

The expected outcome comes from one table: the permissions each action
declares (``TenantViewSet.required_perms``) against the permissions each role
holds (``core.roles.role_permissions``):

- anonymous: 401;
- a role holding every permission the action names: neither 401 nor 403, nor
  the 404 of an object it cannot see (a service's 404 names a field); on
  another tenant's object 404, and a list holds only its own tenant's rows;
- a role missing one of them: 403, on its own tenant's object and on another's;
- the platform operator: reads everything, writes nothing (403);
- never a 500.

Each request runs in a savepoint that is rolled back, so one world of two
tenants serves every request and every request sees the same rows.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ispstack.api.tokens import create_token
from ispstack.core.api.base import TenantViewSet
from ispstack.core.roles import ROLES, role_permissions
from ispstack.portal.api.authentication import PortalTokenAuthentication
from tests.api_world import World

pytestmark = pytest.mark.django_db

# Routes whose caller proves who it is by other means (a password, a signature).
ANONYMOUS = {"/api/v1/auth/token/", "/api/v1/portal/auth/token/", "/api/v1/webhooks/stripe/"}
# The customer portal's API opens for portal tokens only (tests/test_portal_api.py):
# every staff role and the platform operator get the anonymous client's 401.
PORTAL = "/api/v1/portal/"
# A user's own API tokens, whatever the role (tests/test_api_tokens.py).
OWN_ROWS = {"/api/v1/auth/tokens/", "/api/v1/auth/tokens/{prefix}/"}
# A technician acts on their own visits only (tests/test_field_service.py):
# the matrix's technician has none, so a visit's action is a 403.
OWN_VISITS = {
    "/api/v1/appointments/{id}/transition/",
    "/api/v1/appointments/{id}/reschedule/",
    "/api/v1/appointments/{id}/complete/",
}
# Bodies the service refuses before calling the card gateway (none runs here).
NO_GATEWAY = {"/api/v1/payments/{id}/refund-to-card/": {"amount": "999.00"}}


def schema_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation of the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


OPERATIONS = schema_operations()


def view_action(url: str, method: str) -> tuple[type[Any], str]:
    """The viewset class serving ``method`` on ``url`` and the action's name."""
    func = resolve(url).func
    return func.cls, func.actions[method]  # type: ignore[attr-defined]


def all_permissions() -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def api_views(resolver: Any = None) -> list[Any]:
    """Every view class under ``/api/v1/`` (viewsets and plain views)."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found.extend(api_views(entry))
        elif isinstance(entry, URLPattern):
            cls = getattr(entry.callback, "cls", None)
            if cls is not None and cls.__module__.startswith("ispstack."):
                found.append(cls)
    return found


def test_every_api_action_declares_permissions_that_exist():
    known = all_permissions()
    checked = 0
    for cls in api_views():
        if cls.__module__.startswith("ispstack.portal.api."):
            # The portal's API: its own token login, or portal tokens only.
            assert cls.authentication_classes in ([], [PortalTokenAuthentication]), cls
            continue
        if not issubclass(cls, TenantViewSet):
            # Only the login, a user's own tokens, the signed webhook and the API
            # root are not tenant viewsets; each says who may call it.
            assert cls.__name__ in {
                "TokenView",
                "ApiTokenViewSet",
                "StripeWebhookView",
                "RootView",
            }, cls
            continue
        assert cls.required_perms, cls
        for action, perms in cls.required_perms.items():
            assert set(perms) <= known, (cls.__name__, action, set(perms) - known)
            checked += 1
    assert checked > 80


def test_an_undeclared_action_is_refused_when_the_class_is_made():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import mixins
    from rest_framework.decorators import action

    with pytest.raises(ImproperlyConfigured, match="undeclared \\['list', 'ping'\\]"):

        class Careless(mixins.ListModelMixin, TenantViewSet):
            @action(detail=True, methods=["post"])
            def ping(self, request: Any, pk: Any = None) -> None:
                """Never routed."""

    with pytest.raises(ImproperlyConfigured, match="not served \\['create'\\]"):

        class Stale(mixins.ListModelMixin, TenantViewSet):
            required_perms = {"list": ("customers.view_customer",), "create": ("x.y",)}


def test_role_table_grants_what_the_business_expects():
    known = all_permissions()
    billing, noc, support = (role_permissions(r, known) for r in ("billing", "noc", "support"))
    assert {"billing.add_charge", "subscriptions.change_billing_day"} <= billing
    assert not {
        "radius.view_radacct",
        "network.view_nas",
        "subscriptions.add_subscriptionaddon",
    } & (billing)
    assert not {"billing.add_charge", "billing.view_invoice"} & noc
    assert "subscriptions.change_billing_day" not in noc
    assert not {"network.reveal_secret", "subscriptions.reveal_password"} & (support | billing)
    assert {"network.reveal_secret", "subscriptions.reveal_password"} <= noc
    # The network inventory: noc runs it and may read device passwords; support
    # looks at it; billing has no part in it.
    assert {"network.add_onu", "network.change_device", "network.reveal_credentials"} <= noc
    assert {"network.view_site", "network.view_device", "network.view_onu"} <= support
    assert "network.reveal_credentials" not in support | billing
    assert not {"network.view_site", "network.view_device"} & billing
    # The sales team sells: leads, surveys, quotes and contracts; no money.
    sales = role_permissions("sales", known)
    assert {"provisioning.add_lead", "sales.add_quote", "sales.change_contract"} <= sales
    money_and_network = {
        "billing.view_invoice",
        "billing.add_creditnote",
        "payments.view_payment",
        "radius.view_radacct",
        "subscriptions.change_subscription",
    }
    assert not money_and_network & sales


def _send(client: APIClient, method: str, url: str, body: dict[str, Any]) -> Any:
    with transaction.atomic():
        if method in {"get", "delete"}:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, format="json")
        transaction.set_rollback(True)
    return response


def _client(user: Any = None) -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=user, name='tests')[1]}")
    return client


def _foreign_rows(model: Any, response: Any, tenant: Any) -> list[Any]:
    """Ids in a list response that belong to another tenant than ``tenant``."""
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
    return list(model.objects.filter(pk__in=ids).exclude(tenant=tenant).values_list("pk"))


def test_access_matrix(make_tenant, make_staff, make_plan, make_subscription, capsys):
    factories = {"plan": make_plan, "subscription": make_subscription}
    own = World(make_tenant(), _client(), factories, nas_address="192.0.2.10")
    other = World(make_tenant(), _client(), factories, nas_address="192.0.2.11")
    own.add_rows_behind_every_route()
    other.add_rows_behind_every_route()
    known = all_permissions()
    roles = {role: role_permissions(role, known) for role in ROLES}
    staff = {role: _client(make_staff(own.tenant, role)) for role in ROLES}
    platform = _client(make_staff(None, role="", is_superuser=True))
    anonymous = _client()

    counts = {"requests": 0, "leaks": 0, "violations": 0, "500s": 0}
    problems: list[str] = []

    outcomes: dict[str, int] = {}

    def check(who: str, method: str, url: str, response: Any, ok: bool, want: str) -> None:
        counts["requests"] += 1
        outcomes[want] = outcomes.get(want, 0) + 1
        if response.status_code >= 500:
            counts["500s"] += 1
        if not ok:
            counts["violations"] += 1
            problems.append(f"{who} {method.upper()} {url}: {response.status_code}, want {want}")

    def permitted(response: Any) -> bool:
        if response.status_code >= 500 or response.status_code in (401, 403):
            return False
        # get_object's 404 names no field; a service's NotFound names its input.
        return not (response.status_code == 404 and response.json().get("field") is None)

    for method, path in OPERATIONS:
        if path in ANONYMOUS | OWN_ROWS:
            continue
        if path.startswith(PORTAL):
            url = path.replace("{id}", "1").replace("{prefix}", "ispc_x")
            for who, client in {"anonymous": anonymous, "platform": platform, **staff}.items():
                response = _send(client, method, url, {})
                check(who, method, url, response, response.status_code == 401, "401")
            continue
        url, body = own.url(path), NO_GATEWAY.get(path, own.valid_body(method, path))
        cls, action = view_action(url, method)
        needed = set(cls.required_perms[action])

        response = _send(anonymous, method, url, body)
        check("anonymous", method, url, response, response.status_code == 401, "401")

        response = _send(platform, method, url, body)
        if method == "get":
            check("platform", method, url, response, permitted(response), "allowed")
        else:
            check("platform", method, url, response, response.status_code == 403, "403")

        for role, client in staff.items():
            allowed = needed <= roles[role]
            response = _send(client, method, url, body)
            if allowed and role == "technician" and path in OWN_VISITS:
                check(role, method, url, response, response.status_code == 403, "403")
            elif allowed:
                check(role, method, url, response, permitted(response), "allowed")
            else:
                check(role, method, url, response, response.status_code == 403, "403")
            if "{id}" in path:
                foreign = other.url(path)
                foreign_body = NO_GATEWAY.get(path, other.valid_body(method, path))
                response = _send(client, method, foreign, foreign_body)
                want = 404 if allowed else 403
                if allowed and response.status_code != 404:
                    counts["leaks"] += 1
                check(role, method, foreign, response, response.status_code == want, str(want))
            elif method == "get" and allowed and response.status_code == 200:
                leaked = _foreign_rows(cls.queryset.model, response, own.tenant)
                counts["leaks"] += bool(leaked)
                check(role, method, url, response, not leaked, "own tenant's rows only")

    with capsys.disabled():
        sys.stdout.write(f"\naccess matrix: {counts}, outcomes: {outcomes}\n")
    assert problems == [], "\n".join(problems)
    assert counts["requests"] > 800
    assert counts == {"requests": counts["requests"], "leaks": 0, "violations": 0, "500s": 0}
