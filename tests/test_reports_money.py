"""The money reports (docs/metrics.md, "Money reports"): payment success and
failure, dunning effectiveness, revenue by service type, the payment method
mix, and credit notes and refunds. Each is checked to the cent on a small
world whose figures are worked out by hand in the test, then for the month
boundary in the tenant's time zone, tags, tenancy, a past month unchanged by
today's changes, the console pages with their exports, the API and its
permissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import Invoice, LineKind
from ispstack.billing.proration import add_charge
from ispstack.billing.runner import run_billing
from ispstack.collections.models import (
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
)
from ispstack.core import clock
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import ExchangeRate
from ispstack.payments.models import (
    BankTransfer,
    CardPayment,
    CustomerPaymentMethod,
    DirectDebitBatch,
    DirectDebitItem,
)
from ispstack.payments.services import record_payment, record_refund, reverse_payment
from ispstack.payments.transfers import approve_transfer, reject_transfer
from ispstack.reports import money, money_tables
from ispstack.reports import revenue as revenue_report
from ispstack.reports.selectors import make_filters
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import reconnect, suspend
from ispstack.usage.models import TopUp

pytestmark = pytest.mark.django_db

D = dt.date
MAR, APR = D(2026, 3, 1), D(2026, 4, 1)
EUR = Decimal


@contextmanager
def at(day: dt.date, hour: int = 10, minute: int = 0) -> Iterator[None]:
    """The business clock at ``day`` ``hour``:``minute`` UTC (Berlin is UTC+1/+2)."""
    with clock.simulated(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)):
        yield


def filters(tenant: Any, **kw: Any) -> Any:
    return make_filters(tenant, start=MAR, end=APR, **kw)


# --- payment success and failure ----------------------------------------------


@pytest.fixture
def attempts(tenant, make_customer, make_subscription):
    """March-April 2026, Berlin time: five card attempts, two collections and two
    transfers of a tagged EUR customer ``a`` and an untagged USD customer ``b``
    (0.90 EUR per USD from January, 0.80 from 1 April)."""
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 1, 1), rate="0.9")
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 4, 1), rate="0.8")
    a = make_customer(tenant, tags=["vip"])
    b = make_customer(tenant, currency="USD")
    sub = make_subscription(tenant, customer=a, start_date=D(2026, 3, 1))
    with at(D(2026, 3, 1)):
        run_billing(tenant=tenant, as_of=D(2026, 3, 1))
    invoice = Invoice.objects.get(customer=a)
    card = CustomerPaymentMethod.objects.create(tenant=tenant, customer=a, kind="card")
    account = CustomerPaymentMethod.objects.create(
        tenant=tenant, customer=a, kind="bank_account", iban="DE89370400440532013000"
    )
    n = iter(range(1, 100))

    def attempt(customer: Any, amount: str, currency: str = "EUR") -> CardPayment:
        return CardPayment.objects.create(
            tenant=tenant,
            customer=customer,
            invoice=invoice,
            method=card,
            intent_id=f"pi_{next(n)}",
            amount=amount,
            currency=currency,
            status="requires_action",
        )

    def ends(cp: CardPayment, status: str) -> None:
        if status == "succeeded":
            cp.payment = record_payment(
                tenant=tenant, customer=cp.customer, amount=cp.amount, method="card"
            )
        cp.status = status
        cp.save()

    with at(D(2026, 3, 5)):  # 1: succeeded at once
        ends(attempt(a, "30.00"), "succeeded")
    with at(D(2026, 3, 10)):  # 2: refused at once
        ends(attempt(a, "20.00"), "failed")
    with at(D(2026, 3, 20)):  # 3: waits for 3-D Secure over the month's end
        waiting = attempt(b, "50.00", "USD")
    with at(D(2026, 4, 2)):
        ends(waiting, "succeeded")
    with at(D(2026, 3, 31), 23, 30):  # 4: 01:30 on 1 April in Berlin: April's
        ends(attempt(a, "10.00"), "failed")
    with at(D(2026, 4, 3)):  # 5: abandoned at 3-D Secure, canceled the next day
        abandoned = attempt(a, "15.00")
    with at(D(2026, 4, 4)):
        ends(abandoned, "canceled")

    with at(D(2026, 3, 1)):
        batch = DirectDebitBatch.objects.create(
            tenant=tenant, collection_date=D(2026, 3, 3), message_id="m1", xml="<x/>"
        )

    def debit(amount: str) -> DirectDebitItem:
        return DirectDebitItem.objects.create(
            tenant=tenant,
            batch=batch,
            invoice=invoice,
            method=account,
            amount=amount,
            sequence_type="RCUR",
            end_to_end_id=f"E2E-{next(n)}",
        )

    with at(D(2026, 3, 1)):  # 6: collected on 3 March, returned on 10 April
        collected = debit("25.00")
    with at(D(2026, 3, 3)):
        collected.payment = record_payment(
            tenant=tenant, customer=a, amount="25.00", method="direct_debit"
        )
        collected.status = "collected"
        collected.save()
    with at(D(2026, 4, 10)):
        reverse_payment(payment=collected.payment, reason="AM04", on=D(2026, 3, 3))
        collected.status = "returned"
        collected.return_reason = "AM04"
        collected.save()
    with at(D(2026, 3, 25)):  # 7: never settled
        pending = debit("12.00")

    def transfer(amount: str) -> BankTransfer:
        return BankTransfer.objects.create(
            tenant=tenant,
            customer=a,
            amount=amount,
            currency="EUR",
            transferred_on=clock.today(tenant),
            proof="transfer-proofs/proof.pdf",
        )

    with at(D(2026, 3, 15)):  # 8: approved the next day
        approved = transfer("40.00")
    with at(D(2026, 3, 16)):
        approve_transfer(transfer=approved)
    with at(D(2026, 3, 28)):  # 9: rejected on 1 April
        rejected = transfer("5.00")
    with at(D(2026, 4, 1)):
        reject_transfer(transfer=rejected, reason="not on the account")
    return {"a": a, "b": b, "sub": sub, "pending_debit": pending, "card": card}


def outcomes(rows: list[money.PaymentOutcomeMonth]) -> dict[tuple[Any, str], tuple[Any, ...]]:
    return {
        (r.month, r.method): (
            r.succeeded,
            r.succeeded_amount,
            r.failed,
            r.failed_amount,
            r.pending,
            r.pending_amount,
        )
        for r in rows
    }


# Worked out by hand from the fixture's story.
EXPECTED_OUTCOMES = {
    # Card: no. 1 succeeded, no. 2 failed, no. 3 waits on 31 March (50 USD x 0.90).
    (MAR, "card"): (1, EUR("30.00"), 1, EUR("20.00"), 1, EUR("45.00")),
    # no. 3 succeeded on 2 April (x 0.80), no. 4 failed on 1 April Berlin time, no. 5 canceled.
    (APR, "card"): (1, EUR("40.00"), 2, EUR("25.00"), 0, EUR("0")),
    # no. 6 collected on 3 March; no. 7 not settled.
    (MAR, "direct_debit"): (1, EUR("25.00"), 0, EUR("0"), 1, EUR("12.00")),
    # no. 6 returned on 10 April; no. 7 still not settled.
    (APR, "direct_debit"): (0, EUR("0"), 1, EUR("25.00"), 1, EUR("12.00")),
    # no. 8 approved on 16 March; no. 9 in review on 31 March.
    (MAR, "bank_transfer"): (1, EUR("40.00"), 0, EUR("0"), 1, EUR("5.00")),
    # no. 9 rejected on 1 April.
    (APR, "bank_transfer"): (0, EUR("0"), 1, EUR("5.00"), 0, EUR("0")),
}


def test_payment_success_counts_each_outcome_in_its_month_to_the_cent(tenant, attempts):
    rows = money.payment_outcomes(tenant, filters(tenant))
    assert outcomes(rows) == EXPECTED_OUTCOMES
    rates = {(r.month, r.method): r.success_rate for r in rows}
    assert rates[(MAR, "card")] == Decimal(50)
    assert rates[(APR, "card")] == Decimal(100) / 3
    assert rates[(APR, "bank_transfer")] == Decimal(0)
    assert rates[(MAR, "bank_transfer")] == Decimal(100)


def test_a_month_alone_counts_the_attempts_made_before_it(tenant, attempts):
    """April alone: no. 3 (made in March) succeeds in it, no. 6 (collected in
    March) is returned in it and no. 7 (made in March) still waits; what was
    settled in March is in no row."""
    april = outcomes(money.payment_outcomes(tenant, make_filters(tenant, start=APR, end=APR)))
    assert april == {k: v for k, v in EXPECTED_OUTCOMES.items() if k[0] == APR}


def test_a_collection_paid_before_the_first_month_is_not_pending_until_its_return(tenant, attempts):
    """Collected in February, returned on 12 April: on 31 March it was paid,
    not waiting, though its payment is older than the report."""
    waiting = attempts["pending_debit"]
    with at(D(2026, 2, 23)):
        item = DirectDebitItem.objects.create(
            tenant=tenant,
            batch=waiting.batch,
            invoice=waiting.invoice,
            method=waiting.method,
            amount="8.00",
            sequence_type="RCUR",
            end_to_end_id="E2E-feb",
            status="collected",
            payment=record_payment(
                tenant=tenant, customer=attempts["a"], amount="8.00", method="direct_debit"
            ),
        )
    with at(D(2026, 4, 12)):
        item.status = "returned"
        item.save()
    rows = outcomes(money.payment_outcomes(tenant, filters(tenant)))
    assert rows[(MAR, "direct_debit")] == EXPECTED_OUTCOMES[(MAR, "direct_debit")]
    assert rows[(APR, "direct_debit")] == (0, EUR("0"), 2, EUR("33.00"), 1, EUR("12.00"))


def test_payment_success_by_tag_leaves_out_the_untagged_customer(tenant, attempts):
    rows = outcomes(money.payment_outcomes(tenant, filters(tenant, tag="vip")))
    # b's attempt no. 3 is gone: nothing waits in March, nothing succeeds in April.
    assert rows[(MAR, "card")] == (1, EUR("30.00"), 1, EUR("20.00"), 0, EUR("0"))
    assert rows[(APR, "card")] == (0, EUR("0"), 2, EUR("25.00"), 0, EUR("0"))
    assert rows[(MAR, "direct_debit")] == EXPECTED_OUTCOMES[(MAR, "direct_debit")]


def test_todays_payment_outcomes_leave_past_months_unchanged(tenant, attempts):
    before = money.payment_outcomes(tenant, filters(tenant))
    item = attempts["pending_debit"]
    item.payment = record_payment(
        tenant=tenant, customer=attempts["a"], amount="12.00", method="direct_debit"
    )
    item.status = "collected"
    item.save()
    later = BankTransfer.objects.create(
        tenant=tenant,
        customer=attempts["a"],
        amount="7.00",
        currency="EUR",
        transferred_on=D(2026, 3, 30),
        proof="transfer-proofs/late.pdf",
    )
    # Approved today for a transfer dated in March: counted today, not in March.
    approve_transfer(transfer=later)
    assert money.payment_outcomes(tenant, filters(tenant)) == before


def test_another_tenants_attempts_are_never_counted(tenant, attempts, make_tenant):
    other = make_tenant()
    rows = money.payment_outcomes(other, make_filters(other, start=MAR, end=APR))
    assert all(r.succeeded == r.failed == r.pending == 0 for r in rows)
    assert outcomes(money.payment_outcomes(tenant, filters(tenant))) == EXPECTED_OUTCOMES


def test_a_missing_exchange_rate_is_named(tenant, attempts):
    ExchangeRate.objects.filter(tenant=tenant, currency="USD").delete()
    with pytest.raises(NotFound) as err:
        money.payment_outcomes(tenant, filters(tenant))
    assert err.value.field == "currency" and "USD" in str(err.value)


# --- dunning effectiveness ------------------------------------------------------


@pytest.fixture
def dunning(tenant, make_customer, make_subscription):
    """A campaign (1. reminder, 2. suspend) and four accounts: ``e1`` pays after
    the reminder, ``e2`` (USD) is suspended and pays in April, ``e3`` pays
    before the first step, ``e4`` is still being chased."""
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 1, 1), rate="0.9")
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 4, 1), rate="0.8")
    campaign = DunningCampaign.objects.create(tenant=tenant, name="Default")
    for position, action in ((1, "reminder"), (2, "suspend")):
        DunningStep.objects.create(
            tenant=tenant, campaign=campaign, position=position, action=action, delay_days=5
        )
    customers = [
        make_customer(tenant, tags=["vip"]),
        make_customer(tenant, currency="USD"),
        make_customer(tenant),
        make_customer(tenant),
    ]
    sub = make_subscription(tenant, customer=customers[1], start_date=D(2026, 1, 1))

    def execution(customer: Any, started: dt.date, amount: str) -> DunningExecution:
        return DunningExecution.objects.create(
            tenant=tenant,
            campaign=campaign,
            customer=customer,
            started_on=started,
            outstanding_amount=amount,
        )

    def log(execution: DunningExecution, position: int, action: str, on: dt.date) -> None:
        DunningActionLog.objects.create(
            tenant=tenant,
            execution=execution,
            position=position,
            action=action,
            executed_on=on,
            ok=True,
        )

    def recover(execution: DunningExecution, on: dt.date) -> None:
        execution.status = "recovered"
        execution.finished_on = on
        execution.recovered_amount = execution.outstanding_amount
        execution.save()

    e1 = execution(customers[0], D(2026, 3, 2), "30.00")
    log(e1, 1, "reminder", D(2026, 3, 2))
    recover(e1, D(2026, 3, 10))
    e2 = execution(customers[1], D(2026, 3, 5), "100.00")
    log(e2, 1, "reminder", D(2026, 3, 5))
    log(e2, 2, "suspend", D(2026, 3, 20))
    suspend(subscription=sub, reason="dunning", cause="non_payment", on=D(2026, 3, 20))
    recover(e2, D(2026, 4, 3))
    reconnect(subscription=Subscription.objects.get(pk=sub.pk), on=D(2026, 4, 3))
    e3 = execution(customers[2], D(2026, 4, 20), "15.00")
    recover(e3, D(2026, 4, 22))
    e4 = execution(customers[3], D(2026, 4, 25), "60.00")
    log(e4, 1, "reminder", D(2026, 4, 25))
    return {"campaign": campaign, "e4": e4}


def steps(rows: list[money.DunningStepMonth]) -> dict[tuple[Any, int], tuple[Any, ...]]:
    return {
        (r.month, r.position): (
            r.reached,
            r.recovered,
            r.recovered_amount,
            r.suspended,
            r.reconnected,
        )
        for r in rows
    }


# (reached, paid before the next step, amount recovered, suspended, reconnected)
EXPECTED_STEPS = {
    # e1 and e2 started; both reminded; e1 paid 30.00 after the reminder; e2 suspended.
    (MAR, 0): (2, 0, EUR("0"), 0, 0),
    (MAR, 1): (2, 1, EUR("30.00"), 0, 0),
    (MAR, 2): (1, 0, EUR("0"), 1, 0),
    # e3 and e4 started, e3 paid 15.00 before any step; e4 reminded; e2 paid
    # 100 USD x 0.80 after its suspension and was reconnected.
    (APR, 0): (2, 1, EUR("15.00"), 0, 0),
    (APR, 1): (1, 0, EUR("0"), 0, 0),
    (APR, 2): (0, 1, EUR("80.00"), 0, 1),
}


def test_dunning_effectiveness_per_step_to_the_cent(tenant, dunning):
    rows = money.dunning_effectiveness(tenant, filters(tenant))
    assert steps(rows) == EXPECTED_STEPS
    assert {r.campaign for r in rows} == {"Default"}
    assert [r.action for r in rows if r.month == MAR] == ["", "reminder", "suspend"]


def test_dunning_by_tag_and_past_months_unchanged_by_todays_recovery(tenant, dunning):
    tagged = steps(money.dunning_effectiveness(tenant, filters(tenant, tag="vip")))
    assert tagged == {(MAR, 0): (1, 0, EUR("0"), 0, 0), (MAR, 1): (1, 1, EUR("30.00"), 0, 0)}
    before = money.dunning_effectiveness(tenant, filters(tenant))
    e4 = dunning["e4"]
    e4.status, e4.finished_on, e4.recovered_amount = "recovered", clock.today(tenant), "60.00"
    e4.save()
    assert money.dunning_effectiveness(tenant, filters(tenant)) == before


def test_april_alone_counts_a_march_campaign_paid_in_april(tenant, dunning):
    """e2 started in March and paid in April: April's report counts its
    recovery after the suspension; e1, ended in March, is in no April row."""
    rows = money.dunning_effectiveness(tenant, make_filters(tenant, start=APR, end=APR))
    assert steps(rows) == {key: value for key, value in EXPECTED_STEPS.items() if key[0] == APR}


def test_another_tenants_dunning_is_never_counted(tenant, dunning, make_tenant):
    other = make_tenant()
    assert money.dunning_effectiveness(other, make_filters(other, start=MAR, end=APR)) == []


# --- revenue by service type ----------------------------------------------------


@pytest.fixture
def revenue(tenant, make_plan, make_subscription):
    """A fibre subscription on Basic (30.00) with an installation (50.00) and a
    data top-up (5.00) in March and a credit of 10.00 on April's plan line; a
    wireless one on Fast (45.50). Prices net of 19 % VAT, billed in advance."""
    basic = make_plan(tenant, monthly_price="30.00", name="Basic")
    fast = make_plan(tenant, monthly_price="45.50", name="Fast")
    fibre = make_subscription(tenant, plan=basic, start_date=D(2026, 3, 1))
    radio = make_subscription(tenant, plan=fast, start_date=D(2026, 3, 1))
    Subscription.objects.filter(pk=fibre.pk).update(connection_type="ftth")
    Subscription.objects.filter(pk=radio.pk).update(connection_type="wireless")
    with at(D(2026, 2, 28)):
        add_charge(subscription=fibre, description="Installation", amount="50.00")
        topup = add_charge(subscription=fibre, description="10 GB top-up", amount="5.00")
        TopUp.objects.create(
            tenant=tenant,
            subscription=fibre,
            cycle_start=D(2026, 3, 1),
            extra_bytes=10 * 10**9,
            charge=topup,
        )
    for month in (3, 4):
        with at(D(2026, month, 1)):
            run_billing(tenant=tenant, as_of=D(2026, month, 1))
    april = Invoice.objects.get(customer=fibre.customer, issue_date=D(2026, 4, 1))
    line = april.lines.get(kind=LineKind.RECURRING)
    with at(D(2026, 4, 12)):
        create_credit_note(
            invoice=april, reason="Outage", lines=[{"line": line.pk, "amount": "10.00"}]
        )
    return {"basic": basic, "fast": fast, "fibre": fibre}


def revenue_rows(
    rows: list[revenue_report.RevenueMonth],
) -> dict[tuple[Any, str, str], tuple[Any, ...]]:
    return {(r.month, r.line_type, r.service): (r.invoiced, r.credited, r.net) for r in rows}


EXPECTED_REVENUE = {
    (MAR, "recurring", "ftth"): (EUR("30.00"), EUR("0"), EUR("30.00")),
    (MAR, "one_time", "ftth"): (EUR("50.00"), EUR("0"), EUR("50.00")),
    (MAR, "top_up", "ftth"): (EUR("5.00"), EUR("0"), EUR("5.00")),
    (MAR, "recurring", "wireless"): (EUR("45.50"), EUR("0"), EUR("45.50")),
    (APR, "recurring", "ftth"): (EUR("30.00"), EUR("10.00"), EUR("20.00")),
    (APR, "recurring", "wireless"): (EUR("45.50"), EUR("0"), EUR("45.50")),
}


def test_revenue_by_kind_of_line_and_service_net_of_tax_and_credits(tenant, revenue):
    rows = revenue_report.revenue_by_service(tenant, filters(tenant))
    assert revenue_rows(rows) == EXPECTED_REVENUE
    # Kinds in their order: the plan before the one-time charges.
    assert [r.line_type for r in rows if r.month == MAR] == [
        "recurring",
        "recurring",
        "one_time",
        "top_up",
    ]


def test_revenue_by_plan_and_past_month_unchanged_by_todays_credit_note(tenant, revenue):
    fast = revenue_rows(
        revenue_report.revenue_by_service(tenant, filters(tenant, plan_id=revenue["fast"].pk))
    )
    assert fast == {k: v for k, v in EXPECTED_REVENUE.items() if k[2] == "wireless"}
    march = Invoice.objects.get(customer=revenue["fibre"].customer, issue_date=MAR)
    create_credit_note(invoice=march, reason="Goodwill")
    assert (
        revenue_rows(revenue_report.revenue_by_service(tenant, filters(tenant))) == EXPECTED_REVENUE
    )


def test_another_tenants_revenue_is_never_counted(tenant, revenue, make_tenant):
    other = make_tenant()
    assert revenue_report.revenue_by_service(other, make_filters(other, start=MAR, end=APR)) == []


# --- payment method mix ---------------------------------------------------------


@pytest.fixture
def payments(tenant, make_customer):
    """Payments recorded in March and April; one in USD, one reversed later,
    one recorded at 23:30 UTC on 31 March (April in Berlin)."""
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 1, 1), rate="0.9")
    a, b = make_customer(tenant, tags=["vip"]), make_customer(tenant, currency="USD")
    book = [
        (D(2026, 3, 5), 10, a, "100.00", "cash"),
        (D(2026, 3, 6), 10, a, "50.50", "bank_transfer"),
        (D(2026, 3, 7), 10, b, "20.00", "card"),
        (D(2026, 3, 8), 10, a, "25.00", "direct_debit"),
        (D(2026, 3, 31), 23, a, "9.99", "cash"),
        (D(2026, 4, 2), 10, a, "30.00", "card"),
    ]
    made = []
    for day, hour, customer, amount, method in book:
        with at(day, hour, 30):
            made.append(
                record_payment(tenant=tenant, customer=customer, amount=amount, method=method)
            )
    with at(D(2026, 4, 9)):
        reverse_payment(payment=made[3], reason="returned", on=D(2026, 3, 8))
    return {"a": a}


def mix(rows: list[money.MethodMonth]) -> dict[tuple[Any, str], tuple[int, Decimal]]:
    return {(r.month, r.method): (r.payments, r.amount) for r in rows if r.payments}


EXPECTED_MIX = {
    (MAR, "cash"): (1, EUR("100.00")),
    (MAR, "bank_transfer"): (1, EUR("50.50")),
    (MAR, "card"): (1, EUR("18.00")),  # 20 USD x 0.90
    (MAR, "direct_debit"): (1, EUR("25.00")),  # reversed in April: it was received
    (APR, "cash"): (1, EUR("9.99")),  # 01:30 on 1 April in Berlin
    (APR, "card"): (1, EUR("30.00")),
}


def test_payment_method_mix_to_the_cent(tenant, payments):
    rows = money.payment_method_mix(tenant, filters(tenant))
    assert mix(rows) == EXPECTED_MIX
    assert len(rows) == 2 * 5  # every month and method listed
    tagged = mix(money.payment_method_mix(tenant, filters(tenant, tag="vip")))
    assert tagged == {k: v for k, v in EXPECTED_MIX.items() if k != (MAR, "card")}


def test_payments_alike_are_each_counted_and_each_converted(tenant, make_customer):
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 1, 1), rate="0.9")
    b = make_customer(tenant, currency="USD")
    for hour in (9, 15):
        with at(D(2026, 3, 10), hour):
            record_payment(tenant=tenant, customer=b, amount="10.05", method="cash")
    # Each 10.05 USD is 9.045, rounded to 9.05: 18.10, not 20.10 x 0.9 = 18.09.
    assert mix(money.payment_method_mix(tenant, filters(tenant))) == {
        (MAR, "cash"): (2, EUR("18.10"))
    }


def test_a_payment_back_dated_today_leaves_past_months_unchanged(tenant, payments):
    before = money.payment_method_mix(tenant, filters(tenant))
    record_payment(tenant=tenant, customer=payments["a"], amount="5.00", received_on=D(2026, 3, 9))
    assert money.payment_method_mix(tenant, filters(tenant)) == before


# --- credit notes and refunds ---------------------------------------------------


@pytest.fixture
def credits(tenant, make_subscription):
    """Two credit notes for an outage in March (one reason written with a
    trailing space), a goodwill credit in April, and a refund of 20.00 of
    overpaid credit in March; 19 % VAT."""
    sub = make_subscription(tenant, start_date=D(2026, 3, 1))
    with at(D(2026, 3, 1)):
        run_billing(tenant=tenant, as_of=D(2026, 3, 1))
    invoice = Invoice.objects.get(customer=sub.customer)
    line = invoice.lines.get(kind=LineKind.RECURRING)
    for day, reason, amount in (
        (D(2026, 3, 10), "Outage", "10.00"),
        (D(2026, 3, 12), "Outage ", "5.00"),
        (D(2026, 4, 2), "Goodwill", "2.50"),
    ):
        with at(day):
            create_credit_note(
                invoice=invoice, reason=reason, lines=[{"line": line.pk, "amount": amount}]
            )
    with at(D(2026, 3, 15)):
        record_payment(tenant=tenant, customer=sub.customer, amount="100.00")
    with at(D(2026, 3, 20)):
        record_refund(tenant=tenant, customer=sub.customer, amount="20.00", reason="Overpaid")
    return {"sub": sub, "invoice": invoice}


def credit_rows(rows: list[money.CreditMonth]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {(r.month, r.kind, r.reason): (r.count, r.net, r.total) for r in rows}


EXPECTED_CREDITS = {
    # 10.00 + 1.90 VAT and 5.00 + 0.95 VAT
    (MAR, "credit_note", "Outage"): (2, EUR("15.00"), EUR("17.85")),
    (MAR, "refund", "Overpaid"): (1, EUR("20.00"), EUR("20.00")),
    (APR, "credit_note", "Goodwill"): (1, EUR("2.50"), EUR("2.98")),
}


def test_credit_notes_and_refunds_by_reason_to_the_cent(tenant, credits):
    assert credit_rows(money.credit_notes_and_refunds(tenant, filters(tenant))) == EXPECTED_CREDITS


def test_todays_credit_note_and_refund_leave_past_months_unchanged(tenant, credits, make_tenant):
    before = money.credit_notes_and_refunds(tenant, filters(tenant))
    create_credit_note(invoice=credits["invoice"], reason="Outage")
    record_refund(tenant=tenant, customer=credits["sub"].customer, amount="1.00")
    assert money.credit_notes_and_refunds(tenant, filters(tenant)) == before
    other = make_tenant()
    assert money.credit_notes_and_refunds(other, make_filters(other, start=MAR, end=APR)) == []


# --- tables, console pages, exports and the API ---------------------------------

PAGES = {
    "payment-success": "Success rate %",
    "dunning-effectiveness": "Paid before the next step",
    "revenue-by-service": "Net revenue (EUR)",
    "payment-methods": "Share of amount %",
    "credit-notes-refunds": "Total (EUR)",
}
QUERY = {"start": "2026-03", "end": "2026-04"}


def test_the_table_builders_read_the_query_string(tenant, payments):
    table = money_tables.build_payment_methods_table(tenant, QUERY)
    cash = next(row for row in table.rows if row[:2] == ["2026-03", "Cash"])
    # 100.00 of 193.50 received in March.
    assert cash[2:] == [1, EUR("100.00"), EUR("51.68")]
    with pytest.raises(InvalidInput) as err:
        money_tables.build_revenue_by_service_table(tenant, {"plan": "x"})
    assert err.value.field == "plan"
    # Payments belong to customers: a plan is no filter of theirs.
    assert money_tables.build_payment_methods_table(tenant, {**QUERY, "plan": "x"}) == table


def test_finance_reads_every_money_page_with_chart_and_table(
    client: Client, tenant, make_staff, payments
):
    client.force_login(make_staff(tenant, "billing"))
    for slug, heading in PAGES.items():
        page = client.get(f"/staff/reports/{slug}/", QUERY)
        assert page.status_code == 200, slug
        html = page.content.decode()
        assert "<svg" in html and html.count("<rect") == 2 and heading in html, slug
        assert 'id="f-plan"' in html if slug == "revenue-by-service" else 'id="f-plan"' not in html
    html = client.get("/staff/reports/payment-methods/", QUERY).content.decode()
    assert "50.50" in html and "18.00" in html
    nav = client.get("/staff/reports/").content.decode()
    assert all(f'href="/staff/reports/{slug}/"' in nav for slug in PAGES)


def test_the_money_pages_refuse_bad_filters_naming_the_field(client: Client, tenant, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    for slug in PAGES:
        page = client.get(f"/staff/reports/{slug}/", {"start": "2026-13"})
        assert page.status_code == 400 and 'data-error-field="start"' in page.content.decode()
    page = client.get("/staff/reports/revenue-by-service/", {"plan": "x"})
    assert page.status_code == 400 and 'data-error-field="plan"' in page.content.decode()


@pytest.mark.parametrize("role", ["support", "noc", "technician"])
def test_roles_without_the_report_permission_get_403(client: Client, tenant, make_staff, role):
    client.force_login(make_staff(tenant, role))
    for slug in PAGES:
        assert client.get(f"/staff/reports/{slug}/").status_code == 403


def test_csv_and_xlsx_hold_the_same_figures(client: Client, tenant, make_staff, credits):
    client.force_login(make_staff(tenant, "billing"))
    answer = client.get("/staff/reports/credit-notes-refunds/", {**QUERY, "format": "csv"})
    assert answer["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    assert lines[0] == ["Month", "Kind", "Reason", "Count", "Net (EUR)", "Total (EUR)"]
    assert [line[:4] + [Decimal(line[4]), Decimal(line[5])] for line in lines[1:]] == [
        ["2026-03", "Credit note", "Outage", "2", EUR("15.00"), EUR("17.85")],
        ["2026-03", "Refund", "Overpaid", "1", EUR("20.00"), EUR("20.00")],
        ["2026-04", "Credit note", "Goodwill", "1", EUR("2.50"), EUR("2.98")],
    ]
    answer = client.get("/staff/reports/credit-notes-refunds/", {**QUERY, "format": "xlsx"})
    values = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    assert values[0][5] == "Total (EUR)"
    totals = {(v[0], v[2]): Decimal(str(v[5])) for v in values[1:]}
    assert totals == {
        ("2026-03", "Outage"): EUR("17.85"),
        ("2026-03", "Overpaid"): EUR("20.00"),
        ("2026-04", "Goodwill"): EUR("2.98"),
    }


def test_the_api_answers_the_same_figures_to_finance_only(
    tenant, attempts, api_client_for, make_tenant
):
    finance = api_client_for(tenant, "billing")
    body = finance.get("/api/v1/reports/payment-success/", QUERY).json()
    assert body["currency"] == "EUR"
    got = {
        (D.fromisoformat(r["month"]), r["method"]): (
            r["succeeded"],
            Decimal(r["succeeded_amount"]),
            r["failed"],
            Decimal(r["failed_amount"]),
            r["pending"],
            Decimal(r["pending_amount"]),
        )
        for r in body["rows"]
    }
    assert got == EXPECTED_OUTCOMES
    card_march = next(
        r for r in body["rows"] if r["month"] == "2026-03-01" and r["method"] == "card"
    )
    assert card_march["success_rate"] == "50.00"
    for slug in PAGES:
        assert finance.get(f"/api/v1/reports/{slug}/", QUERY).status_code == 200, slug
        bad = finance.get(f"/api/v1/reports/{slug}/", {"end": "someday"})
        assert bad.status_code == 400 and bad.json()["field"] == "end", slug
        assert api_client_for(tenant, "support").get(f"/api/v1/reports/{slug}/").status_code == 403
    bad_plan = finance.get("/api/v1/reports/revenue-by-service/", {"plan": "x"})
    assert bad_plan.status_code == 400 and bad_plan.json()["field"] == "plan"
    # Another tenant's finance staff sees nothing of these attempts.
    theirs = api_client_for(make_tenant(), "billing").get("/api/v1/reports/payment-success/", QUERY)
    assert theirs.status_code == 200
    assert all(r["succeeded"] == r["failed"] == r["pending"] == 0 for r in theirs.json()["rows"])


def test_the_api_serves_dunning_revenue_and_credits(tenant, dunning, revenue, api_client_for):
    finance = api_client_for(tenant, "admin")
    dun = finance.get("/api/v1/reports/dunning-effectiveness/", QUERY).json()["rows"]
    suspended = next(r for r in dun if r["month"] == "2026-04-01" and r["position"] == 2)
    assert (suspended["recovered_amount"], suspended["reconnected"]) == ("80.00", 1)
    rev = finance.get("/api/v1/reports/revenue-by-service/", QUERY).json()["rows"]
    credited = next(r for r in rev if r["month"] == "2026-04-01" and r["service"] == "ftth")
    assert (credited["invoiced"], credited["credited"], credited["net"]) == (
        "30.00",
        "10.00",
        "20.00",
    )


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_money_pages_pass_axe(live_server, chromium, make_tenant, make_staff):
    from tests.console_browser import log_in, serious_violations

    tenant = make_tenant()
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, make_staff(tenant, "billing"))
        for slug in PAGES:
            page.goto(f"{live_server.url}/staff/reports/{slug}/?start=2026-03&end=2026-04")
            assert page.locator("svg.report-chart rect").count() == 2, slug
            assert serious_violations(page) == [], slug
    finally:
        page.close()


def test_a_void_is_taken_back_in_its_own_month_and_leaves_the_issue_month(tenant, revenue):
    from ispstack.billing.services import void_invoice

    radio = Subscription.objects.get(plan=revenue["fast"])
    march = Invoice.objects.get(customer=radio.customer, issue_date=MAR)
    with at(D(2026, 4, 5)):
        void_invoice(invoice=march, reason="issued to the wrong account")
    rows = revenue_rows(revenue_report.revenue_by_service(tenant, filters(tenant)))
    assert rows[(MAR, "recurring", "wireless")] == EXPECTED_REVENUE[(MAR, "recurring", "wireless")]
    assert rows[(APR, "recurring", "wireless")] == (EUR("0.00"), EUR("0"), EUR("0.00"))
    assert {k: v for k, v in rows.items() if k[2] != "wireless"} == {
        k: v for k, v in EXPECTED_REVENUE.items() if k[2] != "wireless"
    }
