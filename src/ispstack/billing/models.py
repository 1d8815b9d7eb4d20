"""Invoices, their lines, and billing runs."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django_fsm import FSMField, transition

from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel, User
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription


def invoice_pdf_path(invoice: Invoice, filename: str) -> str:
    """``invoices/<tenant slug>/<year>/<file>``: numbers repeat across tenants."""
    year = invoice.issue_date.year if invoice.issue_date else "draft"
    return f"invoices/{invoice.tenant.slug}/{year}/{filename}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(TenantScopedModel):
    """An invoice to a customer, in the customer's currency.

    Numbered ``INV-YYYY-NNNNN`` per tenant and year at issue, gap-free. Once
    issued its lines and totals never change; ``amount_paid`` grows as
    payments are allocated. Amounts are Decimal in currency units, already
    rounded to the minor unit (``core.money``).
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    # NULL until issued, so drafts do not collide on the unique number.
    number = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001
    status = FSMField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, protected=True
    )
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    subtotal = money_field(default=Decimal(0))
    tax_total = money_field(default=Decimal(0))
    total = money_field(default=Decimal(0))
    amount_paid = money_field(default=Decimal(0))
    paid_on = models.DateField(null=True, blank=True)
    pdf = models.FileField(upload_to=invoice_pdf_path, blank=True)
    billing_run = models.ForeignKey(
        "BillingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )

    class Meta:
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="billing_invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_paid__gte=0), name="billing_invoice_paid_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_paid__lte=models.F("total")),
                name="billing_invoice_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"

    @property
    def amount_due(self) -> Decimal:
        """What is still open on this invoice, in its currency."""
        return self.total - self.amount_paid

    @transition(field=status, source=InvoiceStatus.DRAFT, target=InvoiceStatus.ISSUED)
    def issue(self) -> None:
        """Numbered and final; from now on only payments and credit notes touch it."""

    @transition(field=status, source=InvoiceStatus.ISSUED, target=InvoiceStatus.PAID)
    def mark_paid(self) -> None:
        """Fully paid."""

    @transition(field=status, source=InvoiceStatus.PAID, target=InvoiceStatus.ISSUED)
    def reopen(self) -> None:
        """A payment was reversed: open again."""

    @transition(
        field=status, source=[InvoiceStatus.DRAFT, InvoiceStatus.ISSUED], target=InvoiceStatus.VOID
    )
    def void(self) -> None:
        """Cancelled before anything was paid on it."""


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring charge"
    ONE_TIME = "one_time", "One-time charge"


class InvoiceLine(TenantScopedModel):
    """One line: quantity x unit price = net, plus tax at ``tax_rate`` percent.

    A recurring line bills one period of one subscription; a unique
    constraint on (subscription, period_start) makes a second invoice for
    the same period impossible, whatever a run or a re-run does.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    kind = models.CharField(max_length=12, choices=LineKind.choices, default=LineKind.RECURRING)
    description = models.CharField(max_length=300)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(1))
    unit_price = money_field()
    net_amount = money_field()
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3)
    tax_amount = money_field()
    total = money_field()

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(kind="recurring"),
                name="billing_line_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class BillingRun(TenantScopedModel):
    """One billing run for an ``as_of`` date: what it billed and what failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    subscriptions_seen = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict, help_text="Invoiced total per currency, as strings.")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"billing run {self.as_of} ({self.status})"


class BillingRunFailure(TenantScopedModel):
    """A subscription a billing run could not bill, and why; the others were billed."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="failures")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    username = models.CharField(max_length=64)
    error = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.username}: {self.error}"
