"""The Customer 360 in Debian's Chromium: a billing clerk finds a customer
suspended for an unpaid invoice by the RADIUS username from the top bar,
records the payment that clears it, and sees the subscription reconnected;
the pages pass axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from ispstack.billing.services import run_billing
from ispstack.customers.services import set_status
from ispstack.payments.selectors import account_balance
from ispstack.subscriptions.models import Subscription, SuspensionCause
from ispstack.subscriptions.services import suspend
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_records_the_payment_that_reconnects_a_suspended_customer(
    live_server, chromium, make_tenant, make_staff, make_customer, make_subscription
):
    tenant = make_tenant(name="Alpha Net")
    customer = make_customer(tenant, name="Sipho Ndlovu")
    sub = make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    suspend(subscription=sub, reason="unpaid January", cause=SuspensionCause.NON_PAYMENT)
    with transaction.atomic():
        set_status(customer=customer, status="suspended", reason="unpaid January")
    owed = account_balance(customer)
    assert owed > 0
    clerk = make_staff(tenant, "billing")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, clerk)
        page.fill("#global-search-q", sub.username)
        page.press("#global-search-q", "Enter")
        page.wait_for_url("**/staff/search/**")
        page.locator(f"main a[href='/staff/customers/{customer.pk}/']").first.click()
        page.wait_for_url(f"**/staff/customers/{customer.pk}/")
        assert "Suspended" in page.inner_text("main")
        assert "Owes" in page.inner_text("#c360-balance")
        assert serious_violations(page) == []

        page.click("text=Record payment")
        page.wait_for_url(f"**/staff/customers/{customer.pk}/record-payment/")
        assert serious_violations(page) == []
        page.fill("#id_amount", str(owed))
        page.select_option("#id_method", "cash")
        page.fill("#id_reference", "RCPT-1001")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"**/staff/customers/{customer.pk}/?tab=payments")
        main = page.inner_text("main")
        assert "recorded" in main and "RCPT-1001" in main
        assert "Settled" in page.inner_text("#c360-balance")

        page.click("nav.tabs >> text=Subscriptions")
        page.wait_for_url("**?tab=subscriptions")
        row = page.inner_text(f"tr:has-text('{sub.username}')")
        assert "Active" in row
        assert Subscription.objects.get(pk=sub.pk).status == "active"
        assert serious_violations(page) == []
    finally:
        page.close()
