"""Reads on balances."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum

from ispstack.billing.models import Invoice, InvoiceStatus
from ispstack.core.money import ZERO
from ispstack.customers.models import Customer
from ispstack.payments.models import Payment


def open_amount(customer: Customer) -> Decimal:
    """Sum of what is still due on the customer's issued invoices."""
    total = Invoice.objects.filter(customer=customer, status=InvoiceStatus.ISSUED).aggregate(
        due=Sum(F("total") - F("amount_paid"))
    )["due"]
    return total or ZERO


def credit(customer: Customer) -> Decimal:
    """The customer's unused payments (credit)."""
    return Payment.objects.filter(customer=customer).aggregate(c=Sum("unallocated"))["c"] or ZERO


def account_balance(customer: Customer) -> Decimal:
    """What the customer owes: open invoice amounts less credit (negative = in credit)."""
    return open_amount(customer) - credit(customer)
