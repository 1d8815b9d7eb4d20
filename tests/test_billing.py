"""Billing, as a finance team's test book: plan, events with dates, expected
invoice lines to the cent. Then the run's guarantees: idempotent re-runs and
a crashed run that resumes with no duplicate and no gap in numbering."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing import services as billing
from ispstack.billing.models import BillingRun, Invoice, InvoiceLine
from ispstack.billing.periods import period_starting, periods_due
from ispstack.subscriptions.services import suspend, terminate

pytestmark = pytest.mark.django_db
D = dt.date

# plan price, tax %, currency, billing day, service start, run dates,
# expected lines as (period start, period end, net, tax)
SCENARIOS = {
    "starts on its billing day: a full month": (
        "30.00",
        "19",
        "EUR",
        1,
        D(2026, 1, 1),
        [D(2026, 1, 1)],
        [(D(2026, 1, 1), D(2026, 1, 31), "30.00", "5.70")],
    ),
    "starts mid-month: 17 of 31 days, then full months": (
        "30.00",
        "19",
        "EUR",
        1,
        D(2026, 1, 15),
        [D(2026, 1, 15), D(2026, 2, 1), D(2026, 3, 1)],
        [
            (D(2026, 1, 15), D(2026, 1, 31), "16.45", "3.13"),
            (D(2026, 2, 1), D(2026, 2, 28), "30.00", "5.70"),
            (D(2026, 3, 1), D(2026, 3, 31), "30.00", "5.70"),
        ],
    ),
    "billing day 31 clamps to 28 Feb: 18 of 28 days": (
        "30.00",
        "19",
        "EUR",
        31,
        D(2026, 2, 10),
        [D(2026, 2, 10), D(2026, 2, 28)],
        [
            (D(2026, 2, 10), D(2026, 2, 27), "19.29", "3.67"),
            (D(2026, 2, 28), D(2026, 3, 30), "30.00", "5.70"),
        ],
    ),
    "billing day 30 after February: 29 of 30 days": (
        "30.00",
        "19",
        "EUR",
        30,
        D(2026, 3, 1),
        [D(2026, 3, 1)],
        [(D(2026, 3, 1), D(2026, 3, 29), "29.00", "5.51")],
    ),
    "VAT 15 % in ZAR, billing day 25, started on the 5th: 20 of 31 days": (
        "299.00",
        "15",
        "ZAR",
        25,
        D(2026, 4, 5),
        [D(2026, 4, 5), D(2026, 4, 25)],
        [
            (D(2026, 4, 5), D(2026, 4, 24), "192.90", "28.94"),
            (D(2026, 4, 25), D(2026, 5, 24), "299.00", "44.85"),
        ],
    ),
    "a late first run catches up every period, one invoice each": (
        "30.00",
        "19",
        "EUR",
        5,
        D(2026, 1, 5),
        [D(2026, 3, 10)],
        [
            (D(2026, 1, 5), D(2026, 2, 4), "30.00", "5.70"),
            (D(2026, 2, 5), D(2026, 3, 4), "30.00", "5.70"),
            (D(2026, 3, 5), D(2026, 4, 4), "30.00", "5.70"),
        ],
    ),
    "tax half a cent rounds up: 9.99 at 15 % is 1.4985 -> 1.50": (
        "9.99",
        "15",
        "EUR",
        1,
        D(2026, 1, 1),
        [D(2026, 1, 1)],
        [(D(2026, 1, 1), D(2026, 1, 31), "9.99", "1.50")],
    ),
    "yen have no minor unit: 1000 JPY for 10 of 30 days is 333": (
        "1000",
        "10",
        "JPY",
        1,
        D(2026, 4, 21),
        [D(2026, 4, 21)],
        [(D(2026, 4, 21), D(2026, 4, 30), "333", "33")],
    ),
    "a run before the service starts bills nothing": (
        "30.00",
        "19",
        "EUR",
        1,
        D(2026, 5, 10),
        [D(2026, 5, 9)],
        [],
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_billing_scenario(name, make_tenant, make_customer, make_plan, make_subscription):
    price, tax, currency, day, start, runs, expected = SCENARIOS[name]
    tenant = make_tenant(currency=currency)
    plan = make_plan(tenant, monthly_price=price, tax_percent=tax, currency=currency)
    customer = make_customer(tenant, currency=currency)
    sub = make_subscription(tenant, plan=plan, customer=customer, billing_day=day, start_date=start)
    for as_of in runs:
        billing.run_billing(tenant=tenant, as_of=as_of)
    lines = InvoiceLine.objects.filter(subscription=sub).order_by("period_start")
    got = [(x.period_start, x.period_end, x.net_amount, x.tax_amount) for x in lines]
    assert got == [(s, e, Decimal(n), Decimal(t)) for s, e, n, t in expected]
    for invoice in Invoice.objects.filter(customer=customer):
        assert invoice.subtotal + invoice.tax_total == invoice.total
        assert invoice.total == sum(x.total for x in invoice.lines.all())
        assert invoice.currency == currency


def test_invoice_dates_and_numbers(make_tenant, make_subscription):
    tenant = make_tenant(invoice_net_days=10)
    make_subscription(tenant, start_date=D(2026, 1, 1))
    make_subscription(tenant, start_date=D(2026, 1, 1))
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoices = Invoice.objects.filter(tenant=tenant).order_by("number")
    assert [i.number for i in invoices] == ["INV-2026-00001", "INV-2026-00002"]
    assert {(i.issue_date, i.due_date, i.status) for i in invoices} == {
        (D(2026, 1, 1), D(2026, 1, 11), "issued")
    }


def test_a_rerun_bills_nothing_twice(tenant, make_subscription):
    for _ in range(3):
        make_subscription(tenant, start_date=D(2026, 1, 10))
    first = billing.run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    second = billing.run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert (first.invoices_created, second.invoices_created) == (3, 0)
    assert Invoice.objects.filter(tenant=tenant).count() == 3
    assert InvoiceLine.objects.filter(tenant=tenant).count() == 6


def test_the_database_refuses_a_second_line_for_the_same_period(tenant, make_subscription):
    from django.db import IntegrityError, transaction

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    line = InvoiceLine.objects.get(subscription=sub)
    line.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_a_run_that_dies_after_n_invoices_resumes_without_duplicates_or_gaps(
    tenant, make_subscription, monkeypatch
):
    from ispstack.billing import writer

    subs = [make_subscription(tenant, start_date=D(2026, 1, 1)) for _ in range(5)]
    real_write = writer.write_drafts
    calls = []

    def dying_write(run, drafts):
        calls.append(len(drafts))
        if len(calls) == 2:
            real_write(run, drafts)
            raise KeyboardInterrupt("operator stopped the run after its second chunk")
        return real_write(run, drafts)

    monkeypatch.setattr(writer, "write_drafts", dying_write)
    with pytest.raises(KeyboardInterrupt):
        billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1), chunk_size=2)
    assert Invoice.objects.filter(tenant=tenant).count() == 4  # chunks 1 and 2 committed

    monkeypatch.setattr(writer, "write_drafts", real_write)
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1), chunk_size=2)
    numbers = sorted(Invoice.objects.filter(tenant=tenant).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, 6)]
    for sub in subs:
        assert InvoiceLine.objects.filter(subscription=sub).count() == 1


def test_one_bad_subscription_fails_alone(tenant, make_subscription, make_plan):
    good = make_subscription(tenant, start_date=D(2026, 1, 1))
    usd_plan = make_plan(tenant, currency="USD")
    bad = make_subscription(tenant, plan=usd_plan, start_date=D(2026, 1, 1))
    run = billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert run.status == BillingRun.Status.DONE
    assert run.invoices_created == 1
    assert [f.username for f in run.failures.all()] == [bad.username]
    assert "USD" in run.failures.get().error
    assert InvoiceLine.objects.filter(subscription=good).count() == 1
    assert not InvoiceLine.objects.filter(subscription=bad).exists()


def test_suspended_subscriptions_are_billed_and_terminated_ones_stop(tenant, make_subscription):
    suspended = make_subscription(tenant, start_date=D(2026, 1, 1))
    ended = make_subscription(tenant, start_date=D(2026, 1, 1))
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    suspend(subscription=suspended, reason="customer asked")
    terminate(subscription=ended, reason="moved", on=D(2026, 1, 20))
    billing.run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert InvoiceLine.objects.filter(subscription=suspended).count() == 2
    assert InvoiceLine.objects.filter(subscription=ended).count() == 1


def test_pending_subscriptions_are_not_billed(tenant, make_subscription):
    sub = make_subscription(tenant, active=False, start_date=D(2026, 1, 1))
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert not InvoiceLine.objects.filter(subscription=sub).exists()


def test_void_needs_a_reason_and_refuses_paid_invoices(tenant, make_subscription):
    from ispstack.core.errors import InvalidInput, InvalidTransition
    from ispstack.payments.services import record_payment

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    with pytest.raises(InvalidInput):
        billing.void_invoice(invoice=invoice, reason=" ")
    record_payment(tenant=tenant, customer=sub.customer, amount="1.00")
    with pytest.raises(InvalidTransition):
        billing.void_invoice(invoice=Invoice.objects.get(pk=invoice.pk), reason="mistake")


@pytest.mark.parametrize(
    ("start", "day", "full_days"),
    [(D(2024, 2, 29), 29, 29), (D(2026, 12, 31), 31, 31), (D(2026, 1, 30), 30, 29)],
)
def test_periods_are_contiguous_across_month_ends(start, day, full_days):
    periods = periods_due(
        service_start=start, billing_day=day, as_of=start + dt.timedelta(days=365)
    )
    assert all(
        b.start == a.end + dt.timedelta(days=1) for a, b in zip(periods, periods[1:], strict=False)
    )
    assert len(periods) in (12, 13)
    assert period_starting(start, day).full_days == full_days


CYCLE_SCENARIOS = {
    "quarterly in advance: 3 x 30.00, then the next quarter": (
        3,
        "advance",
        D(2026, 1, 1),
        [D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 1)],
        [(D(2026, 1, 1), D(2026, 3, 31), "90.00"), (D(2026, 4, 1), D(2026, 6, 30), "90.00")],
    ),
    "annual started mid-March renews every March: 350 of 365 days of 360.00": (
        12,
        "advance",
        D(2026, 3, 16),
        [D(2026, 3, 16), D(2027, 3, 1)],
        [(D(2026, 3, 16), D(2027, 2, 28), "345.21"), (D(2027, 3, 1), D(2028, 2, 29), "360.00")],
    ),
    "monthly in arrears: invoiced the day after the month ends": (
        1,
        "arrears",
        D(2026, 1, 10),
        [D(2026, 1, 31), D(2026, 2, 1), D(2026, 3, 1)],
        [(D(2026, 1, 10), D(2026, 1, 31), "21.29"), (D(2026, 2, 1), D(2026, 2, 28), "30.00")],
    ),
}


@pytest.mark.parametrize("name", list(CYCLE_SCENARIOS))
def test_billing_cycles_and_timing(name, tenant, make_plan, make_subscription):
    months, timing, start, runs, expected = CYCLE_SCENARIOS[name]
    plan = make_plan(tenant, monthly_price="30.00", cycle_months=months, billing_timing=timing)
    sub = make_subscription(tenant, plan=plan, start_date=start, billing_day=1)
    for as_of in runs:
        billing.run_billing(tenant=tenant, as_of=as_of)
    lines = InvoiceLine.objects.filter(subscription=sub).order_by("period_start")
    assert [(x.period_start, x.period_end, x.net_amount) for x in lines] == [
        (s, e, Decimal(n)) for s, e, n in expected
    ]


def test_a_chunk_retried_one_by_one_still_counts_once(tenant, make_subscription, monkeypatch):
    from ispstack.billing import writer

    for _ in range(4):
        make_subscription(tenant, start_date=D(2026, 1, 1))
    real_write = writer.write_drafts
    failed = []

    def flaky(run, drafts):
        if len(drafts) > 1 and not failed:
            failed.append(len(drafts))
            raise RuntimeError("deadlock detected")
        return real_write(run, drafts)

    monkeypatch.setattr(writer, "write_drafts", flaky)
    run = billing.run_billing(tenant=tenant, as_of=D(2026, 1, 1), chunk_size=2)
    assert failed == [2]
    assert (run.chunks_total, run.chunks_done, run.invoices_created) == (2, 2, 4)
    assert run.status == BillingRun.Status.DONE
