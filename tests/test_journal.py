"""The double-entry journal: the default chart, the posting of invoices,
credit notes, payments, reversals, refunds and voids, booking into the first
open month, idempotent re-runs, revenue recognition and the database's own
balance check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ispstack.accounting.chart import ensure_chart
from ispstack.accounting.journal.entries import Unbalanced, write_entry
from ispstack.accounting.journal.recognition import post_recognition
from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.models import (
    Account,
    AccountMapping,
    JournalEntry,
    JournalLine,
    PostingRole,
)
from ispstack.accounting.periods import close_period
from ispstack.accounting.services import spread_charge
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import Invoice
from ispstack.billing.proration import add_charge
from ispstack.billing.services import run_billing, void_invoice
from ispstack.core import clock
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.payments.services import record_payment, record_refund, reverse_payment

pytestmark = pytest.mark.django_db
D = dt.date
Z = Decimal("0")


def lines_of(entry: JournalEntry) -> dict[str, tuple[Decimal, Decimal]]:
    """{account code: (debit, credit)} of an entry."""
    return {
        line.account.code: (line.debit, line.credit)
        for line in entry.lines.select_related("account")
    }


def entry_of(source_type: str, source_id: int, kind: str) -> JournalEntry:
    return JournalEntry.objects.get(source_type=source_type, source_id=source_id, kind=kind)


@pytest.fixture
def invoice(tenant, make_subscription):
    """30.00 net monthly service + 19 % VAT = 35.70 EUR, issued 1 Jan 2026."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    return Invoice.objects.get(customer=sub.customer)


def test_a_tenant_gets_the_default_chart_once(tenant, make_tenant):
    assert ensure_chart(tenant) is True
    assert ensure_chart(tenant) is False
    codes = set(Account.objects.for_tenant(tenant).values_list("code", flat=True))
    assert {"1100", "1200", "2100", "2200", "4000", "4100", "4900", "6900"} <= codes
    receivable = AccountMapping.objects.get(tenant=tenant, role=PostingRole.RECEIVABLE, key="")
    assert receivable.account.code == "1200"
    other = make_tenant()
    assert not Account.objects.for_tenant(other).exists()  # each tenant its own chart


def test_an_issued_invoice_defers_the_service_and_owes_the_tax(tenant, invoice):
    counts = post_journal(tenant=tenant, through=D(2026, 1, 31))
    assert counts["invoice.issue"] == 1
    entry = entry_of("invoice", invoice.pk, "issue")
    assert entry.number == "JE-2026-000001"
    assert (entry.document_date, entry.booking_date, entry.period) == (
        D(2026, 1, 1),
        D(2026, 1, 1),
        D(2026, 1, 1),
    )
    assert entry.currency == "EUR"
    assert lines_of(entry) == {
        "1200": (Decimal("35.70"), Z),
        "2100": (Z, Decimal("30.00")),
        "2200": (Z, Decimal("5.70")),
    }


def test_one_time_charges_are_revenue_at_once(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    add_charge(
        subscription=sub, description="Installation", amount="50.00", charge_date=D(2026, 1, 1)
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    post_journal(tenant=tenant, through=D(2026, 1, 1))
    assert lines_of(entry_of("invoice", invoice.pk, "issue")) == {
        "1200": (Decimal("95.20"), Z),
        "2100": (Z, Decimal("30.00")),
        "4100": (Z, Decimal("50.00")),
        "2200": (Z, Decimal("15.20")),
    }


def test_payments_reversals_and_refunds(tenant, invoice):
    customer = invoice.customer
    card = record_payment(
        tenant=tenant, customer=customer, amount="35.70", received_on=D(2026, 1, 3), method="card"
    )
    post_journal(tenant=tenant, through=D(2026, 1, 3))
    assert lines_of(entry_of("payment", card.pk, "receipt")) == {
        "1150": (Decimal("35.70"), Z),
        "1200": (Z, Decimal("35.70")),
    }
    reverse_payment(payment=card, reason="chargeback", on=D(2026, 1, 10))
    bank = record_payment(
        tenant=tenant, customer=customer, amount="50.00", received_on="2026-01-12"
    )
    refund = record_refund(
        tenant=tenant, customer=customer, amount="14.30", refunded_on="2026-01-20"
    )
    counts = post_journal(tenant=tenant, through=D(2026, 1, 31))
    assert counts["payment.reversal"] == 1
    assert counts["payment.receipt"] == 1
    assert counts["refund.refund"] == 1
    reversal = entry_of("payment", card.pk, "reversal")
    assert reversal.booking_date == D(2026, 1, 10)
    assert lines_of(reversal) == {"1200": (Decimal("35.70"), Z), "1150": (Z, Decimal("35.70"))}
    assert lines_of(entry_of("payment", bank.pk, "receipt")) == {
        "1100": (Decimal("50.00"), Z),
        "1200": (Z, Decimal("50.00")),
    }
    assert lines_of(entry_of("refund", refund.pk, "refund")) == {
        "1200": (Decimal("14.30"), Z),
        "1100": (Z, Decimal("14.30")),
    }


def test_a_void_reverses_the_issue_on_the_day_it_was_voided(tenant, invoice):
    post_journal(tenant=tenant, through=D(2026, 1, 1))
    with clock.simulated(dt.datetime(2026, 1, 4, 12, tzinfo=dt.UTC)):
        void_invoice(invoice=invoice, reason="duplicate")
    assert post_journal(tenant=tenant, through=D(2026, 1, 3))["invoice.void"] == 0
    assert post_journal(tenant=tenant, through=D(2026, 1, 4))["invoice.void"] == 1
    void = entry_of("invoice", invoice.pk, "void")
    assert void.booking_date == D(2026, 1, 4)
    assert Invoice.objects.get(pk=invoice.pk).voided_on == D(2026, 1, 4)
    assert lines_of(void) == {
        "1200": (Z, Decimal("35.70")),
        "2100": (Decimal("30.00"), Z),
        "2200": (Decimal("5.70"), Z),
    }


def test_a_rerun_writes_nothing(tenant, invoice):
    record_payment(tenant=tenant, customer=invoice.customer, amount="10", received_on="2026-01-05")
    first = post_journal(tenant=tenant, through=D(2026, 1, 31))
    assert sum(first.values()) == 2
    before = list(JournalLine.objects.values_list("id", "debit", "credit"))
    assert sum(post_journal(tenant=tenant, through=D(2026, 1, 31)).values()) == 0
    assert list(JournalLine.objects.values_list("id", "debit", "credit")) == before


def test_a_credit_note_dated_in_a_closed_month_lands_in_the_open_month(tenant, invoice):
    post_journal(tenant=tenant, through=D(2026, 1, 31))
    january = list(JournalEntry.objects.filter(period=D(2026, 1, 1)).values())
    january_lines = list(JournalLine.objects.filter(entry__period=D(2026, 1, 1)).values())
    with clock.simulated(dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)):
        close_period(tenant=tenant, month=D(2026, 1, 1))
        note = create_credit_note(invoice=invoice, reason="outage", issue_date=D(2026, 1, 20))
        post_journal(tenant=tenant, through=D(2026, 2, 10))
    entry = entry_of("credit_note", note.pk, "issue")
    assert entry.document_date == D(2026, 1, 20)
    assert (entry.booking_date, entry.period) == (D(2026, 2, 1), D(2026, 2, 1))
    assert lines_of(entry) == {
        "2100": (Decimal("30.00"), Z),
        "2200": (Decimal("5.70"), Z),
        "1200": (Z, Decimal("35.70")),
    }
    assert list(JournalEntry.objects.filter(period=D(2026, 1, 1)).values()) == january
    assert list(JournalLine.objects.filter(entry__period=D(2026, 1, 1)).values()) == january_lines


def test_an_unmapped_role_is_a_conflict_naming_it(tenant, invoice):
    ensure_chart(tenant)
    AccountMapping.objects.filter(tenant=tenant, role=PostingRole.DEFERRED_REVENUE).delete()
    with pytest.raises(Conflict) as err:
        post_journal(tenant=tenant, through=D(2026, 1, 31))
    assert err.value.field == "role"
    assert "Deferred revenue" in str(err.value)
    assert not JournalEntry.objects.exists()


def test_the_service_refuses_an_unbalanced_entry(tenant):
    ensure_chart(tenant)
    bank = Account.objects.get(tenant=tenant, code="1100")
    receivable = Account.objects.get(tenant=tenant, code="1200")
    with pytest.raises(Unbalanced), transaction.atomic():
        write_entry(
            tenant=tenant,
            source_type="payment",
            source_id=1,
            kind="receipt",
            currency="EUR",
            document_date=D(2026, 1, 1),
            memo="x",
            legs=[(bank, Decimal("10.00")), (receivable, Decimal("-9.99"))],
        )
    assert not JournalEntry.objects.exists()


def test_the_database_refuses_an_unbalanced_entry_at_commit(tenant):
    ensure_chart(tenant)
    bank = Account.objects.get(tenant=tenant, code="1100")
    with transaction.atomic():
        entry = write_entry(
            tenant=tenant,
            source_type="payment",
            source_id=1,
            kind="receipt",
            currency="EUR",
            document_date=D(2026, 1, 1),
            memo="x",
            legs=[],
        )
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        JournalLine.objects.create(tenant=tenant, entry=entry, account=bank, debit=Decimal("1"))
        with connection.cursor() as cursor:
            # The trigger is deferred to the commit, which a test's
            # transaction never reaches: check now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(
            tenant=tenant, entry=entry, account=bank, debit=Decimal("1"), credit=Decimal("1")
        )


def test_recognition_moves_deferred_revenue_to_revenue_once_per_month(tenant):
    amounts = [
        ("recurring", "EUR", Decimal("30.00")),
        ("addon", "EUR", Decimal("5.00")),
        ("recurring", "EUR", Decimal("-2.90")),
    ]
    [entry] = post_recognition(tenant=tenant, month=D(2026, 1, 1), amounts=amounts)
    assert (entry.document_date, entry.booking_date) == (D(2026, 1, 31), D(2026, 1, 31))
    assert lines_of(entry) == {
        "2100": (Decimal("32.10"), Z),
        "4010": (Z, Decimal("5.00")),
        "4000": (Z, Decimal("27.10")),
    }
    assert post_recognition(tenant=tenant, month=D(2026, 1, 1), amounts=amounts) == []
    assert JournalEntry.objects.filter(source_type="recognition").count() == 1


def test_recognition_of_a_closed_month_is_booked_in_the_open_one(tenant):
    with clock.simulated(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)):
        close_period(tenant=tenant, month=D(2026, 1, 1))
        [entry] = post_recognition(
            tenant=tenant, month=D(2026, 1, 1), amounts=[("recurring", "EUR", Decimal("1.00"))]
        )
    assert (entry.document_date, entry.booking_date) == (D(2026, 1, 31), D(2026, 2, 1))


@pytest.mark.parametrize(
    ("month", "amounts", "field"),
    [
        (D(2026, 1, 2), [], "month"),
        (D(2026, 1, 1), [("recurring", "EUR", "1.001")], "amounts[0]"),
        (D(2026, 1, 1), [("recurring", "EUR", 1.5)], "amounts[0]"),
    ],
)
def test_recognition_bad_input(tenant, month, amounts, field):
    with pytest.raises(InvalidInput) as err:
        post_recognition(tenant=tenant, month=month, amounts=amounts)
    assert err.value.field == field
    assert not JournalEntry.objects.exists()


def test_journals_stay_in_their_tenant(tenant, make_tenant, invoice):
    other = make_tenant()
    post_journal(tenant=other, through=D(2026, 1, 31))
    assert not JournalEntry.objects.for_tenant(other).exists()
    post_journal(tenant=tenant, through=D(2026, 1, 31))
    entry = JournalEntry.objects.for_tenant(tenant).get()
    own = set(Account.objects.for_tenant(tenant).values_list("pk", flat=True))
    assert set(entry.lines.values_list("account_id", flat=True)) <= own
    assert not JournalEntry.objects.for_tenant(other).exists()


def test_closing_a_month_posts_it_first(tenant, invoice):
    with clock.simulated(dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)):
        close_period(tenant=tenant, month=D(2026, 1, 1))
    entry = entry_of("invoice", invoice.pk, "issue")
    assert (entry.booking_date, entry.period) == (D(2026, 1, 1), D(2026, 1, 1))


def test_the_run_works_in_chunks_and_stops(tenant, invoice, monkeypatch):
    from ispstack.accounting.journal import runner

    monkeypatch.setattr(runner, "CHUNK", 2)
    for n in range(5):
        record_payment(
            tenant=tenant, customer=invoice.customer, amount="1.00", received_on=D(2026, 1, 2 + n)
        )
    counts = post_journal(tenant=tenant, through=D(2026, 1, 31))
    assert counts["payment.receipt"] == 5
    numbers = list(
        JournalEntry.objects.filter(source_type="payment")
        .order_by("booking_date")
        .values_list("number", flat=True)
    )
    assert numbers == [f"JE-2026-00000{n}" for n in range(2, 7)]


def test_the_beat_task_posts_each_tenant_through_its_yesterday(tenant, invoice, settings):
    from ispstack.accounting.tasks import post_journal_task
    from ispstack.core.models import JobExecution

    assert "ispstack.accounting.post_journal" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    with clock.simulated(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        assert post_journal_task()[tenant.slug] == 0  # issued today: tomorrow's run
    with clock.simulated(dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)):
        assert post_journal_task()[tenant.slug] == 1
        assert post_journal_task()[tenant.slug] == 0
    logged = JobExecution.objects.filter(job="ispstack.accounting.post_journal", tenant=tenant)
    assert logged.count() == 3


def test_the_beat_task_schedules_each_tenants_revenue_through_its_yesterday(
    tenant, invoice, settings
):
    from ispstack.accounting.models import RevenueScheduleEntry
    from ispstack.accounting.selectors import deferred_balance
    from ispstack.accounting.tasks import recognise_revenue_task
    from ispstack.core.models import JobExecution

    assert "ispstack.accounting.recognise_revenue" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    with clock.simulated(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        assert recognise_revenue_task()[tenant.slug] == 0  # issued today: tomorrow's run
    assert deferred_balance(tenant, D(2026, 1, 1)) == []
    with clock.simulated(dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)):
        assert recognise_revenue_task()[tenant.slug] == 1
        assert recognise_revenue_task()[tenant.slug] == 0
    assert RevenueScheduleEntry.objects.filter(invoice_line__invoice=invoice).exists()
    # The open month's balances are there without closing anything.
    [balance] = deferred_balance(tenant, D(2026, 1, 2))
    assert (balance.invoiced, balance.deferred) == (Decimal("30.00"), Decimal("30.00"))
    [balance] = deferred_balance(tenant, D(2026, 1, 31))
    assert (balance.recognised, balance.deferred) == (Decimal("30.00"), Decimal("0"))
    logged = JobExecution.objects.filter(job="ispstack.accounting.recognise_revenue", tenant=tenant)
    assert [row.counts for row in logged.order_by("id")][-1] == {
        "lines": 0,
        "credits": 0,
        "voids": 0,
    }


def test_a_contracts_early_termination_fee_is_booked_to_its_own_account(tenant, make_subscription):
    from ispstack.sales.contracts import services as contracts

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    contract = contracts.create_contract(
        tenant=tenant,
        customer=sub.customer,
        subscriptions=[sub.pk],
        term_months=24,
        start_date=D(2026, 1, 1),
        termination_fee_rule="fixed",
        termination_fee_amount="300.00",
    )
    contracts.activate_contract(contract=contract)
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    contracts.terminate_contract(contract=contract, reason="moved abroad", on="2026-01-31")
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    post_journal(tenant=tenant, through=D(2026, 2, 1))
    fee_invoice = Invoice.objects.get(customer=sub.customer, issue_date=D(2026, 2, 1))
    booked = lines_of(entry_of("invoice", fee_invoice.pk, "issue"))
    assert booked["4150"] == (Z, Decimal("300.00"))
    assert "4100" not in booked  # not among the other one-time fees


def test_a_spread_one_time_fee_is_deferred_and_recognised_month_by_month(tenant, make_subscription):
    from ispstack.accounting.services import post_recognised_revenue, recognise_revenue

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    charge = add_charge(
        subscription=sub, description="Installation", amount="120.00", charge_date=D(2026, 1, 1)
    )
    spread_charge(charge=charge, months=12)
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    post_journal(tenant=tenant, through=D(2026, 1, 1))
    # 30.00 of service and the 120.00 fee both wait in deferred revenue.
    assert lines_of(entry_of("invoice", invoice.pk, "issue")) == {
        "1200": (Decimal("178.50"), Z),
        "2100": (Z, Decimal("150.00")),
        "2200": (Z, Decimal("28.50")),
    }
    with pytest.raises(Conflict) as late:
        spread_charge(charge=charge, months=6)
    assert late.value.field == "charge"
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    post_recognised_revenue(tenant=tenant, month=D(2026, 1, 1))
    january = JournalEntry.objects.get(source_type="recognition")
    assert lines_of(january) == {
        "2100": (Decimal("40.00"), Z),
        "4000": (Z, Decimal("30.00")),
        "4100": (Z, Decimal("10.00")),
    }


def test_a_discount_follows_its_service_out_of_deferred_revenue(
    tenant, make_plan, make_subscription
):
    """A promotion's discount is deferred at issue with the quarter it
    discounts and recognised with it, into the discounts account: the
    journal's deferred revenue is the schedule's at the month's end."""
    from ispstack.accounting.journal.selectors import role_balance
    from ispstack.accounting.selectors import deferred_balance
    from ispstack.accounting.services import post_recognised_revenue, recognise_revenue
    from ispstack.catalog.services import create_promotion
    from ispstack.subscriptions.services import grant_promotion

    plan = make_plan(tenant, monthly_price="30.00", cycle_months=3)
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    promo = create_promotion(tenant=tenant, code="ten", name="Ten off", kind="percent", value="10")
    grant_promotion(subscription=sub, promotion=promo, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    post_journal(tenant=tenant, through=D(2026, 1, 1))
    assert lines_of(entry_of("invoice", invoice.pk, "issue")) == {
        "1200": (Decimal("96.39"), Z),
        "2100": (Z, Decimal("81.00")),
        "2200": (Z, Decimal("15.39")),
    }
    recognise_revenue(tenant=tenant, through=D(2026, 1, 31))
    post_recognised_revenue(tenant=tenant, month=D(2026, 1, 1))
    # January: 31 of the quarter's 90 days of 90.00 and of the -9.00 discount.
    assert lines_of(JournalEntry.objects.get(source_type="recognition")) == {
        "2100": (Decimal("27.90"), Z),
        "4000": (Z, Decimal("31.00")),
        "4900": (Decimal("3.10"), Z),
    }
    [schedule] = deferred_balance(tenant, D(2026, 1, 31))
    assert schedule.deferred == Decimal("53.10")
    assert role_balance(tenant, PostingRole.DEFERRED_REVENUE, "EUR") == -schedule.deferred
