"""Billing writes: billing runs, issuing invoices, applying payments.

A billing run for ``as_of`` bills, for every active or suspended
subscription (and a terminated one up to its last day), each period that
starts on or before ``as_of`` and hasn't been billed: one invoice per
subscription and period. Each invoice is written, numbered and issued in its
own transaction, so a run killed at any moment leaves only whole invoices
and a gap-free sequence; run it again and it carries on. One subscription
that fails is recorded on the run and the others are still billed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from ispstack.billing.models import BillingRun, Invoice, InvoiceLine, InvoiceStatus, LineKind
from ispstack.billing.periods import Period, periods_due
from ispstack.core import audit, clock, events, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition, ServiceError
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, round_money, tax_for
from ispstack.core.numbering import next_number
from ispstack.subscriptions.models import Subscription, SubscriptionStatus

logger = logging.getLogger(__name__)

BILLABLE = [SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED]


def billed_through(subscription: Subscription) -> dt.date | None:
    """The last day already billed for ``subscription`` (None if never billed)."""
    return InvoiceLine.objects.filter(subscription=subscription, kind=LineKind.RECURRING).aggregate(
        end=Max("period_end")
    )["end"]


def recurring_line(sub: Subscription, period: Period, currency: str) -> InvoiceLine:
    """The (unsaved) line billing ``period`` of ``sub``'s plan, prorated and taxed per line."""
    plan = sub.plan
    net = round_money(plan.monthly_price * period.fraction, currency)
    rate = plan.tax_rate.rate
    tax = tax_for(net, rate, currency)
    label = f"{plan.name} {period.start:%d %b %Y} - {period.end:%d %b %Y}"
    if not period.is_full:
        label += f" (prorated {period.days}/{period.full_days} days)"
    return InvoiceLine(
        tenant_id=sub.tenant_id,
        subscription=sub,
        kind=LineKind.RECURRING,
        description=label,
        period_start=period.start,
        period_end=period.end,
        quantity=period.fraction.quantize(Decimal("0.000001")),
        unit_price=plan.monthly_price,
        net_amount=net,
        tax_rate=rate,
        tax_amount=tax,
        total=net + tax,
    )


def issue_invoice(*, invoice: Invoice, issue_date: dt.date, actor: Any = None) -> Invoice:
    """Number, date and issue a draft invoice; totals are the sums of its lines.

    Must run in the transaction that created the lines: the number is taken
    under the sequence's row lock and given back if that transaction fails.
    """
    tenant = invoice.tenant
    lines = list(invoice.lines.all())
    if not lines:
        raise InvalidInput("an invoice needs at least one line", field="lines")
    invoice.subtotal = sum((line.net_amount for line in lines), ZERO)
    invoice.tax_total = sum((line.tax_amount for line in lines), ZERO)
    invoice.total = invoice.subtotal + invoice.tax_total
    invoice.issue_date = issue_date
    invoice.due_date = issue_date + dt.timedelta(days=tenant.invoice_net_days)
    invoice.number = next_number(tenant, "invoice", issue_date.year, tenant.invoice_number_format)
    invoice.issue()
    if invoice.total == ZERO:
        invoice.mark_paid()
        invoice.paid_on = issue_date
    invoice.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="invoice.issue",
        obj=invoice,
        after={"number": invoice.number, "total": str(invoice.total)},
    )
    events.publish(events.INVOICE_ISSUED, invoice=invoice)
    outbox.enqueue(tenant=tenant, kind="billing.send_invoice", payload={"invoice_id": invoice.pk})
    return invoice


def bill_period(
    *,
    subscription: Subscription,
    period: Period,
    as_of: dt.date,
    run: BillingRun | None = None,
    actor: Any = None,
) -> Invoice | None:
    """Invoice one period of one subscription, in one transaction.

    Returns None when the period was billed already (by this or a concurrent
    run): the subscription row lock and the unique (subscription,
    period_start) line make a second invoice impossible.
    """
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .select_related("plan__tax_rate", "customer", "tenant")
            .get(pk=subscription.pk)
        )
        if InvoiceLine.objects.filter(
            subscription=sub, kind=LineKind.RECURRING, period_start=period.start
        ).exists():
            return None
        currency = sub.customer.currency
        if sub.plan.currency != currency:
            raise InvalidInput(
                f"plan '{sub.plan.code}' is priced in {sub.plan.currency} but the customer is "
                f"invoiced in {currency}",
                field="plan",
            )
        invoice = Invoice.objects.create(
            tenant=sub.tenant, customer=sub.customer, currency=currency, billing_run=run
        )
        line = recurring_line(sub, period, currency)
        line.invoice = invoice
        line.save()
        return issue_invoice(invoice=invoice, issue_date=as_of, actor=actor)


def run_billing(*, tenant: Tenant, as_of: dt.date, actor: Any = None) -> BillingRun:
    """Bill everything due on ``as_of`` for ``tenant``; returns the run record.

    Idempotent: a second run for the same date (or a re-run after a crash)
    creates only what is still missing.
    """
    run = BillingRun.objects.create(
        tenant=tenant, as_of=as_of, started_by=actor if getattr(actor, "pk", None) else None
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    subs = (
        Subscription.objects.for_tenant(tenant)
        .filter(status__in=BILLABLE, start_date__lte=as_of)
        .select_related("plan__tax_rate", "customer")
        .order_by("pk")
    )
    for sub in subs.iterator(chunk_size=500):
        run.subscriptions_seen += 1
        try:
            for period in periods_due(
                service_start=sub.start_date,
                billing_day=sub.billing_day,
                as_of=as_of,
                billed_through=billed_through(sub),
                service_end=sub.end_date,
            ):
                invoice = bill_period(
                    subscription=sub, period=period, as_of=as_of, run=run, actor=actor
                )
                if invoice is not None:
                    run.invoices_created += 1
                    totals[invoice.currency] += invoice.total
        except (ServiceError, IntegrityError) as exc:
            logger.warning("billing %s failed: %s", sub.username, exc)
            run.failures.append(
                {"subscription": sub.pk, "username": sub.username, "error": str(exc)}
            )
    run.totals = {c: str(round_money(amount, c)) for c, amount in totals.items()}
    run.status = BillingRun.Status.DONE
    run.finished_at = clock.now()
    run.save()
    return run


def apply_payment(*, invoice: Invoice, amount: Decimal, paid_on: dt.date) -> Invoice:
    """Add ``amount`` (currency units, > 0, at most what is due) to an issued
    invoice's ``amount_paid``; marks it paid when nothing is left. Called by
    payments inside its allocation transaction."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        raise InvalidTransition(f"invoice {invoice} is {invoice.status}", field="invoice")
    if amount <= 0 or amount > invoice.amount_due:
        raise InvalidInput(f"must be between 0 and {invoice.amount_due}", field="amount")
    invoice.amount_paid += amount
    if invoice.amount_due == ZERO:
        invoice.mark_paid()
        invoice.paid_on = paid_on
    invoice.save(update_fields=["amount_paid", "status", "paid_on", "updated_at"])
    return invoice


@transaction.atomic
def void_invoice(*, invoice: Invoice, reason: str, actor: Any = None) -> Invoice:
    """Void an unpaid invoice (nothing allocated to it). Reason required."""
    if not (reason or "").strip():
        raise InvalidInput("a reason is required to void an invoice", field="reason")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.amount_paid > 0:
        raise InvalidTransition("payments are allocated to this invoice", field="status")
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        raise InvalidTransition(f"cannot void a {invoice.status} invoice", field="status")
    before = audit.snapshot(invoice)
    invoice.void()
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
