"""The portal's profile and notification pages: the user's name and the
account's contact email and phone, a password change that needs the current
password (other sessions end, this one stays), and the notices a customer
switches off per kind and channel, which the sending service then does not
send, while password links always go."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import outbox
from ispstack.core.models import AuditLog
from ispstack.notifications.models import EmailLog, NotificationKind, NotificationPreference
from ispstack.notifications.selectors import preferences_of
from ispstack.notifications.services import send_email
from ispstack.notifications.sms import send_sms
from ispstack.portal.models import PortalUser
from ispstack.portal.services import create_login, request_reset
from ispstack.tickets import services as tickets

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pass-2026"
NEW_PASSWORD = "Another-pass-2027"


def _login(client: Client, tenant: Any, password: str = PASSWORD) -> Any:
    return client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": password}
    )


@pytest.fixture
def account(tenant, make_subscription) -> dict[str, Any]:
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 15))
    user = create_login(customer=sub.customer, email="thandi@example.net", password=PASSWORD)
    return {"sub": sub, "customer": sub.customer, "user": user}


@pytest.fixture
def portal(client: Client, tenant, account) -> Client:
    assert _login(client, tenant).status_code == 302
    return client


def _base(tenant: Any) -> str:
    return f"/my/{tenant.slug}"


def test_the_profile_changes_name_contact_email_and_phone(portal, tenant, account):
    page = portal.get(f"{_base(tenant)}/profile/").content.decode()
    assert account["customer"].email in page and "You sign in as thandi@example.net" in page
    # The title is text, and the language form is on the page once.
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Profile ·") and "<" not in title
    assert page.count('id="language-heading"') == 1
    answer = portal.post(
        f"{_base(tenant)}/profile/",
        {"name": "Thandi M.", "email": "bills@example.net", "phone": "+27 82 123 4567"},
    )
    assert answer.status_code == 302
    assert "Your details were saved." in portal.get(answer["Location"]).content.decode()
    account["customer"].refresh_from_db()
    assert (account["customer"].email, account["customer"].phone) == (
        "bills@example.net",
        "+27821234567",
    )
    user = PortalUser.objects.get(pk=account["user"].pk)
    assert (user.name, user.email) == ("Thandi M.", "thandi@example.net")  # sign-in unchanged
    changes = AuditLog.objects.filter(action="customer.update")
    assert changes.filter(actor_label="portal:thandi@example.net").exists()


@pytest.mark.parametrize(
    ("field", "bad", "text"),
    [("phone", "12", "is not a valid phone number"), ("email", "nope", "is not an email address")],
)
def test_a_bad_profile_field_answers_400_naming_it(portal, tenant, account, field, bad, text):
    data = {"name": "Thandi", "email": "bills@example.net", "phone": "", field: bad}
    answer = portal.post(f"{_base(tenant)}/profile/", data)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert f'id="{field}-error"' in page and text in page
    account["customer"].refresh_from_db()
    assert account["customer"].email != "bills@example.net"


def test_a_password_change_needs_the_current_password(portal, tenant, account):
    other_device = Client()
    assert _login(other_device, tenant).status_code == 302
    path = f"{_base(tenant)}/profile/password/"
    wrong = portal.post(
        path, {"current_password": "guess", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 400
    assert 'id="current_password-error"' in wrong.content.decode()
    assert "is not your current password" in wrong.content.decode()
    assert PortalUser.objects.get(pk=account["user"].pk).check_password(PASSWORD)

    differ = portal.post(
        path, {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": "other"}
    )
    assert differ.status_code == 400 and 'id="confirm-error"' in differ.content.decode()
    weak = portal.post(path, {"current_password": PASSWORD, "password": "1", "confirm": "1"})
    assert weak.status_code == 400 and 'id="password-error"' in weak.content.decode()

    done = portal.post(
        path, {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert "Your password was changed." in portal.get(done["Location"]).content.decode()
    # This session goes on; the other device is signed out.
    assert portal.get(f"{_base(tenant)}/").status_code == 200
    assert other_device.get(f"{_base(tenant)}/").status_code == 302
    assert _login(Client(), tenant).status_code == 400
    assert _login(Client(), tenant, NEW_PASSWORD).status_code == 302
    assert AuditLog.objects.filter(action="portal.password_change").count() == 1


def _uncheck(portal: Client, tenant: Any, off: set[str]) -> Any:
    data = {
        f"{kind}-{channel}": "on"
        for kind in NotificationKind.values
        for channel in ("email", "sms")
        if f"{kind}-{channel}" not in off
    }
    return portal.post(f"{_base(tenant)}/notifications/", data)


def test_the_preferences_page_stores_each_kind_and_channel(portal, tenant, account):
    page = portal.get(f"{_base(tenant)}/notifications/").content.decode()
    assert "Invoice issued" in page and "Reply to your ticket" in page
    assert page.count("checked") == 2 * len(NotificationKind.values)  # all on by default
    answer = _uncheck(portal, tenant, {"invoice_issued-email", "outage-sms"})
    assert answer.status_code == 302
    assert "Your choices were saved." in portal.get(answer["Location"]).content.decode()
    chosen = preferences_of(account["customer"].pk)
    assert chosen["invoice_issued"] == {"email": False, "sms": True}
    assert chosen["outage"] == {"email": True, "sms": False}
    assert chosen["ticket_reply"] == {"email": True, "sms": True}
    assert NotificationPreference.objects.filter(customer=account["customer"]).count() == len(
        NotificationKind.values
    )
    assert AuditLog.objects.filter(action="notifications.preferences").count() == 1


def test_an_invoice_email_switched_off_is_not_sent(portal, tenant, account, make_subscription):
    other = make_subscription(tenant, start_date=dt.date(2026, 1, 15))
    _uncheck(portal, tenant, {"invoice_issued-email"})
    mail.outbox.clear()
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 15))
    outbox.drain()
    ours = Invoice.objects.get(customer=account["customer"])
    theirs = Invoice.objects.get(customer=other.customer)
    assert [m.to for m in mail.outbox] == [[other.customer.email]]
    assert not EmailLog.objects.filter(reference=f"invoice:{ours.pk}").exists()
    assert EmailLog.objects.get(reference=f"invoice:{theirs.pk}").status == "sent"


def test_a_ticket_reply_email_follows_its_own_switch(
    portal, tenant, account, make_staff, django_capture_on_commit_callbacks
):
    ticket = tickets.open_ticket(tenant=tenant, subject="Slow", customer=account["customer"])
    staff = make_staff(tenant)
    _uncheck(portal, tenant, {"ticket_reply-email"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket=ticket, body="We are on it.", actor=staff)
    outbox.drain()
    assert mail.outbox == []
    _uncheck(portal, tenant, set())
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket=ticket, body="Fixed now.", actor=staff)
    outbox.drain()
    assert [m.body for m in mail.outbox] == ["Fixed now."]


def test_password_links_always_go_and_a_kindless_message_is_never_switched_off(
    portal, tenant, account, django_capture_on_commit_callbacks
):
    every = {f"{kind}-{ch}" for kind in NotificationKind.values for ch in ("email", "sms")}
    _uncheck(portal, tenant, every)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(tenant=tenant, email="thandi@example.net", base_url="https://isp.example")
    outbox.drain()
    assert len(mail.outbox) == 1 and "Reset your" in mail.outbox[0].subject
    customer_id = account["customer"].pk
    kept = send_email(tenant=tenant, to="x@example.net", subject="s", body="b")
    assert kept is not None and kept.status == "sent"
    skipped = send_email(
        tenant=tenant,
        to="x@example.net",
        subject="s",
        body="b",
        customer_id=customer_id,
        kind=NotificationKind.OUTAGE,
    )
    assert skipped is None
    no_sms = send_sms(
        tenant=tenant,
        to="+27821234567",
        text="down",
        customer_id=customer_id,
        kind=NotificationKind.OUTAGE,
    )
    assert no_sms is None
    with pytest.raises(ValueError, match="unknown notification kind"):
        send_email(
            tenant=tenant, to="x@example.net", subject="s", body="b", customer_id=1, kind="x"
        )
