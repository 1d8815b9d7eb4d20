"""The stored months of revenue by service type (``reports.revenue``): a
closed month is computed once and read back to the cent as computed, the
current month is computed at each view, and every write that changes a
stored month's revenue (a document dated in it, an edited line, a top-up, an
exchange rate, a service type, the tenant's currency) makes the next report
compute it again: the triggers of migration 0007 on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import Invoice, InvoiceLine, LineKind
from ispstack.billing.proration import add_charge
from ispstack.billing.runner import run_billing
from ispstack.core import clock
from ispstack.core.errors import NotFound
from ispstack.core.models import ExchangeRate, JobExecution, Tenant
from ispstack.reports import revenue
from ispstack.reports.models import RevenueFact, RevenueFactMonth
from ispstack.reports.selectors import Filters
from ispstack.reports.tasks import store_revenue_facts_task
from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import TopUp

pytestmark = pytest.mark.django_db

D = dt.date
MAR, APR, MAY = D(2026, 3, 1), D(2026, 4, 1), D(2026, 5, 1)
EUR = Decimal


@contextmanager
def at(day: dt.date) -> Iterator[None]:
    with clock.simulated(dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC)):
        yield


def report(tenant: Tenant, **kw: Any) -> dict[tuple[dt.date, str, str], tuple[Decimal, Decimal]]:
    """The report of March to May on 10 May, keyed by month, kind and service."""
    with at(D(2026, 5, 10)):
        rows = revenue.revenue_by_service(tenant, Filters(start=MAR, end=MAY, **kw))
    return {(r.month, r.line_type, r.service): (r.invoiced, r.credited) for r in rows}


def stored(tenant: Tenant) -> list[dt.date]:
    return sorted(RevenueFactMonth.objects.filter(tenant=tenant).values_list("month", flat=True))


@pytest.fixture
def world(tenant, make_plan, make_customer, make_subscription):
    """Billed on the first of March, April and May: a fibre subscription (30.00
    EUR) with a 5.00 data top-up in March, and a wireless one of a USD
    customer (40.00 USD at 0.90 EUR)."""
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 1, 1), rate="0.9")
    fibre = make_subscription(tenant, plan=make_plan(tenant, monthly_price="30.00"), start_date=MAR)
    usd = make_customer(tenant, currency="USD")
    radio = make_subscription(
        tenant,
        customer=usd,
        plan=make_plan(tenant, monthly_price="40.00", currency="USD"),
        start_date=MAR,
    )
    Subscription.objects.filter(pk=fibre.pk).update(connection_type="ftth")
    Subscription.objects.filter(pk=radio.pk).update(connection_type="wireless")
    with at(D(2026, 2, 28)):
        charge = add_charge(subscription=fibre, description="10 GB top-up", amount="5.00")
        topup = TopUp.objects.create(
            tenant=tenant, subscription=fibre, cycle_start=MAR, extra_bytes=10**10, charge=charge
        )
    for month in (MAR, APR, MAY):
        with at(month):
            run_billing(tenant=tenant, as_of=month)
    return {"fibre": fibre, "radio": radio, "topup": topup}


BILLED = {
    (MAR, "recurring", "ftth"): (EUR("30.00"), EUR("0")),
    (MAR, "top_up", "ftth"): (EUR("5.00"), EUR("0")),
    (MAR, "recurring", "wireless"): (EUR("36.00"), EUR("0")),
    (APR, "recurring", "ftth"): (EUR("30.00"), EUR("0")),
    (APR, "recurring", "wireless"): (EUR("36.00"), EUR("0")),
    (MAY, "recurring", "ftth"): (EUR("30.00"), EUR("0")),
    (MAY, "recurring", "wireless"): (EUR("36.00"), EUR("0")),
}


def test_closed_months_are_stored_once_and_read_as_computed(tenant, world):
    assert report(tenant) == BILLED
    # March and April are closed on 10 May and stored; May is still invoiced.
    assert stored(tenant) == [MAR, APR]
    with at(D(2026, 5, 10)):
        computed = revenue._computed(tenant, Filters(start=MAR, end=MAY))
        assert revenue.store_months(tenant, [MAR, APR]) == 0
        with pytest.raises(ValueError, match="closed"):
            revenue.store_months(tenant, [MAY])
    assert {(r.month, r.line_type, r.service): (r.invoiced, r.credited) for r in computed} == BILLED
    # What is read back is what was computed: stored amounts at the minor unit.
    assert str(report(tenant)[(MAR, "recurring", "wireless")][0]) == "36.00"
    assert RevenueFact.objects.filter(tenant=tenant, month=MAR).count() == 3


def test_a_credit_note_dated_in_a_stored_month_is_read_again(tenant, world, make_tenant):
    other = make_tenant()
    with at(D(2026, 5, 10)):
        revenue.store_months(other, [MAR])
    report(tenant)
    march = Invoice.objects.get(customer=world["fibre"].customer, issue_date=MAR)
    line = march.lines.get(kind=LineKind.RECURRING)
    with at(D(2026, 3, 20)):
        create_credit_note(
            invoice=march, reason="Outage", lines=[{"line": line.pk, "amount": "12.50"}]
        )
    assert stored(tenant) == [APR]
    assert stored(other) == [MAR]
    assert report(tenant) == {**BILLED, (MAR, "recurring", "ftth"): (EUR("30.00"), EUR("12.50"))}


def test_a_line_edited_by_a_script_and_a_backdated_void_are_read_again(tenant, world):
    report(tenant)
    april = Invoice.objects.get(customer=world["fibre"].customer, issue_date=APR)
    InvoiceLine.objects.filter(invoice=april).update(net_amount=EUR("31.00"))
    assert stored(tenant) == [MAR]
    assert report(tenant)[(APR, "recurring", "ftth")] == (EUR("31.00"), EUR("0"))
    march = Invoice.objects.get(customer=world["radio"].customer, issue_date=MAR)
    Invoice.objects.filter(pk=march.pk).update(status="void", voided_on=D(2026, 4, 2))
    assert stored(tenant) == []
    rows = report(tenant)
    assert rows[(MAR, "recurring", "wireless")] == (EUR("36.00"), EUR("0"))
    assert rows[(APR, "recurring", "wireless")] == (EUR("0.00"), EUR("0"))


def test_a_bill_run_for_a_past_day_reaches_its_month(tenant, world, make_subscription, make_plan):
    report(tenant)
    late = make_subscription(
        tenant,
        plan=make_plan(tenant, monthly_price="20.00"),
        start_date=D(2026, 4, 10),
        billing_day=10,
    )
    Subscription.objects.filter(pk=late.pk).update(connection_type="ftth")
    assert stored(tenant) == []
    report(tenant)
    with at(D(2026, 4, 10)):
        run_billing(tenant=tenant, as_of=D(2026, 4, 10))
    assert stored(tenant) == [MAR]
    invoiced = report(tenant)[(APR, "recurring", "ftth")][0]
    assert invoiced == EUR("30.00") + Invoice.objects.get(customer=late.customer).subtotal


def test_a_top_up_removed_makes_its_line_a_one_time_charge(tenant, world):
    report(tenant)
    world["topup"].delete()
    assert stored(tenant) == [APR]
    rows = report(tenant)
    assert (MAR, "top_up", "ftth") not in rows
    assert rows[(MAR, "one_time", "ftth")] == (EUR("5.00"), EUR("0"))


def test_a_new_exchange_rate_forgets_its_month_and_every_later_one(tenant, world):
    report(tenant)
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 4, 1), rate="0.8")
    assert stored(tenant) == [MAR]
    rows = report(tenant)
    assert rows[(MAR, "recurring", "wireless")] == (EUR("36.00"), EUR("0"))
    assert rows[(APR, "recurring", "wireless")] == (EUR("32.00"), EUR("0"))


def test_a_service_type_or_tenant_currency_changed_forgets_every_month(tenant, world):
    report(tenant)
    Subscription.objects.filter(pk=world["radio"].pk).update(connection_type="cable")
    assert stored(tenant) == []
    assert report(tenant)[(MAR, "recurring", "cable")] == (EUR("36.00"), EUR("0"))
    Tenant.objects.filter(pk=tenant.pk).update(currency="CHF")
    assert stored(tenant) == []


def test_a_filtered_report_reads_the_documents(tenant, world):
    fibre_plan = world["fibre"].plan_id
    assert report(tenant, plan_id=fibre_plan) == {k: v for k, v in BILLED.items() if k[2] == "ftth"}
    assert stored(tenant) == []


def test_the_hourly_task_keeps_the_closed_months_stored(tenant, world):
    from django.conf import settings
    from django.core.management import call_command

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ispstack.reports.store_revenue_facts" in tasks
    out = io.StringIO()
    with at(D(2026, 5, 10)):
        counts = store_revenue_facts_task()
        call_command("jobs", "revenue-facts", stdout=out)
    # Nothing to do the next hour: no month is computed again.
    assert out.getvalue().strip() == "0 months stored for 1 tenants"
    assert counts == {"tenants": 1, "stored": revenue.KEPT_MONTHS}
    assert stored(tenant)[-2:] == [MAR, APR] and len(stored(tenant)) == revenue.KEPT_MONTHS
    runs = JobExecution.objects.filter(job="ispstack.reports.store_revenue_facts")
    assert [run.status for run in runs] == ["done", "done"]


def test_the_lock_key_is_the_migrations():
    migration = (
        pathlib.Path(revenue.__file__).parent / "migrations" / "0007_revenue_fact_triggers.py"
    )
    assert f"pg_advisory_xact_lock_shared({revenue.LOCK_KEY}," in migration.read_text()


def test_a_month_without_a_rate_is_refused_and_nothing_is_stored(tenant, world):
    ExchangeRate.objects.filter(tenant=tenant, currency="USD").delete()
    with pytest.raises(NotFound) as err:
        report(tenant)
    assert err.value.field == "currency" and "USD" in str(err.value)
    assert stored(tenant) == [] and not RevenueFact.objects.filter(tenant=tenant).exists()
