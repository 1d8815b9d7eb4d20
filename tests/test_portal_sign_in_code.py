"""A one-time code by SMS after the password, through a real SMSC (npm
``smpp`` on 127.0.0.1): switched on by the tenant for everyone or by a user
for themselves; the session is not signed in until the code passes; wrong
codes count and lock the login out, old codes expire, a new code waits a
minute; no mobile number refuses the sign-in; the API's token endpoint
issues no token to such a login."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ispstack.core import clock, outbox
from ispstack.core.models import AuditLog
from ispstack.notifications.models import SmsLog
from ispstack.portal import sign_in_codes
from ispstack.portal.models import PortalBranding, PortalToken, SignInCode
from ispstack.portal.services import create_login
from tests.portal_browser import sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"
MOBILE = "+27821234567"


@pytest.fixture
def user(tenant, make_customer):
    customer = make_customer(tenant, name="Thandi Mokoena", phone=MOBILE)
    return create_login(customer=customer, email="thandi@example.net", password=PASSWORD)


@pytest.fixture
def required(tenant):
    PortalBranding.objects.filter(tenant=tenant).update(sms_sign_in=True)


def _texts(inbox) -> list[dict]:
    """The texts the SMSC received, once the outbox ran (a test's transaction
    never commits, so its jobs wait for ``drain``)."""
    outbox.drain()
    return [json.loads(line) for line in inbox.read_text().splitlines()]


def _code(inbox) -> str:
    return re.match(r"(\d{6}) ", _texts(inbox)[-1]["text"]).group(1)


def _password(client, tenant, password=PASSWORD):
    return client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": password}
    )


def _enter(client, tenant, code):
    return client.post(f"/my/{tenant.slug}/login/code/", {"code": code})


def _signed_in(client, tenant) -> bool:
    return client.get(f"/my/{tenant.slug}/").status_code == 200


def test_the_code_sent_by_sms_completes_the_sign_in(client, tenant, user, required, smsc):
    answer = _password(client, tenant)
    assert answer.status_code == 302 and answer["Location"].endswith("/login/code/")
    [text] = _texts(smsc)
    assert text["to"] == MOBILE.lstrip("+")
    assert re.fullmatch(r"\d{6} is your .+ sign-in code\. It works for 5 minutes\..*", text["text"])
    assert not _signed_in(client, tenant)  # the password alone signs nobody in
    page = client.get(f"/my/{tenant.slug}/login/code/").content.decode()
    assert 'autocomplete="one-time-code"' in page
    # Only a keyed hash of the code is stored.
    row = SignInCode.objects.get(user=user)
    assert _code(smsc) not in row.digest and len(row.digest) == 64
    done = _enter(client, tenant, " ".join(_code(smsc)))
    assert done.status_code == 302 and done["Location"] == f"/my/{tenant.slug}/"
    assert _signed_in(client, tenant)
    assert AuditLog.objects.filter(action="portal.login").count() == 1
    # Spent: the same code does not sign in a second session.
    other = Client()
    _password(other, tenant)
    assert _enter(other, tenant, _texts(smsc)[0]["text"][:6]).status_code == 400


def test_a_user_who_chose_the_code_gets_it_without_the_tenants_rule(client, tenant, user, smsc):
    assert _password(client, tenant).status_code == 302 and _signed_in(client, tenant)
    turned = client.post(f"/my/{tenant.slug}/profile/sign-in-code/", {"sms_sign_in": "1"})
    assert turned.status_code == 302
    user.refresh_from_db()
    assert user.sms_sign_in is True
    fresh = Client()
    assert _password(fresh, tenant)["Location"].endswith("/login/code/")
    assert not _signed_in(fresh, tenant)
    assert _enter(fresh, tenant, _code(smsc)).status_code == 302 and _signed_in(fresh, tenant)


def test_without_a_mobile_number_the_choice_is_refused(client, tenant, make_customer):
    customer = make_customer(tenant, phone="")
    create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    _password(client, tenant)
    answer = client.post(f"/my/{tenant.slug}/profile/sign-in-code/", {"sms_sign_in": "1"})
    assert answer.status_code == 400 and "Add a mobile phone number" in answer.content.decode()


def test_wrong_codes_count_and_the_fifth_locks_the_login_out(
    client, tenant, user, required, smsc, settings
):
    _password(client, tenant)
    right = _code(smsc)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        answer = _enter(client, tenant, wrong)
        assert answer.status_code == 400
        assert f"This code is wrong. Tries left: {left}." in answer.content.decode()
    locked = _enter(client, tenant, wrong)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "Too many wrong codes" in locked.content.decode()
    assert not _signed_in(client, tenant)
    # Locked like wrong passwords: the right password is refused from here...
    again = _password(Client(), tenant)
    assert again.status_code == 429
    # ...and the session waits for no code any more: the right one leads back
    # to the sign-in page.
    back = _enter(client, tenant, right)
    assert back.status_code == 302 and back["Location"].endswith("/login/")
    assert not _signed_in(client, tenant)
    assert AuditLog.objects.filter(action="portal.sign_in_code_locked").count() == 1
    assert AuditLog.objects.filter(action="portal.login_failed").count() == 5


def test_an_expired_code_is_refused_and_a_new_one_waits_a_minute(
    client, tenant, user, required, smsc
):
    _password(client, tenant)
    first = _code(smsc)
    later = clock.now() + sign_in_codes.LIFETIME + dt.timedelta(seconds=1)
    with clock.simulated(later):
        expired = _enter(client, tenant, first)
        assert expired.status_code == 400 and "expired" in expired.content.decode()
        assert not _signed_in(client, tenant)
        resent = client.post(f"/my/{tenant.slug}/login/code/", {"resend": "1"})
        assert resent.status_code == 200 and "A new code is on its way" in resent.content.decode()
        assert len(_texts(smsc)) == 2
        too_soon = client.post(f"/my/{tenant.slug}/login/code/", {"resend": "1"})
        assert (
            too_soon.status_code == 429
            and "You can ask for another code in" in too_soon.content.decode()
        )
        assert len(_texts(smsc)) == 2
        assert _enter(client, tenant, first).status_code == 400  # replaced
        assert _enter(client, tenant, _code(smsc)).status_code == 302
        assert _signed_in(client, tenant)


def test_no_mobile_number_refuses_the_sign_in_and_says_to_call_support(
    client, tenant, make_customer, required, smsc, caplog
):
    customer = make_customer(tenant, phone="")
    create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    answer = _password(client, tenant)
    assert answer.status_code == 403
    assert "contact support" in answer.content.decode()
    assert not _signed_in(client, tenant)
    assert _texts(smsc) == [] and not SmsLog.objects.exists()
    assert AuditLog.objects.filter(action="portal.login_refused").count() == 1
    assert "has no mobile number" in caplog.text
    # The wrong password still answers as before: the rule tells nothing to a guesser.
    assert _password(Client(), tenant, password="wrong").status_code == 400


def test_the_api_token_endpoint_issues_no_token_when_the_code_is_required(tenant, user, required):
    body = {"tenant": tenant.slug, "login": "thandi@example.net", "password": PASSWORD}
    answer = APIClient().post("/api/v1/portal/auth/token/", body, format="json")
    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["field"]) == ("sign_in_code_required", "login")
    assert not PortalToken.objects.exists()
    wrong = APIClient().post(
        "/api/v1/portal/auth/token/", {**body, "password": "wrong"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json().get("code") != "sign_in_code_required"
    PortalBranding.objects.filter(tenant=tenant).update(sms_sign_in=False)
    allowed = APIClient().post("/api/v1/portal/auth/token/", body, format="json")
    assert allowed.status_code == 200 and allowed.json()["token"].startswith("ispc_")


@pytest.mark.django_db(transaction=True)
def test_in_a_browser_on_a_phone_the_code_page_is_accessible_and_signs_in(
    live_server, chromium, tenant, user, required, smsc
):
    from tests.console_browser import serious_violations

    base = f"{live_server.url}/my/{tenant.slug}"
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", PASSWORD, lands="/login/code/")
        assert serious_violations(page) == []
        page.fill("#id_code", "000000" if _code(smsc) != "000000" else "111111")
        page.click("button:has-text('Sign in')")
        page.wait_for_selector("#code-error")
        assert "Tries left: 4." in page.inner_text("main")
        assert serious_violations(page) == []
        page.fill("#id_code", _code(smsc))
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{base}/")
        assert "Thandi Mokoena" in page.inner_text("main")
    finally:
        context.close()


def test_a_reset_link_leads_to_the_code_not_past_it(client, tenant, user, required, smsc):
    from ispstack.portal.tokens import make_token

    path = f"/my/{tenant.slug}/password/reset/{make_token(user, 'reset')}/"
    answer = client.post(path, {"password": "New-pass-2026", "confirm": "New-pass-2026"})
    assert answer.status_code == 302 and answer["Location"].endswith("/login/code/")
    assert not _signed_in(client, tenant)
    assert _enter(client, tenant, _code(smsc)).status_code == 302
    assert _signed_in(client, tenant)
