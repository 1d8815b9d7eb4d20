"""Login lockout (django-axes) on the admin and the token endpoint, and the API's
rate limits: the right password after a lockout is refused, a client over its
rate gets 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from ispstack.api.tokens import create_token

pytestmark = pytest.mark.django_db

PASSWORD = "pw-staff-123"
WRONG_TRIES = 30


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _token_request(client: Client, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_the_token_endpoint_locks_a_username_out_after_wrong_passwords(
    tenant, make_staff, settings
):
    user = make_staff(tenant)
    client = Client()
    answers = [
        _token_request(client, user.username, f"wrong-{n}").status_code for n in range(WRONG_TRIES)
    ]
    # Wrong passwords are 400 until the limit, then the pair is locked out.
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    refused = _token_request(client, user.username, PASSWORD)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "locked_out" and body["field"] == "username"
    assert "too many failed logins" in body["detail"]
    assert int(refused["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "token" not in body
    # The lockout is for this username from this address only.
    assert _token_request(client, user.username, PASSWORD, ip="198.51.100.7").status_code == 200


def test_the_admin_login_locks_a_username_out_after_wrong_passwords(tenant, make_staff):
    user = make_staff(tenant)
    browser = Client()
    for n in range(WRONG_TRIES):
        browser.post("/admin/login/", {"username": user.username, "password": f"wrong-{n}"})
    refused = browser.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert "too many failed logins" in refused.content.decode()
    assert refused["Retry-After"]
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302


def test_a_right_password_before_the_limit_logs_in_and_clears_the_failures(
    tenant, make_staff, settings
):
    user = make_staff(tenant)
    browser = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        browser.post("/admin/login/", {"username": user.username, "password": f"wrong-{n}"})
    assert browser.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD}
    ).status_code == 302  # fmt: skip
    assert browser.get("/admin/").status_code == 200
    # The count started again: as many failures as before do not lock out.
    other = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        other.post("/admin/login/", {"username": user.username, "password": f"wrong-{n}"})
    assert other.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD}
    ).status_code == 302  # fmt: skip


def test_a_token_over_its_rate_gets_429_with_retry_after(tenant, make_staff, settings, fresh_cache):
    settings.API_THROTTLE_RATES = {"token": "5/minute", "login": None}
    _token, raw = create_token(user=make_staff(tenant), name="busy")
    _other, other_raw = create_token(user=make_staff(tenant), name="calm")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [client.get("/api/v1/customers/").status_code for _ in range(5)] == [200] * 5
    limited = client.get("/api/v1/customers/")
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert set(limited.json()) == {"code", "field", "detail"}
    assert 0 < int(limited["Retry-After"]) <= 60
    # The limit is per token: another token of the tenant is not slowed down.
    calm = APIClient()
    calm.credentials(HTTP_AUTHORIZATION=f"Token {other_raw}")
    assert calm.get("/api/v1/customers/").status_code == 200


def test_token_requests_are_rate_limited_per_address(tenant, make_staff, settings, fresh_cache):
    settings.API_THROTTLE_RATES = {"token": None, "login": "3/minute"}
    user = make_staff(tenant)
    client = Client()
    assert [_token_request(client, user.username, PASSWORD).status_code for _ in range(3)] == [
        200
    ] * 3
    limited = _token_request(client, user.username, PASSWORD)
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert limited["Retry-After"]
    assert _token_request(client, user.username, PASSWORD, ip="198.51.100.7").status_code == 200
