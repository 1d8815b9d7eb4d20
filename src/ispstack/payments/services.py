"""Payment writes: record a payment, allocate it to the oldest open invoices.

Allocation rule (issue 2): a payment pays the customer's open invoices in the
order they fell due (then issue date, then number); what remains stays on
the payment as credit and is used by the next invoice issued. The account
balance is therefore always the sum of open invoice amounts less unused
credit (``selectors.account_balance``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.billing.models import Invoice, InvoiceStatus
from ispstack.billing.services import apply_payment
from ispstack.core import audit, clock, events
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, parse_amount
from ispstack.customers.models import Customer
from ispstack.customers.selectors import get_by_account_number
from ispstack.payments.models import Allocation, Payment, PaymentMethod


def _allocate(payment: Payment, invoices: list[Invoice]) -> Decimal:
    """Allocate ``payment.unallocated`` to ``invoices`` in order; returns the amount used."""
    used = ZERO
    for invoice in invoices:
        if payment.unallocated <= ZERO:
            break
        share = min(payment.unallocated, invoice.amount_due)
        if share <= ZERO:
            continue
        apply_payment(invoice=invoice, amount=share, paid_on=payment.received_on)
        Allocation.objects.create(
            tenant=payment.tenant, payment=payment, invoice=invoice, amount=share
        )
        payment.unallocated -= share
        used += share
    payment.save(update_fields=["unallocated", "updated_at"])
    return used


def open_invoices(customer: Customer) -> list[Invoice]:
    """The customer's issued, unpaid invoices, oldest due first, locked for update."""
    return list(
        Invoice.objects.select_for_update()
        .filter(customer=customer, status=InvoiceStatus.ISSUED)
        .order_by("due_date", "issue_date", "number")
    )


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
    NotFound (unknown account) or Conflict (reference already recorded).
    Publishes ``payment.recorded`` so collections can reconnect.
    """
    if customer is None:
        if not account_number:
            raise InvalidInput("give the customer or its account number", field="account")
        customer = get_by_account_number(tenant, account_number)
    elif customer.tenant_id != tenant.pk:
        raise NotFound("no such customer in this tenant", field="account")
    value = parse_amount(amount, customer.currency, allow_zero=False)
    if method not in PaymentMethod.values:
        raise InvalidInput(f"must be one of {', '.join(PaymentMethod.values)}", field="method")
    if isinstance(received_on, str):
        try:
            received_on = dt.date.fromisoformat(received_on)
        except ValueError:
            raise InvalidInput(
                f"'{received_on}' is not a date (YYYY-MM-DD)", field="received_on"
            ) from None
    received_on = received_on or clock.today(tenant)
    reference = (reference or "").strip()
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
        received_on=received_on,
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
    events.publish(events.PAYMENT_RECORDED, payment=payment)
    return payment


def apply_credit(*, invoice: Invoice) -> Decimal:
    """Use the customer's unallocated credit (oldest payment first) on ``invoice``.

    Runs in the transaction that issued the invoice (``invoice.issued`` handler).
    """
    if invoice.status != InvoiceStatus.ISSUED:
        return ZERO
    used = ZERO
    credits = (
        Payment.objects.select_for_update()
        .filter(customer_id=invoice.customer_id, unallocated__gt=0, currency=invoice.currency)
        .order_by("received_on", "id")
    )
    for payment in credits:
        invoice = Invoice.objects.get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.ISSUED:
            break
        used += _allocate(payment, [invoice])
    return used


def on_invoices_issued(*, invoice_ids: list[int]) -> None:
    """Event handler: new invoices consume their customers' credit at once.

    One query finds the customers in credit; the billing run's chunks of a
    thousand invoices usually find none.
    """
    in_credit = Payment.objects.filter(
        unallocated__gt=0, customer__invoices__pk__in=invoice_ids
    ).values("customer_id")
    for invoice in Invoice.objects.filter(pk__in=invoice_ids, customer_id__in=in_credit).order_by(
        "pk"
    ):
        apply_credit(invoice=invoice)
