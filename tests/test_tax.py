"""Tax: classes with regional and dated rates, exempt customers, prices with
tax included, rounding per line or per invoice; and a hypothesis check over
10,000 random invoices that lines always add up to the totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ispstack.billing.engine import OneTimeItem, RecurringItem, compute
from ispstack.billing.models import CreditNote, Invoice, InvoiceLine
from ispstack.billing.services import run_billing
from ispstack.catalog.models import TaxRate
from ispstack.core.errors import InvalidInput
from ispstack.customers.services import create_customer
from ispstack.subscriptions.services import apply_plan

pytestmark = pytest.mark.django_db
D = dt.date


def _line(sub):
    line = InvoiceLine.objects.filter(subscription=sub).order_by("-id").first()
    return line.net_amount, line.tax_rate, line.tax_amount


def test_exempt_customer_pays_no_tax_and_the_invoice_says_why(tenant, make_subscription):
    customer = create_customer(
        tenant=tenant,
        name="Embassy",
        email="it@embassy.example",
        tax_exempt=True,
        tax_exemption_reference="VAT Act s.11(2)",
    )
    sub = make_subscription(tenant, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert _line(sub) == (Decimal("30.00"), Decimal("0"), Decimal("0"))
    assert Invoice.objects.get(customer=customer).tax_note == "Tax exempt: VAT Act s.11(2)"
    with pytest.raises(InvalidInput) as err:
        create_customer(tenant=tenant, name="X", email="x@example.net", tax_exempt=True)
    assert err.value.field == "tax_exemption_reference"


def test_regional_rate_for_the_customers_service_country(
    tenant, make_plan, make_subscription, make_customer
):
    plan = make_plan(tenant, monthly_price="30.00", tax_percent="19")
    TaxRate.objects.create(
        tenant=tenant, name="AT VAT", tax_class="standard", region="AT", rate=Decimal("20")
    )
    austrian = make_customer(tenant, service_country="AT")
    german = make_customer(tenant, service_country="DE")
    at_sub = make_subscription(tenant, plan=plan, customer=austrian, start_date=D(2026, 1, 1))
    de_sub = make_subscription(tenant, plan=plan, customer=german, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert _line(at_sub) == (Decimal("30.00"), Decimal("20"), Decimal("6.00"))
    assert _line(de_sub) == (Decimal("30.00"), Decimal("19"), Decimal("5.70"))


def test_a_rate_change_applies_from_its_validity_date(make_tenant, make_plan, make_subscription):
    tenant = make_tenant(currency="ZAR")
    plan = make_plan(tenant, monthly_price="299.00", tax_percent="15", currency="ZAR")
    TaxRate.objects.filter(tenant=tenant).update(valid_to=D(2026, 1, 31))
    TaxRate.objects.create(
        tenant=tenant, name="VAT 16", rate=Decimal("16"), valid_from=D(2026, 2, 1)
    )
    customer = create_customer(tenant=tenant, name="A", email="a@example.net", currency="ZAR")
    sub = make_subscription(tenant, plan=plan, customer=customer, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert _line(sub) == (Decimal("299.00"), Decimal("15"), Decimal("44.85"))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert _line(sub) == (Decimal("299.00"), Decimal("16"), Decimal("47.84"))


def test_prices_with_tax_included(make_tenant, make_plan, make_subscription):
    tenant = make_tenant(prices_include_tax=True)
    sub = make_subscription(
        tenant, plan=make_plan(tenant, monthly_price="29.99"), start_date=D(2026, 1, 1)
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    # 29.99 gross at 19 %: tax 29.99 x 19/119 = 4.788... -> 4.79, net 25.20
    assert _line(sub) == (Decimal("25.20"), Decimal("19"), Decimal("4.79"))
    assert Invoice.objects.get(customer=sub.customer).total == Decimal("29.99")


def test_rounding_per_invoice_rounds_each_rates_tax_once():
    items = [
        RecurringItem(
            kind="recurring",
            ref=n,
            name=f"Item {n}",
            monthly_price=Decimal("0.10"),
            tax_rate=Decimal("15"),
            start=D(2026, 1, 1),
        )
        for n in range(3)
    ]
    per_line = compute(items=items, charges=[], billing_day=1, as_of=D(2026, 1, 1), currency="EUR")
    per_invoice = compute(
        items=items,
        charges=[],
        billing_day=1,
        as_of=D(2026, 1, 1),
        currency="EUR",
        rounding="invoice",
    )
    # 3 lines of 0.10 at 15 %: per line 3 x 0.015 -> 3 x 0.02 = 0.06; per invoice 0.045 -> 0.05
    assert per_line.tax_total == Decimal("0.06")
    assert per_invoice.tax_total == Decimal("0.05")
    assert sorted(line.tax_amount for line in per_invoice.lines) == [
        Decimal("0.01"),
        Decimal("0.02"),
        Decimal("0.02"),
    ]


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("2000"), places=4)
rates = st.sampled_from([Decimal(r) for r in ("0", "5", "7.5", "14", "15", "16", "19", "21")])


@settings(max_examples=10_000, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(money, rates, st.integers(min_value=1, max_value=28)), min_size=1, max_size=6
    ),
    st.lists(st.tuples(money, rates), max_size=3),
    st.booleans(),
    st.sampled_from(["line", "invoice"]),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_no_rounding_drift_over_random_invoices(recurring, one_time, inclusive, rounding, currency):
    """Lines add up to the totals exactly; every amount is in the currency's
    minor unit; and the tax total is within half a minor unit per rate of the
    exact tax."""
    from ispstack.core.money import quantum, round_money

    items = [
        RecurringItem(
            kind="recurring",
            ref=n,
            name="x",
            monthly_price=price,
            tax_rate=rate,
            start=D(2026, 1, day),
        )
        for n, (price, rate, day) in enumerate(recurring)
    ]
    charges = [
        OneTimeItem(ref=n, description="c", amount=amount, tax_rate=rate)
        for n, (amount, rate) in enumerate(one_time)
    ]
    draft = compute(
        items=items,
        charges=charges,
        billing_day=1,
        as_of=D(2026, 1, 28),
        currency=currency,
        inclusive=inclusive,
        rounding=rounding,
    )
    unit = quantum(currency)
    assert draft.subtotal == sum(line.net_amount for line in draft.lines)
    assert draft.tax_total == sum(line.tax_amount for line in draft.lines)
    assert draft.total == draft.subtotal + draft.tax_total
    for line in draft.lines:
        assert line.net_amount == line.net_amount.quantize(unit)
        assert line.tax_amount == line.tax_amount.quantize(unit)
        if inclusive:
            assert line.total == round_money(line.total, currency)
    by_rate: dict[Decimal, list] = {}
    for line in draft.lines:
        by_rate.setdefault(line.tax_rate, []).append(line)
    for rate, lines in by_rate.items():
        if inclusive:
            exact = sum(x.total for x in lines) * rate / (100 + rate)
        else:
            exact = sum(x.net_amount for x in lines) * rate / 100
        tax = sum(x.tax_amount for x in lines)
        slack = unit / 2 if rounding == "invoice" else unit / 2 * len(lines)
        assert abs(tax - exact) <= slack


@pytest.mark.parametrize("charge_timing", ["next_invoice", "immediate"])
def test_a_plan_change_is_taxed_like_the_billing_run_for_the_region_and_the_day(
    make_tenant, make_plan, make_subscription, make_customer, charge_timing
):
    """An Austrian service address (20 %, 22 % from 16 June) of a tenant whose plans
    name 19 %: the change on 21 June is charged at 22 %, as a period billed from then is."""
    tenant = make_tenant(proration_billing=charge_timing)
    basic = make_plan(tenant, name="Basic", monthly_price="30.00", tax_percent="19")
    fast = make_plan(tenant, name="Fast", monthly_price="60.00", tax_percent="19")
    TaxRate.objects.create(
        tenant=tenant, name="AT 20", region="AT", rate=Decimal("20"), valid_to=D(2026, 6, 15)
    )
    TaxRate.objects.create(
        tenant=tenant, name="AT 22", region="AT", rate=Decimal("22"), valid_from=D(2026, 6, 16)
    )
    austrian = make_customer(tenant, billing_country="DE", service_country="AT")
    sub = make_subscription(tenant, plan=basic, customer=austrian, start_date=D(2026, 6, 1))
    # the same days billed by a run: a subscription starting on 21 June
    neighbour = make_subscription(
        tenant,
        plan=fast,
        customer=make_customer(tenant, service_country="AT"),
        start_date=D(2026, 6, 21),
    )
    run_billing(tenant=tenant, as_of=D(2026, 6, 1))
    apply_plan(subscription=sub, plan=fast, effective=D(2026, 6, 21))
    run_billing(tenant=tenant, as_of=D(2026, 6, 21))
    run_billing(tenant=tenant, as_of=D(2026, 7, 1))

    run_line = InvoiceLine.objects.get(subscription=neighbour, period_start=D(2026, 6, 21))
    assert (run_line.net_amount, run_line.tax_rate, run_line.tax_amount) == (
        Decimal("20.00"),
        Decimal("22"),
        Decimal("4.40"),
    )
    # Fast 21-30 June: 60.00 x 10/30 = 20.00, at the run's 22 % = 4.40
    change = InvoiceLine.objects.get(subscription=sub, kind="proration")
    assert (change.net_amount, change.tax_rate, change.tax_amount) == (
        Decimal("20.00"),
        run_line.tax_rate,
        Decimal("4.40"),
    )
    # Basic's June line was taxed at the 20 % of 1 June; its credit takes back at that rate
    note = CreditNote.objects.get(customer=austrian)
    assert (note.subtotal, note.tax_total) == (Decimal("10.00"), Decimal("2.00"))
    july = InvoiceLine.objects.get(subscription=sub, period_start=D(2026, 7, 1))
    assert (july.tax_rate, july.tax_amount) == (Decimal("22"), Decimal("13.20"))
