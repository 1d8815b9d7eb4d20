"""Collections: dunning (reminders, suspension for non-payment and the other
steps of the tenant's campaigns, ``collections.dunning``) and reconnection.

Once a customer has no overdue invoice left (a payment cleared them), the
subscriptions suspended for non-payment are reconnected at once; an
administrative suspension is left alone.

"Past due" counts days after the due date: due on the 1st, the 2nd is day 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ispstack.billing.models import OPEN_STATUSES, Invoice
from ispstack.collections.dunning import run_dunning
from ispstack.collections.models import CollectionRun
from ispstack.core import clock, outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.inputs import check_date
from ispstack.core.locks import tenant_lock
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


def run_collections(
    *, tenant: Tenant, as_of: dt.date, run: CollectionRun | None = None
) -> CollectionRun:
    """Run the tenant's dunning campaigns and reconnect cleared customers for
    ``as_of``; idempotent for a date.

    Dunning steps a chunk of customers per transaction
    (``dunning_steps.perform_due_steps``); each suspended customer is
    checked for reconnection in its own transaction. ``run``: a record
    written ``queued`` by ``start_collections_run``, carried on (its
    ``steps_done`` of ``steps_total`` move as it goes) instead of a new one.
    Raises InvalidInput (field ``as_of``) for a date outside ``core.inputs``'
    range.
    """
    check_date(as_of, "as_of")
    if run is None:
        run = CollectionRun(tenant=tenant, as_of=as_of, status=CollectionRun.Status.RUNNING)
    suspended = list(
        Customer.objects.for_tenant(tenant)
        .filter(
            subscriptions__status=SubscriptionStatus.SUSPENDED,
            subscriptions__suspension_cause=SuspensionCause.NON_PAYMENT,
        )
        .distinct()
    )
    # The dunning pass counts one step, each suspended customer checked one more.
    run.status = CollectionRun.Status.RUNNING
    run.steps_total = 1 + len(suspended)
    _save_progress(run)
    counts = run_dunning(tenant=tenant, as_of=as_of)
    run.dunning_started = counts["started"]
    run.dunning_steps = counts["steps"]
    run.dunning_recovered = counts["recovered"]
    run.reminders_sent = counts["reminders"]
    run.suspended = counts["suspended"]
    run.steps_done = 1
    _save_progress(run)
    # Customers suspended by this very run's dunning are not reconnected:
    # they were read before it, and are not cleared anyway.
    for customer in suspended:
        with transaction.atomic():
            run.reconnected += reconnect_if_cleared(customer, as_of)
        run.steps_done += 1
        _save_progress(run)
    run.status = CollectionRun.Status.DONE
    run.finished_at = clock.now()
    run.save()
    return run


def _save_progress(run: CollectionRun) -> None:
    """Save a console-started run's progress (the periodic run saves once, at the end)."""
    if run.pk:
        run.save()


# A queued or running run whose record has not moved for this long is taken
# for dead (its process was killed) and no longer blocks a new start.
STALE_RUN = dt.timedelta(minutes=30)


def active_collections_run(tenant: Tenant) -> CollectionRun | None:
    """The tenant's collections run queued or running now, if any (one that
    has not moved for ``STALE_RUN`` is not counted)."""
    return (
        CollectionRun.objects.for_tenant(tenant)
        .filter(
            status__in=[CollectionRun.Status.QUEUED, CollectionRun.Status.RUNNING],
            updated_at__gte=clock.now() - STALE_RUN,
        )
        .order_by("-created_at")
        .first()
    )


def start_collections_run(*, tenant: Tenant, as_of: dt.date, actor: Any = None) -> CollectionRun:
    """Queue a collections run for ``as_of`` as a background job (``core.outbox``,
    job ``collections.run``); returns its record, status ``queued``.

    Raises InvalidInput (field ``as_of``) for a date outside ``core.inputs``'
    range or more than a year after the tenant's today, Conflict when another
    collections run of the tenant is queued or running.
    """
    check_date(as_of, "as_of")
    if as_of > clock.today(tenant) + dt.timedelta(days=366):
        raise InvalidInput(
            "must be at most 366 days after today: dunning ahead of time would "
            "suspend customers who are not late yet",
            field="as_of",
        )
    with transaction.atomic():
        tenant_lock(tenant, "collections.start")
        busy = active_collections_run(tenant)
        if busy is not None:
            raise Conflict(
                f"a collections run (for {busy.as_of}) is already "
                f"{busy.get_status_display().lower()}; wait for it to finish"
            )
        run = CollectionRun.objects.create(
            tenant=tenant,
            as_of=as_of,
            status=CollectionRun.Status.QUEUED,
            started_by=actor if getattr(actor, "pk", None) else None,
        )
        outbox.enqueue(
            tenant=tenant,
            kind="collections.run",
            payload={"run_id": run.pk},
            max_attempts=1,
            background=True,
        )
    return run


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
