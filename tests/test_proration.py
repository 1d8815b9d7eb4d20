"""Proration on every change, as a finance team's test book: a plan, events
with dates, and the invoice lines and credit notes expected to the cent.

Prices are net per month with 19 % VAT; 30.00/month over a 31-day January
is 0.967741... a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge, CreditNote, InvoiceLine, SubscriptionBilling
from ispstack.billing.proration import add_charge
from ispstack.billing.services import run_billing
from ispstack.core.errors import InvalidInput
from ispstack.subscriptions.models import PlanChange, Subscription
from ispstack.subscriptions.services import (
    apply_plan,
    change_billing_day,
    reconnect,
    schedule_plan,
    suspend,
    terminate,
)

pytestmark = pytest.mark.django_db
D = dt.date


def _lines(sub):
    return [
        (x.kind, x.period_start, x.period_end, x.net_amount)
        for x in InvoiceLine.objects.filter(subscription=sub).order_by("invoice_id", "id")
    ]


def _credits(sub):
    return [
        (n.issue_date, n.subtotal, n.reason)
        for n in CreditNote.objects.filter(invoice__lines__subscription=sub)
        .distinct()
        .order_by("id")
    ]


@pytest.fixture
def plans(tenant, make_plan):
    return {
        "basic": make_plan(tenant, name="Basic", monthly_price="30.00"),
        "fast": make_plan(tenant, name="Fast", monthly_price="62.00"),
    }


def test_upgrade_mid_month_credits_the_old_plan_and_charges_the_new_on_the_next_invoice(
    tenant, plans, make_subscription
):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    apply_plan(subscription=sub, plan=plans["fast"], effective=D(2026, 1, 21))
    # 11 of 31 January days: Basic 30.00 x 11/31 = 10.65 credited, Fast 62.00 x 11/31 = 22.00
    assert _credits(sub) == [
        (
            D(2026, 1, 21),
            Decimal("10.65"),
            "plan change to Fast: unused days of Basic from 2026-01-21",
        )
    ]
    assert Charge.objects.get(subscription=sub).amount == Decimal("22.00")
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert _lines(sub) == [
        ("recurring", D(2026, 1, 1), D(2026, 1, 31), Decimal("30.00")),
        ("recurring", D(2026, 2, 1), D(2026, 2, 28), Decimal("62.00")),
        ("proration", None, None, Decimal("22.00")),
    ]


def test_downgrade_billed_immediately_when_the_tenant_says_so(
    make_tenant, make_plan, make_subscription
):
    tenant = make_tenant(proration_billing="immediate")
    fast = make_plan(tenant, name="Fast", monthly_price="62.00")
    basic = make_plan(tenant, name="Basic", monthly_price="31.00")
    sub = make_subscription(tenant, plan=fast, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    apply_plan(subscription=sub, plan=basic, effective=D(2026, 1, 17))
    # 15 of 31 days: Fast 62 x 15/31 = 30.00 credited; Basic 31 x 15/31 = 15.00 invoiced now
    assert [c[1] for c in _credits(sub)] == [Decimal("30.00")]
    assert _lines(sub)[-1] == ("proration", None, None, Decimal("15.00"))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert _lines(sub)[-1] == ("recurring", D(2026, 2, 1), D(2026, 2, 28), Decimal("31.00"))


def test_a_change_scheduled_for_the_next_cycle_needs_no_proration(tenant, plans, make_subscription):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    schedule_plan(subscription=sub, plan=plans["fast"], effective=D(2026, 2, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 31))
    assert Subscription.objects.get(pk=sub.pk).plan == plans["basic"]
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert Subscription.objects.get(pk=sub.pk).plan == plans["fast"]
    assert PlanChange.objects.get(subscription=sub).status == "applied"
    assert _credits(sub) == []
    assert _lines(sub)[-1] == ("recurring", D(2026, 2, 1), D(2026, 2, 28), Decimal("62.00"))


def test_a_plan_change_in_arrears_bills_the_old_plan_up_to_the_change(
    tenant, make_plan, make_subscription
):
    old = make_plan(tenant, name="Old", monthly_price="31.00", billing_timing="arrears")
    new = make_plan(tenant, name="New", monthly_price="62.00", billing_timing="arrears")
    sub = make_subscription(tenant, plan=old, start_date=D(2026, 1, 1))
    apply_plan(subscription=sub, plan=new, effective=D(2026, 1, 11))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    # Old 31.00 x 10/31 = 10.00; New 62.00 x 21/31 = 42.00
    assert sorted(_lines(sub), key=str) == sorted(
        [
            ("proration", None, None, Decimal("10.00")),
            ("recurring", D(2026, 1, 11), D(2026, 1, 31), Decimal("42.00")),
        ],
        key=str,
    )


def test_suspended_days_are_credited_when_the_tenant_does_not_bill_them(
    make_tenant, make_plan, make_subscription
):
    tenant = make_tenant(bill_suspended_days=False)
    plan = make_plan(tenant, monthly_price="31.00")
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    suspend(subscription=sub, reason="customer travels", on=D(2026, 1, 10))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))  # suspended: February not billed
    reconnect(subscription=Subscription.objects.get(pk=sub.pk), on=D(2026, 2, 15))
    # January 10..31 billed and credited (22 of 31 days of 31.00), February 1..14 skipped
    assert [c[1] for c in _credits(sub)] == [Decimal("22.00")]
    run_billing(tenant=tenant, as_of=D(2026, 2, 15))
    assert _lines(sub)[-1] == ("recurring", D(2026, 2, 15), D(2026, 2, 28), Decimal("15.50"))


def test_suspended_days_are_billed_by_default(tenant, plans, make_subscription):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    suspend(subscription=sub, reason="non-payment", on=D(2026, 1, 10))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    reconnect(subscription=Subscription.objects.get(pk=sub.pk), on=D(2026, 2, 15))
    assert _credits(sub) == []
    assert len(_lines(sub)) == 2


@pytest.mark.parametrize(("credit", "expected"), [(True, [Decimal("15.00")]), (False, [])])
def test_termination_credits_the_billed_days_after_the_end_per_policy(
    make_tenant, make_plan, make_subscription, credit, expected
):
    tenant = make_tenant(credit_on_termination=credit)
    sub = make_subscription(
        tenant, plan=make_plan(tenant, monthly_price="31.00"), start_date=D(2026, 1, 1)
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    terminate(subscription=sub, reason="moving", on=D(2026, 1, 16))
    assert [c[1] for c in _credits(sub)] == expected  # 17..31 January: 15 days of 31.00
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert len(_lines(sub)) == 1
    assert SubscriptionBilling.objects.get(subscription=sub).next_bill_date is None


def test_a_new_billing_day_bills_the_bridge_period_prorated(
    make_tenant, make_plan, make_subscription
):
    tenant = make_tenant(allowed_billing_days=[1, 5, 25, 30])
    sub = make_subscription(
        tenant, plan=make_plan(tenant, monthly_price="31.00"), start_date=D(2026, 1, 1)
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    with pytest.raises(InvalidInput) as err:
        change_billing_day(subscription=sub, billing_day=15)
    assert "1, 5, 25, 30" in err.value.message
    change_billing_day(subscription=sub, billing_day=25)
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    run_billing(tenant=tenant, as_of=D(2026, 2, 25))
    # bridge 1..24 Feb against the 25 Jan..24 Feb cycle (31 days): 31.00 x 24/31 = 24.00
    assert _lines(sub)[1:] == [
        ("recurring", D(2026, 2, 1), D(2026, 2, 24), Decimal("24.00")),
        ("recurring", D(2026, 2, 25), D(2026, 3, 24), Decimal("31.00")),
    ]


def test_one_time_charges_land_on_the_next_invoice(tenant, plans, make_subscription):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    add_charge(
        subscription=sub, description="Installation", amount="49.00", charge_date=D(2026, 1, 1)
    )
    add_charge(subscription=sub, description="Router", amount="89.90", charge_date=D(2026, 1, 20))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 20))  # a charge alone makes its own invoice
    assert _lines(sub) == [
        ("recurring", D(2026, 1, 1), D(2026, 1, 31), Decimal("30.00")),
        ("one_time", None, None, Decimal("49.00")),
        ("one_time", None, None, Decimal("89.90")),
    ]
    assert Charge.objects.filter(subscription=sub, invoice__isnull=True).count() == 0
    with pytest.raises(InvalidInput) as err:
        add_charge(subscription=sub, description="Late fee", amount="-5")
    assert err.value.field == "amount"
