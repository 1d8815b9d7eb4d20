"""Payment writes: record payments and refunds, allocate credit to invoices.

Allocation rule: credit (a payment, or a credit note's rest) pays
the customer's open invoices in the order they fell due (then issue date,
then number); what remains stays unallocated as the customer's credit and
is used by the next invoice issued, or refunded. The account balance is
therefore always the open invoice amounts less unused credit
(``selectors.account_balance``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.billing.events import CreditNoteIssued, InvoicesIssued
from ispstack.billing.models import OPEN_STATUSES, CreditNote, Invoice
from ispstack.billing.services import apply_to_invoice, unapply_from_invoice
from ispstack.core import audit, clock, events, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, parse_amount
from ispstack.customers.models import Customer
from ispstack.customers.selectors import get_by_account_number
from ispstack.payments.events import AllocationApplied, PaymentReceived
from ispstack.payments.models import Allocation, Payment, PaymentMethod, Refund

Source = Payment | CreditNote


def _source_kwargs(source: Source) -> dict[str, Any]:
    return {"payment": source} if isinstance(source, Payment) else {"credit_note": source}


def _source_date(source: Source) -> dt.date:
    return source.received_on if isinstance(source, Payment) else source.issue_date


def _allocate(source: Source, invoices: list[Invoice]) -> Decimal:
    """Allocate ``source.unallocated`` to ``invoices`` in order; returns the amount used."""
    used = ZERO
    for invoice in invoices:
        if source.unallocated <= ZERO:
            break
        share = min(source.unallocated, invoice.amount_due)
        if share <= ZERO:
            continue
        apply_to_invoice(
            invoice=invoice,
            amount=share,
            on=_source_date(source),
            credit=isinstance(source, CreditNote),
        )
        Allocation.objects.create(
            tenant_id=source.tenant_id, invoice=invoice, amount=share, **_source_kwargs(source)
        )
        source.unallocated -= share
        used += share
    source.save(update_fields=["unallocated", "updated_at"])
    return used


def open_invoices(customer: Customer) -> list[Invoice]:
    """The customer's open invoices, oldest due first, locked for update."""
    return list(
        Invoice.objects.select_for_update()
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .order_by("due_date", "issue_date", "number")
    )


def parse_date(value: dt.date | str | None, tenant: Tenant, field: str) -> dt.date:
    """A date from input (a date or ``YYYY-MM-DD``), the tenant's today when empty.

    Raises InvalidInput naming ``field`` (not a date, or outside the dates
    ``core.inputs`` accepts).
    """
    if value in (None, ""):
        return clock.today(tenant)
    return inputs.day(value, field)


def _customer(tenant: Tenant, customer: Customer | None, account_number: str | None) -> Customer:
    if customer is None:
        account_number = inputs.text(account_number, "account_number")
        if not account_number:
            raise InvalidInput("give the customer or its account number", field="account")
        return get_by_account_number(tenant, account_number)
    if customer.tenant_id != tenant.pk:
        raise NotFound("no such customer in this tenant", field="account")
    return customer


@integrity_conflicts()
@transaction.atomic
def record_payment(
    *,
    tenant: Tenant,
    amount: Any,
    received_on: dt.date | str | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    customer: Customer | None = None,
    account_number: str | None = None,
    actor: Any = None,
) -> Payment:
    """Record money received and allocate it to the oldest open invoices.

    The customer is given as ``customer`` or by ``account_number``.
    ``amount`` is a positive decimal (string or Decimal) with no more
    decimals than the customer's currency allows. Raises InvalidInput,
    NotFound (unknown account) or Conflict (reference already recorded,
    also when a concurrent recording of it commits first: the unique index).
    Publishes ``PaymentReceived`` and ``AllocationApplied`` (collections
    reconnects after commit when nothing is overdue any more).

    Payments of one customer are recorded one at a time (the customer's row
    lock), each allocating against the invoices as the one before left them.
    """
    customer = _customer(tenant, customer, account_number)
    value = parse_amount(amount, customer.currency, allow_zero=False)
    if not isinstance(method, str) or method not in PaymentMethod.values:
        raise InvalidInput(f"must be one of {', '.join(PaymentMethod.values)}", field="method")
    day = parse_date(received_on, tenant, "received_on")
    reference = inputs.text(reference, "reference")
    inputs.check_values(Payment, {"reference": reference})
    if (
        reference
        and Payment.objects.for_tenant(tenant).filter(method=method, reference=reference).exists()
    ):
        raise Conflict(
            f"a {method} payment with reference '{reference}' is already recorded",
            field="reference",
        )
    Customer.objects.select_for_update().get(pk=customer.pk)
    payment = Payment.objects.create(
        tenant=tenant,
        customer=customer,
        amount=value,
        currency=customer.currency,
        received_on=day,
        method=method,
        reference=reference,
        unallocated=value,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    _allocate(payment, open_invoices(customer))
    audit.record(
        tenant=tenant,
        actor=actor,
        action="payment.record",
        obj=payment,
        after=audit.snapshot(payment),
    )
    events.publish(
        PaymentReceived(
            tenant_id=tenant.pk,
            payment_id=payment.pk,
            customer_id=customer.pk,
            amount=str(value),
            currency=payment.currency,
            received_on=day,
        )
    )
    events.publish(AllocationApplied(tenant_id=tenant.pk, customer_id=customer.pk, on=day))
    return payment


def credit_sources(customer: Customer, currency: str) -> list[Source]:
    """Payments and credit notes with unused credit, oldest first, locked."""
    payments = Payment.objects.select_for_update().filter(
        customer=customer, unallocated__gt=0, currency=currency
    )
    notes = CreditNote.objects.select_for_update().filter(
        customer=customer, unallocated__gt=0, currency=currency
    )
    sources: list[Source] = [*payments, *notes]
    return sorted(sources, key=lambda s: (_source_date(s), s.created_at))


def apply_credit(*, invoice: Invoice) -> Decimal:
    """Use the customer's unused credit, oldest first, on ``invoice``."""
    used = ZERO
    for source in credit_sources(invoice.customer, invoice.currency):
        invoice = Invoice.objects.get(pk=invoice.pk)
        if invoice.status not in OPEN_STATUSES:
            break
        used += _allocate(source, [invoice])
    return used


@transaction.atomic
def record_refund(
    *,
    tenant: Tenant,
    customer: Customer,
    amount: Any,
    refunded_on: dt.date | str | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    reason: str = "",
    actor: Any = None,
) -> Refund:
    """Pay credit back to a customer; drawn from the oldest credit first.

    Raises InvalidInput when ``amount`` exceeds the customer's credit.
    """
    customer = _customer(tenant, customer, None)
    value = parse_amount(amount, customer.currency, allow_zero=False)
    if method not in PaymentMethod.values:
        raise InvalidInput(f"must be one of {', '.join(PaymentMethod.values)}", field="method")
    reference = inputs.text(reference, "reference")
    reason = inputs.text(reason, "reason")
    inputs.check_values(Refund, {"reference": reference, "reason": reason})
    Customer.objects.select_for_update().get(pk=customer.pk)
    sources = credit_sources(customer, customer.currency)
    available = sum((s.unallocated for s in sources), ZERO)
    if value > available:
        raise InvalidInput(
            f"the customer has only {available} {customer.currency} of credit", field="amount"
        )
    refund = Refund.objects.create(
        tenant=tenant,
        customer=customer,
        amount=value,
        currency=customer.currency,
        refunded_on=parse_date(refunded_on, tenant, "refunded_on"),
        method=method,
        reference=reference,
        reason=reason,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    left = value
    for source in sources:
        share = min(left, source.unallocated)
        if share <= ZERO:
            continue
        Allocation.objects.create(
            tenant=tenant, refund=refund, amount=share, **_source_kwargs(source)
        )
        source.unallocated -= share
        source.save(update_fields=["unallocated", "updated_at"])
        left -= share
        if left == ZERO:
            break
    audit.record(
        tenant=tenant,
        actor=actor,
        action="refund.record",
        obj=refund,
        after=audit.snapshot(refund),
        reason=reason,
    )
    return refund


def on_invoices_issued(event: InvoicesIssued) -> None:
    """Event handler (in the transaction): new invoices consume their customers' credit at once.

    The customers in credit come from partial indexes (rows with unused
    credit only), so a billing run's chunk of a thousand invoices pays two
    index probes when nobody is in credit.
    """
    tenant_id = event.tenant_id
    in_credit = set(
        Payment.objects.filter(tenant_id=tenant_id, unallocated__gt=0).values_list(
            "customer_id", flat=True
        )
    ) | set(
        CreditNote.objects.filter(tenant_id=tenant_id, unallocated__gt=0).values_list(
            "customer_id", flat=True
        )
    )
    in_credit &= set(event.customer_ids)
    if not in_credit:
        return
    invoices = Invoice.objects.filter(pk__in=event.invoice_ids, customer_id__in=in_credit)
    for invoice in invoices.select_related("customer").order_by("pk"):
        apply_credit(invoice=invoice)


def on_credit_note_issued(event: CreditNoteIssued) -> None:
    """Event handler (in the transaction): a credit note pays its invoice
    first, then the oldest open ones."""
    credit_note = CreditNote.objects.select_related("customer").get(pk=event.credit_note_id)
    invoices = open_invoices(credit_note.customer)
    corrected = [i for i in invoices if i.pk == credit_note.invoice_id]
    _allocate(credit_note, corrected + [i for i in invoices if i.pk != credit_note.invoice_id])
    events.publish(
        AllocationApplied(
            tenant_id=event.tenant_id,
            customer_id=credit_note.customer_id,
            on=credit_note.issue_date,
        )
    )


@transaction.atomic
def reverse_payment(*, payment: Payment, reason: str, on: dt.date, actor: Any = None) -> Payment:
    """Undo a payment the bank took back (a returned direct debit, a chargeback).

    Its allocations leave the invoices, which are open again (collections
    will chase them); credit it left unused is gone. Raises
    InvalidTransition when it was reversed already or refunded in part.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.reversed_on is not None:
        raise InvalidTransition("the payment was reversed already", field="payment")
    if payment.allocations.filter(refund__isnull=False).exists():
        raise InvalidTransition("part of this payment was refunded", field="payment")
    for allocation in payment.allocations.select_related("invoice"):
        unapply_from_invoice(invoice=allocation.invoice, amount=allocation.amount)  # type: ignore[arg-type]
    payment.allocations.all().delete()
    payment.unallocated = ZERO
    payment.reversed_on = on
    payment.reversal_reason = reason[:200]
    payment.save(update_fields=["unallocated", "reversed_on", "reversal_reason", "updated_at"])
    audit.record(
        tenant=payment.tenant, actor=actor, action="payment.reverse", obj=payment, reason=reason
    )
    return payment
