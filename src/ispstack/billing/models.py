"""Invoices, their lines, and billing runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.catalog.models import Plan
from ispstack.core.display import quantity
from ispstack.core.fields import money_field
from ispstack.core.models import Tenant, TenantScopedModel, User
from ispstack.core.numbering import validate_number_format
from ispstack.core.tenancy import TenantQuerySet
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription, SubscriptionAddOn


def invoice_pdf_path(document: Any, filename: str) -> str:
    """``invoices/<tenant slug>/<year>/<file>`` for invoices and credit notes:
    numbers repeat across tenants."""
    return f"invoices/{document.tenant.slug}/{document.issue_date.year}/{filename}"


class InvoiceStatus(models.TextChoices):
    """An invoice is written issued (numbered, final) by the billing run."""

    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


#: Invoices with something still due.
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class Invoice(TenantScopedModel):
    """An invoice to a customer, in the customer's currency.

    Numbered ``INV-YYYY-NNNNN`` per tenant and year at issue, gap-free. Once
    issued its lines and totals never change; ``amount_paid`` grows as
    payments are allocated and ``amount_credited`` as credit notes are, and
    what is left is ``amount_due``. Amounts are Decimal in currency units,
    already rounded to the minor unit (``core.money``).
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40, editable=False)
    status = FSMField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED, protected=True
    )
    currency = models.CharField(max_length=3)
    issue_date = models.DateField()
    due_date = models.DateField()
    subtotal = money_field(default=Decimal(0))
    tax_total = money_field(default=Decimal(0))
    total = money_field(default=Decimal(0))
    amount_paid = money_field(default=Decimal(0))
    amount_credited = money_field(default=Decimal(0))
    paid_on = models.DateField(null=True, blank=True)
    voided_on = models.DateField(
        null=True, blank=True, help_text="The tenant's local date it was voided."
    )
    pdf = models.FileField(upload_to=invoice_pdf_path, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When it was emailed.")
    tax_note = models.CharField(
        max_length=200, blank=True, help_text="e.g. the customer's tax exemption."
    )
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
                condition=models.Q(
                    amount_credited__gte=0,
                    amount_paid__lte=models.F("total") - models.F("amount_credited"),
                ),
                name="billing_invoice_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"]),
            models.Index(fields=["customer", "status"]),
            # The console's invoice list, newest first, pages by (issue_date, id).
            models.Index(fields=["tenant", "issue_date", "id"], name="billing_invoice_list_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self) -> Decimal:
        """What is still open on this invoice, in its currency."""
        return self.total - self.amount_paid - self.amount_credited

    @transition(field=status, source=list(OPEN_STATUSES), target=InvoiceStatus.PAID)
    def settle(self) -> None:
        """Nothing left to pay (payments and credit notes cover the total)."""

    @transition(field=status, source=list(OPEN_STATUSES), target=InvoiceStatus.PARTIALLY_PAID)
    def pay_part(self) -> None:
        """Some of it is paid or credited, some is still due."""

    @transition(
        field=status,
        source=[InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID],
        target=InvoiceStatus.ISSUED,
    )
    def reopen(self) -> None:
        """Every payment on it was reversed: fully due again."""

    @transition(
        field=status,
        source=list(OPEN_STATUSES) + [InvoiceStatus.PAID],
        target=InvoiceStatus.PARTIALLY_PAID,
    )
    def reopen_part(self) -> None:
        """A payment on it was reversed, others remain."""

    @transition(field=status, source=InvoiceStatus.ISSUED, target=InvoiceStatus.VOID)
    def void(self) -> None:
        """Cancelled before anything was paid on it."""


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring charge"
    ADDON = "addon", "Add-on"
    ONE_TIME = "one_time", "One-time charge"
    PRORATION = "proration", "Proration"
    DISCOUNT = "discount", "Discount"
    USAGE = "usage", "Usage over the data cap"


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
    charge = models.ForeignKey(
        "Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscription_addon = models.ForeignKey(
        SubscriptionAddOn, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
            models.UniqueConstraint(
                fields=["subscription_addon", "period_start"],
                condition=models.Q(kind="addon"),
                name="billing_addon_line_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class BillingRun(TenantScopedModel):
    """One billing run for an ``as_of`` date: what it billed and what failed.

    A run started from the console is written ``queued`` before its job
    starts; ``subscriptions_done`` of ``subscriptions_seen`` is its progress;
    ``error`` says why a run ``failed`` (its job raised).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
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
    subscriptions_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"billing run {self.as_of} ({self.status})"


class Charge(TenantScopedModel):
    """A charge (or, negative, a credit) waiting for the subscription's next invoice.

    One-time charges (installation, router, late fee) and proration
    adjustments. ``amount`` is net of tax in the customer's currency;
    ``charge_date`` is the first billing run that may invoice it; once
    invoiced, ``invoice`` says where. A proration bills ``plan``'s service
    days ``period_start``..``period_end`` (both inclusive, within one cycle),
    which its invoice line carries on.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=12, choices=LineKind.choices, default=LineKind.ONE_TIME)
    description = models.CharField(max_length=300)
    amount = money_field()
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3)
    charge_date = models.DateField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The plan whose service days a proration bills.",
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )

    class Meta:
        ordering = ["charge_date", "id"]
        indexes = [
            models.Index(
                fields=["subscription"],
                condition=models.Q(invoice__isnull=True),
                name="billing_charge_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {quantity(self.amount)}"


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


class CreditNote(TenantScopedModel):
    """A correction of an issued invoice, numbered ``CN-YYYY-NNNNN`` per tenant.

    Amounts are positive: what is credited to the customer. The credit
    first pays down the corrected invoice; what that invoice no longer owes
    becomes the customer's credit (``unallocated``), used by later invoices
    or refunded.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40, editable=False)
    issue_date = models.DateField()
    reason = models.TextField()
    currency = models.CharField(max_length=3)
    subtotal = money_field()
    tax_total = money_field()
    total = money_field()
    unallocated = money_field(default=Decimal(0))
    pdf = models.FileField(upload_to=invoice_pdf_path, blank=True)

    class Meta:
        ordering = ["-issue_date", "-number"]
        indexes = [
            models.Index(
                fields=["tenant", "customer"],
                condition=models.Q(unallocated__gt=0),
                name="billing_creditnote_credit_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="billing_creditnote_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total__gt=0, unallocated__gte=0, unallocated__lte=models.F("total")
                ),
                name="billing_creditnote_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(TenantScopedModel):
    """The credited part of one invoice line (net and tax, positive).

    ``period_start``..``period_end`` are the service days it takes back
    (both inclusive) when it credits billed days (a plan change, a
    suspension, a termination); empty for a credit of an amount.
    """

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines"
    )
    description = models.CharField(max_length=300)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    net_amount = money_field()
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3)
    tax_amount = money_field()
    total = money_field()

    class Meta:
        ordering = ["credit_note", "id"]

    def __str__(self) -> str:
        return self.description


class SubscriptionBilling(models.Model):
    """How far a subscription is billed: billing's own state, one narrow row each.

    ``billed_through`` is the last day invoiced; ``next_bill_date`` the first
    date a run has something to invoice (None: nothing more, e.g. ended).
    Kept apart from the subscription so the run's bulk update touches two
    indexes, not the subscription's eight. Changed only under the tenant's
    billing lock (``core.locks``).
    """

    subscription = models.OneToOneField(
        Subscription, primary_key=True, on_delete=models.CASCADE, related_name="billing_state"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    billed_through = models.DateField(null=True, blank=True)
    next_bill_date = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=0, help_text="Bumped by every change; a run writes only what it read."
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "next_bill_date"], name="billing_next_bill_idx")]

    def __str__(self) -> str:
        return f"{self.subscription_id} billed through {self.billed_through}"


class AddOnBilling(models.Model):
    """How far an attached add-on is billed (billing's state, like SubscriptionBilling)."""

    subscription_addon = models.OneToOneField(
        SubscriptionAddOn, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    billed_through = models.DateField()

    def __str__(self) -> str:
        return f"add-on {self.subscription_addon_id} billed through {self.billed_through}"


class BillingSettings(models.Model):
    """How a tenant bills: due dates, proration, tax and document numbers.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with ``billing.selectors.settings_for``.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="billing_settings"
    )
    invoice_net_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_("Days from an invoice's issue date to its due date."),
    )
    proration_billing = models.CharField(
        _("charge for a plan change"),
        max_length=12,
        default="next_invoice",
        choices=[("next_invoice", _("On the next invoice")), ("immediate", _("Immediately"))],
        help_text=_("When the difference of a plan change in mid-period is invoiced."),
    )
    prices_include_tax = models.BooleanField(
        _("prices include tax"),
        default=False,
        help_text=_("Catalog prices are gross (tax included), not net."),
    )
    tax_rounding = models.CharField(
        _("tax rounding"),
        max_length=8,
        default="line",
        choices=[("line", _("Per invoice line")), ("invoice", _("Per invoice and rate"))],
        help_text=_(
            "Round the tax of each invoice line, or once per tax rate on the invoice's total."
        ),
    )
    bill_suspended_days = models.BooleanField(
        _("bill suspended days"),
        default=True,
        help_text=_(
            "Keep billing a service while it is suspended; when off, the suspended days "
            "are credited."
        ),
    )
    credit_on_termination = models.BooleanField(
        _("credit on termination"),
        default=True,
        help_text=_("Credit the unused days already billed when a service is terminated."),
    )
    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=50,
        default="INV-{year}-{seq:05d}",
        validators=[validate_number_format],
        help_text=_(
            "{year} is the year of issue, {seq:05d} the invoice's counter in that year "
            "padded to five digits."
        ),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"),
        max_length=50,
        default="CN-{year}-{seq:05d}",
        validators=[validate_number_format],
        help_text=_(
            "{year} is the year of issue, {seq:05d} the credit note's counter in that year "
            "padded to five digits."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return str(_("Billing settings"))
