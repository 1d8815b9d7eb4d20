"""Proration on every change, as a finance team's test book: a plan, events
with dates, and the invoice lines and credit notes expected to the cent.

Prices are net per month with 19 % VAT; 30.00/month over a 31-day January
is 0.967741... a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispstack.billing.models import (
    Charge,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    SubscriptionBilling,
)
from ispstack.billing.proration import add_charge
from ispstack.billing.services import run_billing
from ispstack.core.errors import InvalidInput
from ispstack.core.models import AuditLog
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
        ("proration", D(2026, 1, 21), D(2026, 1, 31), Decimal("22.00")),
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
    assert _lines(sub)[-1] == ("proration", D(2026, 1, 17), D(2026, 1, 31), Decimal("15.00"))
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
            ("proration", D(2026, 1, 1), D(2026, 1, 10), Decimal("10.00")),
            ("recurring", D(2026, 1, 11), D(2026, 1, 31), Decimal("42.00")),
        ],
        key=str,
    )


def test_a_change_before_the_first_run_bills_the_old_plans_days_at_its_price(
    tenant, plans, make_subscription
):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    apply_plan(subscription=sub, plan=plans["fast"], effective=D(2026, 1, 21))
    run_billing(tenant=tenant, as_of=D(2026, 1, 21))
    # Basic 30.00 x 20/31 = 19.35 for 1-20 January, then Fast 62.00 x 11/31 = 22.00
    assert _lines(sub) == [
        ("recurring", D(2026, 1, 21), D(2026, 1, 31), Decimal("22.00")),
        ("proration", D(2026, 1, 1), D(2026, 1, 20), Decimal("19.35")),
    ]


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


def test_in_arrears_a_reconnection_bills_the_days_before_the_suspension(
    make_tenant, make_plan, make_subscription
):
    tenant = make_tenant(bill_suspended_days=False)
    plan = make_plan(tenant, name="Fibre", monthly_price="30.00", billing_timing="arrears")
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 6, 1))
    suspend(subscription=sub, reason="customer travels", on=D(2026, 6, 15))
    reconnect(subscription=Subscription.objects.get(pk=sub.pk), on=D(2026, 6, 25))
    run_billing(tenant=tenant, as_of=D(2026, 6, 25))
    run_billing(tenant=tenant, as_of=D(2026, 7, 1))
    # 1-14 June: 30.00 x 14/30 = 14.00; 25-30 June: 30.00 x 6/30 = 6.00; 15-24 June skipped
    assert _lines(sub) == [
        ("proration", D(2026, 6, 1), D(2026, 6, 14), Decimal("14.00")),
        ("recurring", D(2026, 6, 25), D(2026, 6, 30), Decimal("6.00")),
    ]


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


# --- Several changes in one period: a table of scenarios, run day by day -------------------
#
# Plans A, B and C with 15 % VAT on billing day 1, from 1 June 2026 (June has 30 days, July
# 31). Each row is one scenario: the plan prices, the dated events, and each month's net
# (invoice lines minus credit-note lines of that month's service days), worked out by hand
# from the rule: price x days on the plan / days in the month, each rounded half up to the
# cent. Every row runs three ways: in advance with the plan change's charge on the next
# invoice, in advance with it invoiced at once, and in arrears. Billing runs every day from
# 1 June to 1 August, then the events of that day happen.

PRICES = {"A": "30.00", "B": "60.00", "C": "90.00"}
ODD_PRICES = {"A": "29.99", "B": "49.95", "C": "79.90"}
VARIANTS = [
    ("advance", "next_invoice"),
    ("advance", "immediate"),
    ("arrears", "next_invoice"),
]
SCENARIOS = [
    (
        # A 30.00 x 10/30 = 10.00, B 60.00 x 10/30 = 20.00, C 90.00 x 10/30 = 30.00
        "two changes in June",
        PRICES,
        [("change", D(2026, 6, 11), "B"), ("change", D(2026, 6, 21), "C")],
        {6: "60.00", 7: "90.00"},
    ),
    (
        # A 7/30 x 30 = 7.00, B 8/30 x 60 = 16.00, C 10/30 x 90 = 30.00, A 5/30 x 30 = 5.00
        "three changes in June",
        PRICES,
        [
            ("change", D(2026, 6, 8), "B"),
            ("change", D(2026, 6, 16), "C"),
            ("change", D(2026, 6, 26), "A"),
        ],
        {6: "58.00", 7: "30.00"},
    ),
    (
        # A 10/30 x 30 = 10.00, C 10/30 x 90 = 30.00, A 10/30 x 30 = 10.00
        "upgrade then downgrade",
        PRICES,
        [("change", D(2026, 6, 11), "C"), ("change", D(2026, 6, 21), "A")],
        {6: "50.00", 7: "30.00"},
    ),
    (
        # suspended 15-24 June, not billed: A 10/30 x 30 = 10.00, B (4 + 6)/30 x 60 = 20.00
        "change then suspension",
        PRICES,
        [
            ("change", D(2026, 6, 11), "B"),
            ("suspend", D(2026, 6, 15), None),
            ("reconnect", D(2026, 6, 25), None),
        ],
        {6: "30.00", 7: "60.00"},
    ),
    (
        # last day 25 June: A 10/30 x 30 = 10.00, B 15/30 x 60 = 30.00
        "change then termination",
        PRICES,
        [("change", D(2026, 6, 11), "B"), ("terminate", D(2026, 6, 25), None)],
        {6: "40.00", 7: "0.00"},
    ),
    (
        # July: A 9/31 x 29.99 = 8.7068 -> 8.71, B 10/31 x 49.95 = 16.1129 -> 16.11,
        # C 12/31 x 79.90 = 30.9290 -> 30.93
        "two changes in July, odd prices",
        ODD_PRICES,
        [("change", D(2026, 7, 10), "B"), ("change", D(2026, 7, 20), "C")],
        {6: "29.99", 7: "55.75"},
    ),
]


def _plan_days(events, first, last, names):
    """Which plan each day of service is on (None: suspended or ended), from the events."""
    days, plan, day, off = {}, "A", first, False
    changes = {when: target for kind, when, target in events if kind == "change"}
    suspended = [when for kind, when, _ in events if kind == "suspend"]
    reconnected = [when for kind, when, _ in events if kind == "reconnect"]
    ended = [when for kind, when, _ in events if kind == "terminate"]
    while day <= last:
        plan = changes.get(day, plan)
        off = (day in suspended) or (off and day not in reconnected)
        if ended and day > ended[0]:
            off = True
        days[day] = None if off else names[plan]
        day += dt.timedelta(days=1)
    return days


def _service_days(sub, first, last):
    """Per day, the plans whose lines bill it, less those whose credits take it back;
    and each month's net (lines minus credits, by the month of their days)."""
    covered = {first + dt.timedelta(days=n): [] for n in range((last - first).days + 1)}
    months: dict[int, Decimal] = {}
    lines = InvoiceLine.objects.filter(subscription=sub, kind__in=["recurring", "proration"])
    credits = CreditNoteLine.objects.filter(invoice_line__subscription=sub).select_related(
        "invoice_line"
    )
    for row, sign in [(x, 1) for x in lines] + [(c, -1) for c in credits]:
        assert row.period_start is not None, f"{row.description} names no service days"
        if row.period_start > last:
            continue
        assert row.period_start.month == row.period_end.month
        months[row.period_start.month] = months.get(row.period_start.month, Decimal(0)) + (
            sign * row.net_amount
        )
        plan = (row.invoice_line if sign < 0 else row).description.split(" ")[0]
        day = row.period_start
        while day <= row.period_end:
            if sign > 0:
                covered[day].append(plan)
            else:
                covered[day].remove(plan)
            day += dt.timedelta(days=1)
    return covered, months


@pytest.mark.parametrize(
    ("name", "prices", "events", "months", "timing", "charge_timing"),
    [
        pytest.param(*row, *variant, id=f"{row[0]}, {variant[0]}, {variant[1]}")
        for row in SCENARIOS
        for variant in VARIANTS
    ],
)
def test_each_service_day_is_billed_once_across_changes_in_a_period(
    make_tenant, make_plan, make_subscription, name, prices, events, months, timing, charge_timing
):
    tenant = make_tenant(proration_billing=charge_timing, bill_suspended_days=False)
    plans = {
        key: make_plan(
            tenant,
            name=f"{key}{price.split('.')[0]}",
            monthly_price=price,
            tax_percent="15",
            billing_timing=timing,
        )
        for key, price in prices.items()
    }
    sub = make_subscription(tenant, plan=plans["A"], start_date=D(2026, 6, 1))
    day = D(2026, 6, 1)
    while day <= D(2026, 8, 1):
        run_billing(tenant=tenant, as_of=day)
        for kind, when, target in events:
            if when != day:
                continue
            current = Subscription.objects.get(pk=sub.pk)
            if kind == "change":
                apply_plan(subscription=current, plan=plans[target], effective=day)
            elif kind == "suspend":
                suspend(subscription=current, reason="customer away", on=day)
            elif kind == "reconnect":
                reconnect(subscription=current, on=day)
            else:
                terminate(subscription=current, reason="moving", on=day)
        day += dt.timedelta(days=1)

    first, last = D(2026, 6, 1), D(2026, 7, 31)
    covered, billed = _service_days(sub, first, last)
    expected_plans = _plan_days(events, first, last, {k: p.name for k, p in plans.items()})
    assert {day: plans_on for day, plans_on in covered.items() if plans_on != []} == {
        day: [plan] for day, plan in expected_plans.items() if plan is not None
    }
    assert {month: billed.get(month, Decimal(0)) for month in months} == {
        month: Decimal(net) for month, net in months.items()
    }


@pytest.mark.parametrize("charge_timing", ["next_invoice", "immediate"])
def test_two_changes_in_a_prepaid_month_credit_each_plan_once(
    make_tenant, make_plan, make_subscription, charge_timing
):
    """A 30.00, B 60.00, C 90.00, VAT 15 %: billed 1 June, B from 11 June, C from 21 June.
    June costs A 10.00 + B 20.00 + C 30.00 = 60.00 net; July C's 90.00."""
    tenant = make_tenant(proration_billing=charge_timing)
    a, b, c = (
        make_plan(tenant, name=name, monthly_price=price, tax_percent="15")
        for name, price in [("a30", "30.00"), ("b60", "60.00"), ("c90", "90.00")]
    )
    sub = make_subscription(tenant, plan=a, start_date=D(2026, 6, 1))
    run_billing(tenant=tenant, as_of=D(2026, 6, 1))
    apply_plan(subscription=sub, plan=b, effective=D(2026, 6, 11))
    apply_plan(subscription=Subscription.objects.get(pk=sub.pk), plan=c, effective=D(2026, 6, 21))
    june = Invoice.objects.filter(customer=sub.customer, issue_date__month=6)
    notes = CreditNote.objects.filter(customer=sub.customer).order_by("id")
    # A's 11-30 June once (20.00 + 3.00 VAT); B's 21-30 June from the line that billed it
    credited = [(n.subtotal, n.total, n.lines.get().invoice_line.description) for n in notes]
    if charge_timing == "immediate":
        assert credited == [
            (Decimal("20.00"), Decimal("23.00"), "a30 01 Jun 2026 - 30 Jun 2026"),
            (Decimal("20.00"), Decimal("23.00"), "b60 11 Jun 2026 - 30 Jun 2026 (prorated)"),
        ]
        assert [i.subtotal for i in june.order_by("id")] == [
            Decimal("30.00"),
            Decimal("40.00"),
            Decimal("30.00"),
        ]
    else:
        assert credited == [(Decimal("20.00"), Decimal("23.00"), "a30 01 Jun 2026 - 30 Jun 2026")]
        # B's pending charge is cut to 11-20 June instead of being credited later
        assert [
            (x.description, x.period_start, x.period_end, x.amount)
            for x in Charge.objects.filter(subscription=sub, invoice__isnull=True)
        ] == [
            ("b60 11 Jun 2026 - 20 Jun 2026 (prorated)", D(2026, 6, 11), D(2026, 6, 20), 20),
            ("c90 21 Jun 2026 - 30 Jun 2026 (prorated)", D(2026, 6, 21), D(2026, 6, 30), 30),
        ]
    run_billing(tenant=tenant, as_of=D(2026, 7, 1))
    july = Invoice.objects.get(customer=sub.customer, issue_date=D(2026, 7, 1))
    june_days = sum(
        (x.net_amount for x in july.lines.filter(period_end__lte=D(2026, 6, 30))), Decimal(0)
    )
    june_net = sum((i.subtotal for i in june), Decimal(0)) + june_days
    assert june_net - sum((n.subtotal for n in notes), Decimal(0)) == Decimal("60.00")
    assert july.subtotal - june_days == Decimal("90.00")


def _exact(plan_days, prices, days_in_period):
    return sum(
        (Decimal(prices[plan]) * days / days_in_period for plan, days in plan_days.items()),
        Decimal(0),
    )


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    changes=st.lists(
        st.tuples(st.integers(min_value=2, max_value=30), st.sampled_from("ABC")),
        min_size=1,
        max_size=4,
    ),
    prices=st.lists(
        st.decimals(min_value=Decimal("1.00"), max_value=Decimal("250.00"), places=2),
        min_size=3,
        max_size=3,
    ),
    variant=st.sampled_from(VARIANTS),
)
def test_random_changes_in_a_period_bill_each_plans_days_within_a_cent_a_line(
    make_tenant, make_plan, make_subscription, changes, prices, variant
):
    """For any changes within June, what June costs is the sum over plans of
    days on the plan / 30 x its price, within one cent per document line."""
    price_of = dict(zip("ABC", (str(p) for p in prices), strict=True))
    with transaction.atomic():
        tenant = make_tenant(proration_billing=variant[1])
        plans = {
            key: make_plan(
                tenant, name=key, monthly_price=price, tax_percent="15", billing_timing=variant[0]
            )
            for key, price in price_of.items()
        }
        sub = make_subscription(tenant, plan=plans["A"], start_date=D(2026, 6, 1))
        on_plan = {D(2026, 6, n): "A" for n in range(1, 31)}
        run_billing(tenant=tenant, as_of=D(2026, 6, 1))
        current = "A"
        for day, target in sorted(changes):
            if target == current:
                continue
            when = D(2026, 6, day)
            run_billing(tenant=tenant, as_of=when)
            apply_plan(
                subscription=Subscription.objects.get(pk=sub.pk), plan=plans[target], effective=when
            )
            current = target
            on_plan.update({D(2026, 6, n): target for n in range(day, 31)})
        run_billing(tenant=tenant, as_of=D(2026, 7, 1))

        covered, billed = _service_days(sub, D(2026, 6, 1), D(2026, 6, 30))
        assert covered == {day: [plan] for day, plan in on_plan.items()}
        days_on = {key: list(on_plan.values()).count(key) for key in "ABC"}
        documents = (
            InvoiceLine.objects.filter(subscription=sub, period_end__lte=D(2026, 6, 30)).count()
            + CreditNoteLine.objects.filter(invoice_line__subscription=sub).count()
        )
        assert abs(billed[6] - _exact(days_on, price_of, 30)) <= Decimal("0.01") * documents
        transaction.set_rollback(True)


def test_every_manual_charge_is_audited_with_its_actor_amount_and_description(
    tenant, plans, make_subscription, make_staff, api_client_for
):
    sub = make_subscription(tenant, plan=plans["basic"], start_date=D(2026, 1, 1))
    clerk = make_staff(tenant, "billing")
    charge = add_charge(
        subscription=sub,
        description="Router",
        amount="89.90",
        charge_date=D(2026, 1, 5),
        actor=clerk,
    )
    record = AuditLog.objects.get(action="charge.add", object_id=str(charge.pk))
    assert (record.actor, record.actor_label) == (clerk, clerk.username)
    assert (record.after["amount"], record.after["description"]) == ("89.90", "Router")

    # the back office's "Add a one-time charge" action names the clerk
    client = Client()
    client.force_login(clerk)
    client.post(
        reverse("admin:subscriptions_subscription_changelist"),
        {
            "action": "add_charge_action",
            "_selected_action": [sub.pk],
            "confirm": "1",
            "description": "Installation",
            "amount": "49.00",
        },
    )
    installed = Charge.objects.get(subscription=sub, description="Installation")
    record = AuditLog.objects.get(action="charge.add", object_id=str(installed.pk))
    assert (record.actor, record.after["amount"]) == (clerk, "49.00")

    # POST subscriptions/{id}/charges/ writes its record too
    response = api_client_for(tenant).post(
        f"/api/v1/subscriptions/{sub.pk}/charges/",
        {"description": "Late fee", "amount": "5.00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    record = AuditLog.objects.get(action="charge.add", object_id=str(response.json()["id"]))
    assert (record.after["amount"], record.after["description"]) == ("5.00", "Late fee")
