"""Staff logins and API tokens in the audit log (never a secret), and the
one-time password of staff who set up a TOTP device (RFC 6238)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from ispstack.core.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "pw-staff-123"


def _audit(action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action).order_by("id"))


def _all_audit_text() -> str:
    return json.dumps(list(AuditLog.objects.values()), default=str)


def test_admin_logins_and_failures_are_audited_with_the_address(tenant, make_staff):
    user = make_staff(tenant)
    browser = Client(REMOTE_ADDR="203.0.113.5")
    browser.post("/admin/login/", {"username": user.username, "password": "Wrong-Secret-1"})
    browser.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    [failed] = _audit("staff.login_failed")
    assert failed.tenant == tenant
    assert failed.actor is None and failed.actor_label == user.username
    assert failed.object_id == str(user.pk)
    assert failed.after == {"ip": "203.0.113.5"}
    [login] = _audit("staff.login")
    assert login.actor == user
    assert login.after == {"ip": "203.0.113.5"}
    assert "Wrong-Secret-1" not in _all_audit_text()
    assert PASSWORD not in _all_audit_text()


def test_token_creation_use_and_revocation_are_audited_without_the_secret(tenant, make_staff):
    user = make_staff(tenant)
    client = APIClient(REMOTE_ADDR="198.51.100.9")
    created = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, "name": "erp"}
    ).json()
    raw, prefix = created["token"], created["prefix"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/customers/").status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{prefix}/").status_code == 204
    expected = {"ip": "198.51.100.9", "token": prefix, "name": "erp"}
    for action in ("api_token.create", "api_token.use", "api_token.revoke"):
        [row] = _audit(action)
        assert row.after == expected, action
        assert row.actor == user
        assert row.tenant == tenant
    # The token endpoint is a login too.
    assert len(_audit("staff.login")) == 1
    assert raw not in _all_audit_text()
    # The secret after "ispk_<prefix>_" (it may hold "_" itself).
    assert raw.split("_", 2)[2] not in _all_audit_text()


@pytest.fixture
def otp_user(tenant, make_staff):
    user = make_staff(tenant)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def test_a_user_with_a_device_logs_in_with_the_current_code(otp_user):
    user, device = otp_user
    browser = Client()
    response = browser.post(
        "/admin/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": _code(device)},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert browser.get("/admin/").status_code == 200


@pytest.mark.parametrize("code", ["", "wrong", "stale"])
def test_a_missing_or_wrong_code_is_refused(otp_user, code):
    user, device = otp_user
    if code == "wrong":
        code = f"{(int(_code(device)) + 1) % 10**device.digits:0{device.digits}d}"
    elif code == "stale":
        code = _code(device, offset_steps=-10)
    browser = Client()
    response = browser.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "otp_token": code}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302
    [failed] = _audit("staff.login_failed")
    assert failed.after["reason"] == "missing or wrong one-time password"


def test_a_session_without_the_code_does_not_reach_the_admin(otp_user, make_staff, tenant):
    user, _device = otp_user
    browser = Client()
    browser.force_login(user)
    assert browser.get("/admin/").status_code == 302
    # Staff without a device are not asked for a code.
    plain = Client()
    plain.force_login(make_staff(tenant))
    assert plain.get("/admin/").status_code == 200


def test_staff_without_a_device_log_in_with_the_password(tenant, make_staff):
    user = make_staff(tenant)
    browser = Client()
    response = browser.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_the_token_endpoint_needs_the_code_of_a_user_with_a_device(otp_user):
    user, device = otp_user
    client = APIClient()
    for code in ("", f"{(int(_code(device)) + 1) % 10**device.digits:0{device.digits}d}"):
        refused = client.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": PASSWORD, "otp_token": code},
        )
        assert refused.status_code == 400
        assert refused.json()["field"] == "otp_token"
        assert "token" not in refused.json()
    # django-otp slows down guessing: a code right after a wrong one waits out
    # the device's throttle delay (1 s, doubling), which a person does anyway.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    issued = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "otp_token": _code(device)},
    )
    assert issued.status_code == 200
    assert issued.json()["token"].startswith("ispk_")
    assert len(_audit("staff.login_failed")) == 2
