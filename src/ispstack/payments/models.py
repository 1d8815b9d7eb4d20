"""Payments received from customers and their allocation to invoices."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ispstack.billing.models import Invoice
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
        indexes = [models.Index(fields=["customer", "unallocated"])]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.customer.account_number}"


class Allocation(TenantScopedModel):
    """Part of a payment applied to an invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = money_field()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_allocation_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} to {self.invoice}"
