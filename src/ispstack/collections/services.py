"""Collections: remind, suspend for non-payment, reconnect on payment.

Rules (tenant settings, defaults in brackets):

- an invoice more than ``grace_days`` (5) past due gets one reminder email;
- a customer whose oldest unpaid invoice is more than
  ``suspend_after_days`` (10) past due has every active subscription
  suspended with cause ``non_payment``;
- once a customer has no overdue invoice left (a payment cleared them), the
  subscriptions suspended for non-payment are reconnected at once; an
  administrative suspension is left alone.

"Past due" counts days after the due date: due on the 1st, the 2nd is day 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Min

from ispstack.billing.models import OPEN_STATUSES, Invoice
from ispstack.collections.dunning import run_dunning
from ispstack.collections.models import CollectionRun, DunningCampaign, Reminder
from ispstack.core import outbox
from ispstack.core.models import Tenant
from ispstack.customers import services as customers
from ispstack.customers.models import Customer, CustomerStatus
from ispstack.payments.events import AllocationApplied
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription, SubscriptionStatus, SuspensionCause

SYSTEM = "collections"


def overdue_invoices(customer: Customer, as_of: dt.date) -> Any:
    """The customer's issued invoices whose due date is before ``as_of``."""
    return Invoice.objects.filter(customer=customer, status__in=OPEN_STATUSES, due_date__lt=as_of)


def suspend_for_non_payment(
    customer: Customer, as_of: dt.date, days: int, reason: str = "", actor: str = SYSTEM
) -> int:
    """Suspend the customer's active subscriptions and mark the customer
    suspended; returns how many subscriptions."""
    count = 0
    for sub in Subscription.objects.filter(customer=customer, status=SubscriptionStatus.ACTIVE):
        subscriptions.suspend(
            subscription=sub,
            actor=actor,
            on=as_of,
            cause=SuspensionCause.NON_PAYMENT,
            reason=reason or f"non-payment: {days} days past due",
        )
        count += 1
    customers.set_status(
        customer=customer,
        status=CustomerStatus.SUSPENDED,
        actor=actor,
        reason=reason or f"non-payment: {days} days past due",
    )
    return count


def reconnect_if_cleared(customer: Customer, as_of: dt.date) -> int:
    """Reconnect non-payment suspensions when nothing is overdue on ``as_of``; returns how many."""
    if overdue_invoices(customer, as_of).exists():
        return 0
    count = 0
    for sub in Subscription.objects.filter(
        customer=customer,
        status=SubscriptionStatus.SUSPENDED,
        suspension_cause=SuspensionCause.NON_PAYMENT,
    ):
        subscriptions.reconnect(
            subscription=sub, actor=SYSTEM, on=as_of, reason="overdue invoices paid"
        )
        count += 1
    if customer.status == CustomerStatus.SUSPENDED:
        customers.set_status(
            customer=customer,
            status=CustomerStatus.ACTIVE,
            actor=SYSTEM,
            reason="overdue invoices paid",
        )
    return count


def run_collections(*, tenant: Tenant, as_of: dt.date) -> CollectionRun:
    """Remind, suspend and reconnect for ``as_of``; idempotent for a date.

    Each customer is handled in its own transaction.
    """
    run = CollectionRun(tenant=tenant, as_of=as_of)
    if DunningCampaign.objects.for_tenant(tenant).filter(is_active=True).exists():
        # The tenant's campaigns replace the default reminder and suspension
        # rules; reconnection below stays the same.
        counts = run_dunning(tenant=tenant, as_of=as_of)
        run.dunning_started = counts["started"]
        run.dunning_steps = counts["steps"]
        run.dunning_recovered = counts["recovered"]
    else:
        _remind_and_suspend(run, tenant, as_of)
    suspended = (
        Customer.objects.for_tenant(tenant)
        .filter(
            subscriptions__status=SubscriptionStatus.SUSPENDED,
            subscriptions__suspension_cause=SuspensionCause.NON_PAYMENT,
        )
        .distinct()
    )
    for customer in suspended:
        with transaction.atomic():
            run.reconnected += reconnect_if_cleared(customer, as_of)
    run.save()
    return run


def _remind_and_suspend(run: CollectionRun, tenant: Tenant, as_of: dt.date) -> None:
    """The default rules: a reminder after the grace days, suspension after
    ``suspend_after_days`` (defaults 5 and 10)."""
    remind_before = as_of - dt.timedelta(days=tenant.grace_days)
    due = (
        Invoice.objects.for_tenant(tenant)
        .filter(status__in=OPEN_STATUSES, due_date__lt=remind_before)
        .exclude(reminders__level=1)
        .select_related("customer")
    )
    for invoice in due:
        with transaction.atomic():
            days = (as_of - invoice.due_date).days
            Reminder.objects.create(
                tenant=tenant, invoice=invoice, level=1, sent_on=as_of, days_past_due=days
            )
            outbox.enqueue(
                tenant=tenant,
                kind="collections.send_reminder",
                payload={"invoice_id": invoice.pk, "days_past_due": days},
            )
            run.reminders_sent += 1
    suspend_before = as_of - dt.timedelta(days=tenant.suspend_after_days)
    late = (
        Invoice.objects.for_tenant(tenant)
        .filter(
            status__in=OPEN_STATUSES,
            due_date__lt=suspend_before,
            customer__subscriptions__status=SubscriptionStatus.ACTIVE,
        )
        .values("customer")
        .annotate(oldest=Min("due_date"))
    )
    for row in late:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=row["customer"])
            run.suspended += suspend_for_non_payment(customer, as_of, (as_of - row["oldest"]).days)


def on_allocation_applied(event: AllocationApplied) -> None:
    """Event handler (after commit, through the outbox): a payment or credit
    note that clears every overdue invoice reconnects at once.

    Overdue is judged on ``event.on``, the business date of the payment or
    credit note (so a simulated clock works too). The customer row is locked
    so a collections run and this handler do not reconnect the same
    subscription twice.
    """
    customer = Customer.objects.select_for_update().get(pk=event.customer_id)
    reconnect_if_cleared(customer, event.on)
