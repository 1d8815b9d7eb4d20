"""Billing writes on single invoices: apply a payment, void.

The billing run, which writes invoices in bulk, is ``billing.runner``;
``run_billing`` is re-exported here as the service callers use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.billing.models import (
    OPEN_STATUSES,
    BillingRun,
    Invoice,
    InvoiceStatus,
    SubscriptionBilling,
)
from ispstack.billing.periods import ONE_DAY, period_starting
from ispstack.billing.runner import check_as_of, run_billing
from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.services import apply_plan, schedule_plan

__all__ = [
    "unapply_from_invoice",
    "apply_to_invoice",
    "change_plan",
    "next_cycle_start",
    "run_billing",
    "start_billing_run",
    "void_invoice",
]

# A queued or running run whose record has not moved for this long is taken
# for dead (its process was killed) and no longer blocks a new start; a
# chunk of 1000 subscriptions takes seconds.
STALE_RUN = dt.timedelta(minutes=30)


def active_billing_run(tenant: Tenant) -> BillingRun | None:
    """The tenant's billing run that is queued or running now, if any (one
    that has not moved for ``STALE_RUN`` is not counted)."""
    return (
        BillingRun.objects.for_tenant(tenant)
        .filter(
            status__in=[BillingRun.Status.QUEUED, BillingRun.Status.RUNNING],
            updated_at__gte=clock.now() - STALE_RUN,
        )
        .order_by("-created_at")
        .first()
    )


def start_billing_run(*, tenant: Tenant, as_of: dt.date, actor: Any = None) -> BillingRun:
    """Queue a billing run for ``as_of`` as a background job; returns its
    record, status ``queued`` (the job ``billing.run`` carries it on).

    Returns at once: the run itself happens in a Celery worker, or without a
    broker in a thread of this process after commit (``core.outbox``).
    Raises InvalidInput (field ``as_of``) for a date ``run_billing`` refuses,
    Conflict when another billing run of the tenant is queued or running.
    """
    check_as_of(tenant, as_of)
    with transaction.atomic():
        # Two clicks at once: the second waits here and then sees the first run.
        tenant_lock(tenant, "billing.start")
        busy = active_billing_run(tenant)
        if busy is not None:
            raise Conflict(
                f"a billing run (for {busy.as_of}) is already {busy.get_status_display().lower()}; "
                "wait for it to finish"
            )
        run = BillingRun.objects.create(
            tenant=tenant,
            as_of=as_of,
            status=BillingRun.Status.QUEUED,
            started_by=actor if getattr(actor, "pk", None) else None,
        )
        outbox.enqueue(
            tenant=tenant,
            kind="billing.run",
            payload={"run_id": run.pk},
            max_attempts=1,
            background=True,
        )
    return run


def apply_to_invoice(
    *, invoice: Invoice, amount: Decimal, on: dt.date, credit: bool = False
) -> Invoice:
    """Settle ``amount`` (currency units, > 0, at most what is due) of an open
    invoice: a payment (``amount_paid``) or a credit note (``amount_credited``).

    The invoice becomes partially paid, or paid when nothing is left. Called
    by payments inside its allocation transaction. Raises InvalidTransition
    for an invoice that is not open, InvalidInput for a bad amount.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in OPEN_STATUSES:
        raise InvalidTransition(f"invoice {invoice} is {invoice.status}", field="invoice")
    if amount <= 0 or amount > invoice.amount_due:
        raise InvalidInput(f"must be between 0 and {invoice.amount_due}", field="amount")
    if credit:
        invoice.amount_credited += amount
    else:
        invoice.amount_paid += amount
    if invoice.amount_due == ZERO:
        invoice.settle()
        invoice.paid_on = on
    else:
        invoice.pay_part()
    invoice.save(
        update_fields=["amount_paid", "amount_credited", "status", "paid_on", "updated_at"]
    )
    return invoice


def unapply_from_invoice(*, invoice: Invoice, amount: Decimal) -> Invoice:
    """Take back ``amount`` of a payment from an invoice (a returned direct
    debit, a charged-back card): it is open again. Called by payments inside
    its reversal transaction."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if amount <= 0 or amount > invoice.amount_paid:
        raise InvalidInput(f"must be between 0 and {invoice.amount_paid}", field="amount")
    invoice.amount_paid -= amount
    invoice.paid_on = None
    if invoice.amount_paid + invoice.amount_credited == ZERO:
        invoice.reopen()
    else:
        invoice.reopen_part()
    invoice.save(update_fields=["amount_paid", "status", "paid_on", "updated_at"])
    return invoice


@transaction.atomic
def void_invoice(*, invoice: Invoice, reason: str, actor: Any = None) -> Invoice:
    """Void an unpaid invoice (nothing allocated to it), dated the tenant's
    today (``voided_on``: the revenue schedules and the journal take the sale
    back in that month). Reason required."""
    if not (reason or "").strip():
        raise InvalidInput("a reason is required to void an invoice", field="reason")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.amount_paid > 0:
        raise InvalidTransition("payments are allocated to this invoice", field="status")
    if invoice.status != InvoiceStatus.ISSUED:
        raise InvalidTransition(f"cannot void a {invoice.status} invoice", field="status")
    before = audit.snapshot(invoice)
    invoice.void()
    invoice.voided_on = clock.today(invoice.tenant)
    invoice.save()
    audit.record(
        tenant=invoice.tenant,
        actor=actor,
        action="invoice.void",
        obj=invoice,
        before=before,
        after=audit.snapshot(invoice),
        reason=reason,
    )
    return invoice


def next_cycle_start(subscription: Subscription) -> dt.date:
    """The first day of the subscription's next billing period from today."""
    today = clock.today(subscription.tenant)
    state = SubscriptionBilling.objects.filter(subscription=subscription).first()
    if state and state.billed_through and state.billed_through >= today:
        return state.billed_through + ONE_DAY
    return (
        period_starting(today, subscription.billing_day, subscription.plan.cycle_months).end
        + ONE_DAY
    )


def change_plan(
    *,
    subscription: Subscription,
    plan: Any,
    when: str = "now",
    on: dt.date | None = None,
    actor: Any = None,
    reason: str = "",
) -> Any:
    """Change a subscription's plan ``now`` (prorated, from ``on`` or today),
    at the ``next_cycle`` (no proration), or on a given ``date`` (``on``).

    Returns the subscription (applied) or the scheduled PlanChange. Raises
    InvalidInput for an unknown ``when``, a date out of range (``core.inputs``)
    or a reason over ``core.inputs.TEXT_MAX_LENGTH`` characters.
    """
    reason = inputs.text(reason, "reason", max_length=inputs.TEXT_MAX_LENGTH)
    if on is not None:
        on = inputs.day(on, "on")
    if when == "now":
        return apply_plan(
            subscription=subscription,
            plan=plan,
            actor=actor,
            reason=reason,
            effective=on or clock.today(subscription.tenant),
        )
    if when == "next_cycle":
        effective = next_cycle_start(subscription)
    elif when == "date":
        if on is None:
            raise InvalidInput("give the date the change takes effect", field="on")
        effective = on
    else:
        raise InvalidInput("must be 'now', 'next_cycle' or 'date'", field="when")
    return schedule_plan(
        subscription=subscription, plan=plan, effective=effective, actor=actor, reason=reason
    )
