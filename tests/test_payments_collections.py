"""Payments are allocated to the oldest open invoices, overpayment stays as
credit; collections remind after the grace days, suspend after 10 days past
due, and a payment that clears the overdue invoices reconnects at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.dunning import ensure_default_campaign
from ispstack.collections.models import DunningCampaign, DunningExecution, Reminder
from ispstack.collections.services import run_collections
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.models import Job
from ispstack.customers.models import Customer
from ispstack.payments.models import Payment
from ispstack.payments.selectors import account_balance, credit, open_amount
from ispstack.payments.services import record_payment
from ispstack.radius.models import RadCheck
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import reconnect, suspend

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def billed(tenant, make_subscription):
    """A subscriber billed for January and February (35.70 each, due 15 Jan / 15 Feb)."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    return sub


def _invoices(sub):
    return list(Invoice.objects.filter(customer=sub.customer).order_by("due_date", "number"))


def test_payment_pays_the_oldest_invoice_first_and_keeps_the_rest_as_credit(tenant, billed):
    jan, feb = _invoices(billed)
    assert account_balance(billed.customer) == Decimal("71.40")
    record_payment(
        tenant=tenant,
        account_number=billed.customer.account_number,
        amount="50.00",
        received_on=D(2026, 2, 2),
    )
    jan, feb = _invoices(billed)
    assert (jan.status, jan.amount_paid) == ("paid", Decimal("35.70"))
    assert (feb.status, feb.amount_paid) == ("partially_paid", Decimal("14.30"))
    assert account_balance(billed.customer) == Decimal("21.40")

    payment = record_payment(
        tenant=tenant, customer=billed.customer, amount="30.00", received_on=D(2026, 2, 3)
    )
    assert payment.unallocated == Decimal("8.60")
    assert credit(billed.customer) == Decimal("8.60")
    assert open_amount(billed.customer) == 0
    assert account_balance(billed.customer) == Decimal("-8.60")


def test_credit_is_used_by_the_next_invoice(tenant, billed):
    record_payment(
        tenant=tenant, customer=billed.customer, amount="80.00", received_on=D(2026, 2, 2)
    )
    run_billing(tenant=tenant, as_of=D(2026, 3, 1))
    march = _invoices(billed)[-1]
    assert march.amount_paid == Decimal("8.60")
    assert account_balance(billed.customer) == Decimal("27.10")
    assert account_balance(billed.customer) == open_amount(billed.customer) - credit(
        billed.customer
    )


@pytest.mark.parametrize(
    ("amount", "field"),
    [("-5.00", "amount"), ("0", "amount"), ("10.001", "amount"), ("ten", "amount")],
)
def test_bad_amounts_are_refused_and_nothing_is_written(tenant, billed, amount, field):
    with pytest.raises(InvalidInput) as err:
        record_payment(tenant=tenant, customer=billed.customer, amount=amount)
    assert err.value.field == field
    assert not Payment.objects.exists()
    assert all(i.amount_paid == 0 for i in _invoices(billed))


def test_payment_for_an_unknown_account_is_refused(tenant, billed):
    with pytest.raises(NotFound) as err:
        record_payment(tenant=tenant, account_number="CT-1999-99999", amount="10.00")
    assert err.value.field == "account"
    assert not Payment.objects.exists()


def test_payment_for_another_tenants_account_is_unknown(make_tenant, make_customer):
    a, b = make_tenant(), make_tenant()
    other = make_customer(b)
    with pytest.raises(NotFound):
        record_payment(tenant=a, account_number=other.account_number, amount="10.00")
    with pytest.raises(NotFound):
        record_payment(tenant=a, customer=other, amount="10.00")


def test_the_same_bank_reference_is_not_recorded_twice(tenant, billed):
    record_payment(tenant=tenant, customer=billed.customer, amount="10.00", reference="EFT 77")
    with pytest.raises(Conflict) as err:
        record_payment(tenant=tenant, customer=billed.customer, amount="10.00", reference="EFT 77")
    assert err.value.field == "reference"
    assert Payment.objects.count() == 1


def test_reminder_after_the_grace_days_once_per_invoice(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))  # due 15 Jan
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 20)).reminders_sent == 0  # 5 days
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 21)).reminders_sent == 1  # 6 days
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 22)).reminders_sent == 0
    reminder = Reminder.objects.get(invoice__customer=sub.customer)
    assert (reminder.days_past_due, reminder.sent_on) == (6, D(2026, 1, 21))
    assert Job.objects.filter(kind="collections.send_reminder").count() == 1


def test_suspension_after_ten_days_and_reconnection_on_payment(
    tenant, make_subscription, django_capture_on_commit_callbacks
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 25)).suspended == 0  # 10 days
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 26)).suspended == 1  # 11 days
    sub = Subscription.objects.get(pk=sub.pk)
    assert (sub.status, sub.suspension_cause) == ("suspended", "non_payment")
    assert Customer.objects.get(pk=sub.customer_id).status == "suspended"
    assert RadCheck.objects.filter(
        username=sub.username, attribute="Auth-Type", value="Reject"
    ).exists()

    # The reconnection runs after the payment's commit, through the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            tenant=tenant, customer=sub.customer, amount="20.00", received_on=D(2026, 1, 27)
        )
    assert Subscription.objects.get(pk=sub.pk).status == "suspended"  # still overdue

    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            tenant=tenant, customer=sub.customer, amount="15.70", received_on=D(2026, 1, 28)
        )
    sub = Subscription.objects.get(pk=sub.pk)
    assert (sub.status, sub.suspension_cause) == ("active", "")
    assert Customer.objects.get(pk=sub.customer_id).status == "active"
    assert not RadCheck.objects.filter(username=sub.username, attribute="Auth-Type").exists()
    event = sub.events.first()
    assert (event.from_status, event.to_status, event.reason) == (
        "suspended",
        "active",
        "overdue invoices paid",
    )


def test_the_default_rules_are_a_campaign_and_a_late_first_run_catches_up(
    tenant, make_subscription
):
    """Reminder and suspension are the steps of the tenant's default campaign;
    a first run 11 days past due does both at once, as daily runs would have."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))  # due 15 Jan
    run = run_collections(tenant=tenant, as_of=D(2026, 1, 26))
    assert (run.reminders_sent, run.suspended, run.dunning_steps) == (1, 1, 2)
    campaign = DunningCampaign.objects.get(tenant=tenant)
    steps = [(s.action, s.delay_days) for s in campaign.steps.order_by("position")]
    assert (campaign.name, campaign.trigger_after_days, steps) == (
        "Default",
        6,
        [("reminder", 0), ("suspend", 5)],
    )
    execution = DunningExecution.objects.get(customer=sub.customer)
    assert (execution.campaign, execution.status) == (campaign, "completed")
    assert Subscription.objects.get(pk=sub.pk).status == "suspended"


def test_a_tenant_that_turns_its_default_campaign_off_is_not_dunned(tenant, make_subscription):
    ensure_default_campaign(tenant)
    DunningCampaign.objects.filter(tenant=tenant).update(is_active=False)
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run = run_collections(tenant=tenant, as_of=D(2026, 2, 1))
    assert (run.reminders_sent, run.suspended) == (0, 0)
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    assert DunningCampaign.objects.filter(tenant=tenant).count() == 1  # not recreated


def test_an_administrative_suspension_is_not_lifted_by_a_payment(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    suspend(subscription=sub, reason="abuse report")
    record_payment(tenant=tenant, customer=sub.customer, amount="35.70", received_on=D(2026, 1, 2))
    assert Subscription.objects.get(pk=sub.pk).status == "suspended"
    reconnect(subscription=sub, reason="resolved")
    assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_collections_run_reconnects_when_the_debt_was_cleared_otherwise(tenant, make_subscription):
    from ispstack.billing.services import void_invoice

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_collections(tenant=tenant, as_of=D(2026, 1, 26))
    void_invoice(invoice=_invoices(sub)[0], reason="billed by mistake")
    assert run_collections(tenant=tenant, as_of=D(2026, 1, 27)).reconnected == 1
    assert Subscription.objects.get(pk=sub.pk).status == "active"
