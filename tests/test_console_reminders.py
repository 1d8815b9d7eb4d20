"""The Customer 360's invoices panel lists, per invoice, the reminders sent
for it: which reminder, when, on which channel and whether it went out, and
the dunning step that sent it, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.dunning import create_campaign
from ispstack.collections.models import Reminder
from ispstack.collections.services import run_collections
from ispstack.core import outbox
from ispstack.notifications.models import EmailLog

pytestmark = pytest.mark.django_db

D = dt.date


def _days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@pytest.fixture
def reminded(tenant, make_subscription, smtp_server):
    """Two invoices overdue, reminded by the campaign "Friendly" (its second
    step); the first reminder's email delivered, the second refused."""
    create_campaign(
        tenant=tenant,
        name="Friendly",
        trigger_after_days=3,
        steps=[
            {"delay_days": 0, "action": "email", "config": {"subject": "{account} overdue"}},
            {"delay_days": 35, "action": "reminder"},
        ],
    )
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    for day in _days(D(2026, 1, 16), D(2026, 2, 25)):
        run_collections(tenant=tenant, as_of=day)
    outbox.drain()
    invoices = list(Invoice.objects.filter(customer=sub.customer).order_by("issue_date"))
    assert Reminder.objects.filter(invoice__in=invoices).count() == 2
    refused = EmailLog.objects.get(reference=f"reminder:{invoices[1].pk}")
    EmailLog.objects.filter(pk=refused.pk).update(status="failed", error="550 mailbox full")
    return sub.customer, invoices


def test_each_invoice_lists_its_reminders_with_channel_delivery_and_step(
    client: Client, tenant, reminded, make_staff
):
    customer, (january, february) = reminded
    client.force_login(make_staff(tenant, "billing"))
    html = client.get(f"/staff/customers/{customer.pk}/?tab=invoices").content.decode()
    rows = {
        number: html.split(number, 1)[1].split("</tr>", 1)[0]
        for number in (january.number, february.number)
    }
    first = Reminder.objects.get(invoice=january)
    assert (
        f"Reminder 1 on {first.sent_on:%Y-%m-%d} ({first.days_past_due} days overdue)"
        in rows[january.number]
    )
    assert f"email to {customer.email}" in rows[january.number]
    assert 'data-delivery="sent"' in rows[january.number]
    assert "Friendly, step 2" in rows[january.number]
    assert 'data-delivery="failed"' in rows[february.number]
    assert "550 mailbox full" in rows[february.number]


def test_a_reminder_not_sent_yet_shows_as_waiting(client: Client, tenant, reminded, make_staff):
    customer, (january, _february) = reminded
    EmailLog.objects.filter(reference=f"reminder:{january.pk}").delete()
    client.force_login(make_staff(tenant, "billing"))
    html = client.get(f"/staff/customers/{customer.pk}/?tab=invoices").content.decode()
    assert 'data-delivery="queued"' in html and "waiting to be sent" in html


def test_the_reminders_cost_the_same_queries_for_one_invoice_or_many(
    client: Client, tenant, reminded, make_staff, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer, invoices = reminded
    client.force_login(make_staff(tenant, "billing"))
    url = f"/staff/customers/{customer.pk}/?tab=invoices"
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    Reminder.objects.filter(invoice=invoices[1]).delete()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    assert len(two) == len(one) <= 18
