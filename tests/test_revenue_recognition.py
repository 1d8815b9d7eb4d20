"""Revenue recognition: the schedule of invoice lines, credits and voids,
its rounding, bundle allocation, closed months and tenancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.accounting.models import ChargeRecognitionTerm, RevenueScheduleEntry
from ispstack.accounting.recognition import allocate, daily_slices
from ispstack.accounting.selectors import deferred_balance, line_schedule, months
from ispstack.accounting.services import close_month, recognise_revenue, spread_charge
from ispstack.billing.models import Charge
from ispstack.billing.services import void_invoice
from ispstack.core import clock
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from tests import revenue_world as w

D = dt.date
pytestmark = pytest.mark.django_db


def at(day: dt.date) -> clock.simulated:
    return clock.simulated(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def rows(source_id: int, source: str = "line") -> dict[dt.date, Decimal]:
    out: dict[dt.date, Decimal] = {}
    for e in RevenueScheduleEntry.objects.filter(source=source, source_id=source_id):
        out[e.month] = out.get(e.month, Decimal(0)) + e.amount
    return out


def test_a_month_of_service_is_recognised_by_its_days_to_the_cent(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 15))
    fee = w.line(inv, "100.00", period=(D(2026, 1, 15), D(2026, 2, 14)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    # 17 of 31 days in January: 100 * 17 / 31 = 54.8387 -> 54.84; the rest in February.
    assert rows(fee.pk) == {D(2026, 1, 1): Decimal("54.84"), D(2026, 2, 1): Decimal("45.16")}
    assert rows(fee.pk) == daily_slices(Decimal("100.00"), D(2026, 1, 15), D(2026, 2, 14), "EUR")


def test_a_run_is_idempotent_and_skips_later_documents(tenant, make_customer):
    customer = make_customer(tenant)
    jan = w.invoice(tenant, customer, D(2026, 1, 1))
    w.line(jan, "30.00", period=(D(2026, 1, 1), D(2026, 1, 31)))
    feb = w.invoice(tenant, customer, D(2026, 2, 1))
    late = w.line(feb, "30.00", period=(D(2026, 2, 1), D(2026, 2, 28)))
    assert recognise_revenue(tenant=tenant, through=D(2026, 1, 31)).lines == 1
    assert recognise_revenue(tenant=tenant, through=D(2026, 1, 31)).lines == 0
    assert not RevenueScheduleEntry.objects.filter(source_id=late.pk).exists()
    assert recognise_revenue(tenant=tenant, through="2026-02-01").lines == 1
    assert RevenueScheduleEntry.objects.count() == 2


def test_one_time_fee_is_recognised_on_its_charge_date(tenant, make_subscription):
    sub = make_subscription(tenant)
    charge = Charge.objects.create(
        tenant=tenant,
        subscription=sub,
        description="Installation",
        amount=Decimal("99.00"),
        tax_rate=Decimal(0),
        charge_date=D(2026, 1, 20),
    )
    inv = w.invoice(tenant, sub.customer, D(2026, 2, 1))
    fee = w.line(inv, "99.00", kind="one_time", charge=charge, subscription=sub)
    recognise_revenue(tenant=tenant, through=D(2026, 2, 1))
    entry = RevenueScheduleEntry.objects.get(source_id=fee.pk)
    assert (entry.month, entry.recognised_on, entry.amount) == (
        D(2026, 1, 1),
        D(2026, 1, 20),
        Decimal("99.00"),
    )


def test_one_time_fee_with_a_term_is_spread_evenly_over_its_months(tenant, make_subscription):
    sub = make_subscription(tenant)
    charge = Charge.objects.create(
        tenant=tenant,
        subscription=sub,
        description="Installation",
        amount=Decimal("100.00"),
        tax_rate=Decimal(0),
        charge_date=D(2026, 1, 20),
    )
    with pytest.raises(InvalidInput) as err:
        spread_charge(charge=charge, months=0)
    assert err.value.field == "months"
    spread_charge(charge=charge, months=3)
    inv = w.invoice(tenant, sub.customer, D(2026, 2, 1))
    fee = w.line(inv, "100.00", kind="one_time", charge=charge, subscription=sub)
    recognise_revenue(tenant=tenant, through=D(2026, 2, 1))
    assert rows(fee.pk) == {
        D(2026, 2, 1): Decimal("33.33"),
        D(2026, 3, 1): Decimal("33.34"),
        D(2026, 4, 1): Decimal("33.33"),
    }
    with pytest.raises(Conflict):
        spread_charge(charge=charge, months=12)


def test_a_term_may_start_in_a_given_month(tenant, make_subscription):
    sub = make_subscription(tenant)
    charge = Charge.objects.create(
        tenant=tenant,
        subscription=sub,
        description="Router",
        amount=Decimal("10.00"),
        tax_rate=Decimal(0),
        charge_date=D(2026, 1, 20),
    )
    ChargeRecognitionTerm.objects.create(
        tenant=tenant, charge=charge, months=2, start_month=D(2026, 5, 1)
    )
    inv = w.invoice(tenant, sub.customer, D(2026, 2, 1))
    fee = w.line(inv, "10.00", kind="one_time", charge=charge, subscription=sub)
    recognise_revenue(tenant=tenant, through=D(2026, 2, 1))
    assert rows(fee.pk) == {D(2026, 5, 1): Decimal("5.00"), D(2026, 6, 1): Decimal("5.00")}


def test_bundle_discount_is_allocated_by_standalone_selling_price(tenant, make_subscription):
    sub = make_subscription(tenant)
    inv = w.invoice(tenant, sub.customer, D(2026, 3, 1))
    period = (D(2026, 3, 1), D(2026, 3, 31))
    plan = w.line(inv, "49.99", period=period, subscription=sub)
    tv = w.line(inv, "15.00", kind="addon", period=period, subscription=sub)
    ip = w.line(inv, "5.01", kind="addon", period=period, subscription=sub)
    discount = w.line(inv, "-10.00", kind="discount", subscription=sub)
    recognise_revenue(tenant=tenant, through=D(2026, 3, 1))
    shares = {
        e.obligation_id: e.amount
        for e in RevenueScheduleEntry.objects.filter(source="line", source_id=discount.pk)
    }
    # 10.00 over 49.99 / 15.00 / 5.01 (70.00): 7.1414 -> 7.14, 2.1429 -> 2.14 (9.29
    # cumulative 9.2843 -> 9.28, so 2.14), and the last 0.72 makes exactly 10.00.
    assert shares == {plan.pk: Decimal("-7.14"), tv.pk: Decimal("-2.14"), ip.pk: Decimal("-0.72")}
    assert sum(shares.values()) == Decimal("-10.00")
    assert allocate(
        Decimal("-10.00"), [Decimal("49.99"), Decimal("15.00"), Decimal("5.01")], "EUR"
    ) == [Decimal("-7.14"), Decimal("-2.14"), Decimal("-0.72")]
    march = months(tenant, D(2026, 3, 1), D(2026, 3, 31))[0]
    assert march.recognised == Decimal("60.00")
    assert march.by_kind == {"addon": Decimal("17.15"), "recurring": Decimal("42.85")}
    assert march.by_service == {sub.connection_type: Decimal("60.00")}


def test_a_discount_spreads_over_the_days_of_its_components(tenant, make_subscription):
    sub = make_subscription(tenant)
    inv = w.invoice(tenant, sub.customer, D(2026, 3, 15))
    w.line(inv, "31.00", period=(D(2026, 3, 15), D(2026, 4, 14)), subscription=sub)
    discount = w.line(inv, "-3.10", kind="discount", subscription=sub)
    recognise_revenue(tenant=tenant, through=D(2026, 3, 31))
    assert rows(discount.pk) == {D(2026, 3, 1): Decimal("-1.70"), D(2026, 4, 1): Decimal("-1.40")}


def test_credit_note_takes_back_its_days(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    fee = w.line(inv, "62.00", period=(D(2026, 1, 1), D(2026, 2, 28)))  # 59 days
    back = w.credit(fee, "10.00", D(2026, 1, 20), period=(D(2026, 1, 21), D(2026, 1, 30)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    assert rows(back.pk, "credit") == {D(2026, 1, 1): Decimal("-10.00")}
    assert [e.source for e in line_schedule(tenant, fee.pk)] == ["credit", "line", "line"]


def test_closed_month_is_untouched_by_a_later_credit_note(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    fee = w.line(inv, "31.00", period=(D(2026, 1, 1), D(2026, 1, 31)))
    with at(D(2026, 2, 3)):
        close_month(tenant=tenant, month=D(2026, 1, 1))
    january = list(RevenueScheduleEntry.objects.filter(month=D(2026, 1, 1)).values())
    assert [r["amount"] for r in january] == [Decimal("31.00")]
    # Dated in the closed January, crediting January's days 21..31.
    back = w.credit(fee, "11.00", D(2026, 1, 25), period=(D(2026, 1, 21), D(2026, 1, 31)))
    with at(D(2026, 2, 10)):
        recognise_revenue(tenant=tenant, through=D(2026, 2, 10))
    assert list(RevenueScheduleEntry.objects.filter(month=D(2026, 1, 1)).values()) == january
    entry = RevenueScheduleEntry.objects.get(source="credit", source_id=back.pk)
    assert (entry.month, entry.amount, entry.recognised_on) == (
        D(2026, 2, 1),
        Decimal("-11.00"),
        D(2026, 2, 1),
    )


def test_close_runs_recognition_first_and_refuses_open_months(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 5))
    fee = w.line(inv, "20.00", period=(D(2026, 1, 5), D(2026, 2, 4)))
    with at(D(2026, 1, 20)), pytest.raises(InvalidInput) as err:
        close_month(tenant=tenant, month=D(2026, 1, 1))
    assert err.value.field == "month"
    assert not RevenueScheduleEntry.objects.exists()
    with at(D(2026, 2, 2)):
        close_month(tenant=tenant, month=D(2026, 1, 1))
    assert sum(rows(fee.pk).values()) == Decimal("20.00")
    assert months(tenant, D(2026, 1, 1), D(2026, 2, 1))[0].closed


def test_void_invoice_is_reversed_from_its_void_month(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    fee = w.line(inv, "59.00", period=(D(2026, 1, 1), D(2026, 2, 28)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    with at(D(2026, 2, 10)):
        void_invoice(invoice=inv, reason="wrong customer")
        recognise_revenue(tenant=tenant, through=D(2026, 2, 10))
    assert rows(fee.pk, "void") == {D(2026, 2, 1): Decimal("-59.00")}
    assert deferred_balance(tenant, D(2026, 2, 28))[0].invoiced == Decimal(0)


def test_a_void_keeps_its_day_when_the_invoice_changes_later(tenant, make_customer):
    """The void is dated when it happened (``voided_on``), not by the
    invoice's last change: here a resend in April."""
    from ispstack.billing.models import Invoice

    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    fee = w.line(inv, "59.00", period=(D(2026, 1, 1), D(2026, 2, 28)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    with at(D(2026, 2, 10)):
        void_invoice(invoice=inv, reason="wrong customer")
    with at(D(2026, 4, 2)):
        Invoice.objects.filter(pk=inv.pk).update(sent_at=clock.now(), updated_at=clock.now())
        recognise_revenue(tenant=tenant, through=D(2026, 4, 2))
    assert Invoice.objects.get(pk=inv.pk).voided_on == D(2026, 2, 10)
    assert rows(fee.pk, "void") == {D(2026, 2, 1): Decimal("-59.00")}


def test_deferred_balance_is_invoiced_minus_recognised(tenant, make_customer):
    inv = w.invoice(tenant, make_customer(tenant), D(2026, 1, 1))
    w.line(inv, "365.00", period=(D(2026, 1, 1), D(2026, 12, 31)))
    recognise_revenue(tenant=tenant, through=D(2026, 1, 1))
    (jan,) = deferred_balance(tenant, D(2026, 1, 31))
    assert (jan.currency, jan.invoiced, jan.recognised, jan.deferred) == (
        "EUR",
        Decimal("365.00"),
        Decimal("31.00"),
        Decimal("334.00"),
    )
    assert months(tenant, D(2026, 3, 1), D(2026, 3, 1))[0].deferred_end == Decimal("275.00")


def test_other_tenants_schedule_is_neither_written_nor_read(make_tenant, make_customer):
    mine, theirs = make_tenant(), make_tenant()
    inv = w.invoice(theirs, make_customer(theirs), D(2026, 1, 1))
    fee = w.line(inv, "30.00", period=(D(2026, 1, 1), D(2026, 1, 31)))
    assert recognise_revenue(tenant=mine, through=D(2026, 1, 31)).lines == 0
    recognise_revenue(tenant=theirs, through=D(2026, 1, 31))
    assert deferred_balance(mine, D(2026, 1, 31)) == []
    assert months(mine, D(2026, 1, 1), D(2026, 1, 1)) == []
    with pytest.raises(NotFound):
        line_schedule(mine, fee.pk)
    assert len(line_schedule(theirs, fee.pk)) == 1


def test_bad_dates_name_the_field(tenant):
    with pytest.raises(InvalidInput) as err:
        recognise_revenue(tenant=tenant, through="soon")
    assert err.value.field == "through"
    with pytest.raises(InvalidInput) as err:
        months(tenant, D(2026, 3, 1), D(2026, 1, 1))
    assert err.value.field == "end"


def test_closing_a_month_posts_its_recognised_service_to_the_journal(tenant, make_customer):
    from ispstack.accounting.journal.selectors import role_balance
    from ispstack.accounting.models import JournalEntry, PostingKind, PostingRole
    from ispstack.accounting.services import post_recognised_revenue

    inv = w.invoice(
        tenant,
        make_customer(tenant),
        D(2026, 1, 15),
        subtotal=Decimal("100.00"),
        total=Decimal("100.00"),
    )
    fee = w.line(inv, "100.00", period=(D(2026, 1, 15), D(2026, 2, 14)))
    with at(D(2026, 2, 2)):
        close_month(tenant=tenant, month=D(2026, 1, 1))
    january = rows(fee.pk)[D(2026, 1, 1)]
    # 17 of the 31 service days fall in January.
    assert january == Decimal("54.84")
    currency = inv.currency
    # The journal's deferred revenue is what was invoiced less what is recognised.
    assert role_balance(tenant, PostingRole.DEFERRED_REVENUE, currency) == january - Decimal(100)
    assert role_balance(tenant, PostingRole.REVENUE, currency) == -january
    with at(D(2026, 2, 3)):
        post_recognised_revenue(tenant=tenant, month=D(2026, 1, 1))
    assert JournalEntry.objects.filter(tenant=tenant, kind=PostingKind.RECOGNITION).count() == 1
