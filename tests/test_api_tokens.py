"""API tokens: stored hashed, shown once, scoped, expiring, revocable, and the
legacy DRF keys carried over."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from ispstack.api.models import ApiToken
from ispstack.api.tokens import create_token
from ispstack.core import clock
from ispstack.core.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "pw-staff-123"


def _client(raw: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {raw}")
    return client


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "field", "detail"}
    assert body["code"] == code
    assert body["detail"]


def _stored_text() -> str:
    """Every column of every token row and audit row, as one string."""
    rows = list(ApiToken.objects.values()) + list(AuditLog.objects.values())
    return json.dumps(rows, default=str)


def test_the_token_is_shown_once_stored_hashed_and_works_as_token_or_bearer(
    tenant, make_staff, client
):
    user = make_staff(tenant)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "name": "monitoring"},
    )
    assert response.status_code == 200
    body = response.json()
    raw = body["token"]
    assert raw.startswith(body["prefix"] + "_")
    assert body["name"] == "monitoring"
    assert body["scopes"] == ["*"]
    assert raw not in _stored_text()
    listed = _client(raw).get("/api/v1/auth/tokens/")
    assert listed.status_code == 200
    assert [t["prefix"] for t in listed.json()["results"]] == [body["prefix"]]
    assert "token" not in listed.json()["results"][0]
    assert raw not in listed.content.decode()
    assert _client(raw, "Bearer").get("/api/v1/customers/").status_code == 200
    assert _client(raw, "Token").get("/api/v1/customers/").status_code == 200


def test_unknown_expired_revoked_and_inactive_tokens_answer_401(tenant, make_staff):
    user = make_staff(tenant)
    _token, raw = create_token(user=user, name="ci")
    _assert_error(_client(raw + "x").get("/api/v1/customers/"), 401, "authentication_failed")
    _assert_error(_client("a b").get("/api/v1/customers/"), 401, "authentication_failed")

    expiring, expiring_raw = create_token(
        user=user, name="short", expires=clock.now() + dt.timedelta(hours=1)
    )
    assert _client(expiring_raw).get("/api/v1/customers/").status_code == 200
    ApiToken.objects.filter(pk=expiring.pk).update(expires=clock.now() - dt.timedelta(seconds=1))
    response = _client(expiring_raw).get("/api/v1/customers/")
    _assert_error(response, 401, "authentication_failed")
    assert "expired" in response.json()["detail"]

    revoked = _client(raw).delete(f"/api/v1/auth/tokens/{_token.prefix}/")
    assert revoked.status_code == 204
    response = _client(raw).get("/api/v1/customers/")
    _assert_error(response, 401, "authentication_failed")
    assert "revoked" in response.json()["detail"]
    assert ApiToken.objects.get(pk=_token.pk).revoked is not None

    _other, other_raw = create_token(user=user, name="other")
    user.is_active = False
    user.save()
    _assert_error(_client(other_raw).get("/api/v1/customers/"), 401, "authentication_failed")


def test_a_user_sees_and_revokes_only_their_own_tokens(tenant, make_staff):
    mine, mine_raw = create_token(user=make_staff(tenant), name="mine")
    theirs, _raw = create_token(user=make_staff(tenant), name="theirs")
    client = _client(mine_raw)
    assert [t["prefix"] for t in client.get("/api/v1/auth/tokens/").json()["results"]] == [
        mine.prefix
    ]
    _assert_error(client.delete(f"/api/v1/auth/tokens/{theirs.prefix}/"), 404, "not_found")
    assert ApiToken.objects.get(pk=theirs.pk).revoked is None


def write_routes() -> list[tuple[str, str]]:
    """(method, path) of every authenticated write operation of the staff API
    (the customer portal's routes refuse every staff token with 401, see
    tests/test_portal_api.py)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        if path in {"/api/v1/auth/token/", "/api/v1/webhooks/stripe/"}:
            continue
        if path.startswith("/api/v1/portal/"):
            continue
        for method in operations:
            if method in {"post", "put", "patch", "delete"}:
                found.append((method, path.replace("{id}", "1").replace("{prefix}", "x")))
    return found


def test_a_read_only_token_reads_and_gets_403_on_every_write(world):
    _token, raw = create_token(user=world.client.user, name="dashboard", scopes=["*:read"])
    client = _client(raw)
    assert client.get("/api/v1/customers/").status_code == 200
    assert client.get("/api/v1/invoices/").status_code == 200
    assert client.get("/api/v1/auth/tokens/").status_code == 200
    routes = write_routes()
    assert len(routes) >= 30
    refused = {
        (method, path): client.generic(method.upper(), path, "{}", content_type="application/json")
        for method, path in routes
    }
    wrong = {key: r.status_code for key, r in refused.items() if r.status_code != 403}
    assert wrong == {}
    for response in refused.values():
        _assert_error(response, 403, "permission_denied")


def test_an_app_scoped_token_reaches_only_its_apps_routes(world):
    _token, read_raw = create_token(user=world.client.user, name="bi", scopes=["billing:read"])
    reader = _client(read_raw)
    assert reader.get("/api/v1/invoices/").status_code == 200
    assert reader.get(f"/api/v1/invoices/{world.invoice.pk}/").status_code == 200
    _assert_error(reader.get("/api/v1/customers/"), 403, "permission_denied")
    _assert_error(reader.get("/api/v1/payments/"), 403, "permission_denied")
    _assert_error(
        reader.post("/api/v1/billing-runs/", {"as_of": "2026-02-01"}, format="json"),
        403,
        "permission_denied",
    )
    # The token endpoints belong to no app: an app-scoped token cannot manage tokens.
    _assert_error(reader.get("/api/v1/auth/tokens/"), 403, "permission_denied")

    _token, write_raw = create_token(user=world.client.user, name="erp", scopes=["payments:write"])
    writer = _client(write_raw)
    paid = writer.post(
        "/api/v1/payments/", {"customer": world.customer.pk, "amount": "10.00"}, format="json"
    )
    assert paid.status_code == 201, paid.content
    # payments serves /customers/{id}/statement/, so its scope reaches it.
    assert writer.get(f"/api/v1/customers/{world.customer.pk}/statement/").status_code == 200
    _assert_error(writer.get("/api/v1/customers/"), 403, "permission_denied")


def test_bad_token_requests_name_the_field(tenant, make_staff, client):
    user = make_staff(tenant)
    for body, field in [
        ({"scopes": ["billing:admin"]}, "scopes[0]"),
        ({"scopes": []}, "scopes"),
        ({"expires": "2020-01-01T00:00:00Z"}, "expires"),
        ({"name": "x" * 101}, "name"),
    ]:
        response = client.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": PASSWORD, **body},
            content_type="application/json",
        )
        _assert_error(response, 400, "invalid")
        assert response.json()["field"] == field
    assert ApiToken.objects.count() == 0


def test_last_used_is_written_once_a_minute_and_new_addresses_are_audited(tenant, make_staff):
    token, raw = create_token(user=make_staff(tenant), name="poller")
    client = _client(raw)
    for _ in range(5):
        assert client.get("/api/v1/customers/").status_code == 200
    token.refresh_from_db()
    first = token.last_used
    assert first is not None and token.last_ip == "127.0.0.1"
    assert AuditLog.objects.filter(action="api_token.use").count() == 1
    ApiToken.objects.filter(pk=token.pk).update(last_used=first - dt.timedelta(seconds=61))
    assert client.get("/api/v1/customers/").status_code == 200
    token.refresh_from_db()
    assert token.last_used > first
    assert AuditLog.objects.filter(action="api_token.use").count() == 1
    assert client.get("/api/v1/customers/", REMOTE_ADDR="192.0.2.44").status_code == 200
    token.refresh_from_db()
    assert token.last_ip == "192.0.2.44"
    moved = AuditLog.objects.filter(action="api_token.use").order_by("-id").first()
    assert moved.after == {"ip": "192.0.2.44", "token": token.prefix, "name": "poller"}
    assert AuditLog.objects.filter(action="api_token.use").count() == 2


def test_the_cli_prints_a_scoped_token_once_and_revokes_it(world):
    user = world.client.user
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", user.username, "--name", "erp", "--scope", "billing:read",
        stdout=out, stderr=err,
    )  # fmt: skip
    raw = out.getvalue().strip()
    assert "shown only this once" in err.getvalue()
    token = ApiToken.objects.get(name="erp")
    assert token.scopes == ["billing:read"]
    assert _client(raw).get("/api/v1/invoices/").status_code == 200
    assert _client(raw).get("/api/v1/customers/").status_code == 403
    listing = io.StringIO()
    call_command("token", "list", user.username, stdout=listing)
    assert token.prefix in listing.getvalue()
    assert raw not in listing.getvalue()
    call_command("token", "revoke", token.prefix, stdout=io.StringIO())
    assert _client(raw).get("/api/v1/invoices/").status_code == 401


def test_the_admin_shows_a_new_token_once(tenant, make_staff):
    admin_user = make_staff(tenant, "admin")
    staff = make_staff(tenant, "support")
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/api/apitoken/add/",
        {"user": staff.pk, "name": "reports", "scopes": ["*:read"]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    token = ApiToken.objects.get(name="reports")
    shown = next(m for m in messages if token.prefix + "_" in m)
    raw = next(word for word in shown.split() if word.startswith(token.prefix + "_"))
    assert token.user == staff and token.scopes == ["*:read"]
    assert _client(raw).get("/api/v1/customers/").status_code == 200
    page = browser.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert raw not in page.content.decode()


def test_legacy_drf_keys_keep_working_hashed_and_their_table_is_dropped(tenant, make_staff):
    user = make_staff(tenant)
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamptz NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, clock.now(), user.pk]
        )
    migration = importlib.import_module("ispstack.api.migrations.0002_legacy_authtoken_keys")
    with connection.schema_editor() as editor:
        migration.hash_legacy_keys(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone()[0] is None
    token = ApiToken.objects.get(user=user)
    assert token.prefix == "drf_0123456789" and token.tenant == tenant
    assert key not in _stored_text()
    assert _client(key).get("/api/v1/customers/").status_code == 200
