"""Payments received from customers and their allocation to invoices."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ispstack.billing.models import CreditNote, Invoice
from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel, User
from ispstack.customers.models import Customer


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    OTHER = "other", "Other"


class Payment(TenantScopedModel):
    """Money received from a customer, in currency units.

    ``unallocated`` is the part not yet allocated to invoices: the
    customer's credit, used up by the next invoices.
    A non-empty ``reference`` is unique per tenant and method, so the same
    bank reference can't be recorded twice.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=140, blank=True)
    unallocated = money_field(default=Decimal(0))
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "method", "reference"],
                condition=~models.Q(reference=""),
                name="payments_payment_reference_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_payment_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unallocated__gte=0, unallocated__lte=models.F("amount")),
                name="payments_payment_unallocated_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "customer"],
                condition=models.Q(unallocated__gt=0),
                name="payments_payment_credit_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.customer.account_number}"


class Refund(TenantScopedModel):
    """Credit paid back to a customer (bank transfer, card refund), in currency units."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    currency = models.CharField(max_length=3)
    refunded_on = models.DateField()
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=140, blank=True)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-refunded_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_refund_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} to {self.customer.account_number}"


class Allocation(TenantScopedModel):
    """Money moved from a source of credit to what it settles.

    The source is a payment or a credit note; the target an invoice or a
    refund. Exactly one of each, enforced by the database.
    """

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    amount = money_field()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_allocation_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(payment__isnull=False, credit_note__isnull=True)
                    | models.Q(payment__isnull=True, credit_note__isnull=False)
                ),
                name="payments_allocation_one_source",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(invoice__isnull=False, refund__isnull=True)
                    | models.Q(invoice__isnull=True, refund__isnull=False)
                ),
                name="payments_allocation_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to {self.invoice or self.refund}"
