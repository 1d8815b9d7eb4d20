"""SMS over SMPP 3.4 to a real SMSC (npm ``smpp`` on 127.0.0.1), alone and as a
dunning step."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ispstack.billing.services import run_billing
from ispstack.collections.dunning import create_campaign
from ispstack.collections.models import DunningActionLog
from ispstack.collections.services import run_collections
from ispstack.core import outbox
from ispstack.core.errors import InvalidInput
from ispstack.notifications.models import SmsLog
from ispstack.notifications.sms import send_sms

pytestmark = pytest.mark.django_db


def _received(inbox):
    return [json.loads(line) for line in inbox.read_text().splitlines()]


def test_an_sms_reaches_the_smsc_with_its_message_id(tenant, smsc):
    log = send_sms(tenant=tenant, to="+27821234567", text="Your invoice is ready")
    assert (log.status, log.message_id) == ("sent", "msg-1")
    assert _received(smsc) == [
        {"id": "msg-1", "to": "27821234567", "from": "DemoFibre", "text": "Your invoice is ready"}
    ]


def test_a_dunning_sms_step(tenant, make_subscription, make_customer, smsc):
    customer = make_customer(tenant, phone="+49301234567")
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    create_campaign(
        tenant=tenant,
        name="Text",
        steps=[{"action": "sms", "config": {"text": "{account}: please pay {amount}"}}],
    )
    run_collections(tenant=tenant, as_of=dt.date(2026, 1, 16))
    outbox.drain()
    assert [m["text"] for m in _received(smsc)] == [
        f"{customer.account_number}: please pay 35.70 EUR"
    ]
    assert DunningActionLog.objects.get().ok is True
    assert SmsLog.objects.get().reference == f"dunning:{customer.pk}"


def test_without_a_gateway_the_step_is_logged_as_failed(
    tenant, make_subscription, make_customer, settings
):
    settings.SMS_BACKEND = ""
    customer = make_customer(tenant, phone="+49301234567")
    make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    create_campaign(tenant=tenant, name="Text", steps=[{"action": "sms"}])
    run_collections(tenant=tenant, as_of=dt.date(2026, 1, 16))
    log = DunningActionLog.objects.get()
    assert (log.ok, log.detail) == (False, "no SMS gateway is configured (SMS_BACKEND)")
    with pytest.raises(InvalidInput):
        send_sms(tenant=tenant, to="+49301234567", text="x")


def test_a_dunning_sms_queued_with_its_text_ready_is_sent_as_it_is(tenant, make_customer, smsc):
    """Jobs queued before the text was rendered at send time carry it ready."""
    customer = make_customer(tenant, phone="+49301234567")
    outbox.enqueue(
        tenant=tenant,
        kind="collections.dunning_sms",
        payload={"customer_id": customer.pk, "text": "Please pay 35.70 EUR"},
        defer_inline=True,
    )
    outbox.drain()
    assert [m["text"] for m in _received(smsc)] == ["Please pay 35.70 EUR"]
