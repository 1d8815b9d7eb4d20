"""Mails and texts the portal sends are written in the recipient's language:
a portal user's own choice, else their customer's (the owner's choice),
else the tenant's (its branding locale), else English; never the language
of whatever request happened to queue them."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from ispstack.core import outbox
from ispstack.portal.models import PortalBranding, PortalRole
from ispstack.portal.plan_changes import services as plan_changes
from ispstack.portal.services import create_login, request_reset

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"


@pytest.fixture
def accounts(tenant, make_customer, make_subscription, make_plan):
    """A German customer (the owner chose German) and an English one (no
    choice, a tenant without a branding locale), each on a 30.00 plan with a
    60.00 plan to move to."""
    basic = make_plan(tenant, name="Basic 50", monthly_price="30.00")
    fast = make_plan(tenant, name="Fast 100", monthly_price="60.00", download_kbps=100000)
    made = {}
    for key, name, language in (("de", "Anna Schmidt", "de"), ("en", "Thandi Mokoena", "")):
        customer = make_customer(tenant, name=name, phone="+27821234567")
        sub = make_subscription(tenant, customer=customer, plan=basic)
        user = create_login(customer=customer, email=f"{key}@example.net", password=PASSWORD)
        user.language = language
        user.save(update_fields=["language"])
        made[key] = {"customer": customer, "sub": sub, "user": user}
    made["fast"] = fast
    return made


def _mails_to(address):
    outbox.drain()
    return [m for m in mail.outbox if address in m.to]


def test_a_reset_mail_is_german_for_a_german_customer_and_english_for_an_english_one(
    tenant, accounts
):
    for key in ("de", "en"):
        request_reset(tenant=tenant, email=f"{key}@example.net", base_url="https://isp.example")
    [german] = _mails_to("de@example.net")
    assert german.subject == f"Passwort für das Kundenportal von {tenant.name} zurücksetzen"
    assert "Jemand hat das Zurücksetzen des Passworts" in german.body
    assert "Someone asked" not in german.body
    [english] = _mails_to("en@example.net")
    assert english.subject == f"Reset your {tenant.name} portal password"
    assert "Someone asked to reset the password" in english.body


def test_plan_change_mails_follow_the_customers_language(tenant, accounts):
    for key in ("de", "en"):
        account = accounts[key]
        request = plan_changes.submit_request(
            user=account["user"], subscription=account["sub"], plan=accounts["fast"].pk
        )
        plan_changes.approve_request(request=request)
    german = _mails_to("de@example.net")
    assert [m.subject for m in german] == [
        "Wir haben Ihren Antrag auf Tarifwechsel erhalten",
        "Ihr Tarifwechsel wurde genehmigt",
    ]
    assert "Hallo Anna Schmidt" in german[0].body
    english = _mails_to("en@example.net")
    assert [m.subject for m in english] == [
        "We received your plan change request",
        "Your plan change is approved",
    ]
    assert "Hello Thandi Mokoena" in english[0].body


@pytest.mark.django_db(transaction=True)
def test_a_request_in_german_queues_an_english_mail_for_an_english_reader(
    client: Client, tenant, accounts
):
    """The job runs when the German page's transaction commits, inside that
    request; the mail is still English."""
    client.post(
        f"/my/{tenant.slug}/password/forgot/",
        {"email": "en@example.net"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    [english] = [m for m in mail.outbox if "en@example.net" in m.to]
    assert english.subject == f"Reset your {tenant.name} portal password"


def test_a_billing_contact_without_a_choice_reads_the_customers_language_then_the_tenants(
    tenant, accounts
):
    german = accounts["de"]["customer"]
    create_login(
        customer=german, email="billing@example.net", password=PASSWORD, role=PortalRole.BILLING
    )
    request_reset(tenant=tenant, email="billing@example.net", base_url="https://isp.example")
    [mail_de] = _mails_to("billing@example.net")
    assert mail_de.subject.startswith("Passwort für das Kundenportal")
    # A tenant that writes de_DE: its customers without a choice read German.
    PortalBranding.objects.filter(tenant=tenant).update(locale="de_DE")
    request_reset(tenant=tenant, email="en@example.net", base_url="https://isp.example")
    [mail_tenant] = _mails_to("en@example.net")
    assert mail_tenant.subject.startswith("Passwort für das Kundenportal")


def test_the_sign_in_code_is_texted_in_the_users_language(tenant, accounts, smsc):
    PortalBranding.objects.filter(tenant=tenant).update(sms_sign_in=True)
    for key in ("de", "en"):
        Client().post(
            f"/my/{tenant.slug}/login/", {"login": f"{key}@example.net", "password": PASSWORD}
        )
    outbox.drain()
    german, english = (json.loads(line)["text"] for line in smsc.read_text().splitlines())
    assert "ist Ihr Anmeldecode" in german and "Minuten" in german
    assert "is your" in english and "sign-in code" in english
