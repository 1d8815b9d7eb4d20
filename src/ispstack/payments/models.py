"""Payments received from customers and their allocation to invoices."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.billing.models import CreditNote, Invoice
from ispstack.core.display import money, quantity
from ispstack.core.fields import money_field
from ispstack.core.models import Tenant, TenantScopedModel, User
from ispstack.core.tenancy import TenantQuerySet
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
    reversed_on = models.DateField(null=True, blank=True)
    reversal_reason = models.CharField(max_length=200, blank=True)

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
            # The console's search by payment reference (the unique constraint
            # leads with the method, which a search doesn't know).
            models.Index(
                fields=["tenant", "reference"],
                condition=~models.Q(reference=""),
                name="payments_payment_ref_idx",
            ),
            # The console's payment list, newest first, pages by (received_on, id).
            models.Index(fields=["tenant", "received_on", "id"], name="payments_payment_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{money(self.amount, self.currency)} from {self.customer.account_number}"


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
        return f"refund {money(self.amount, self.currency)} to {self.customer.account_number}"


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
        return f"{quantity(self.amount)} to {self.invoice or self.refund}"


class CustomerPaymentMethod(TenantScopedModel):
    """A saved way for a customer to pay, shown masked (``Bank ***1234``)."""

    class Kind(models.TextChoices):
        CARD = "card", "Card"
        BANK_ACCOUNT = "bank_account", "Bank account"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_primary = models.BooleanField(default=False)
    gateway_customer = models.CharField(
        max_length=100, blank=True, help_text="The gateway's customer id (cus_...)."
    )
    card_token = models.CharField(
        max_length=200, blank=True, help_text="The gateway's card id; never the card number."
    )
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    holder_name = models.CharField(max_length=140, blank=True)
    mandate_reference = models.CharField(
        max_length=35, blank=True, help_text="SEPA MndtId, at most 35 characters."
    )
    mandate_signed_on = models.DateField(null=True, blank=True)
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the customer removed it; kept for the payments and debits that used it.",
    )

    class Meta:
        ordering = ["customer", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_primary=True),
                name="payments_method_one_primary",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "iban"]),
            # The console's search by the last digits of an IBAN (core.trigram).
            GinIndex(fields=["iban"], opclasses=["gin_trgm_ops"], name="payments_method_iban_trgm"),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """``Visa ***4242`` or ``Bank ***1234``: never more than four digits."""
        if self.kind == self.Kind.CARD:
            return f"{self.card_brand.title()} ***{self.card_last4}"
        return f"Bank ***{self.iban[-4:]}"


class CardPayment(TenantScopedModel):
    """One attempt to pay an invoice by card through a Stripe PaymentIntent.

    ``requires_action`` waits for the customer's bank (3-D Secure) and is
    finished on return (``succeeded``, with the recorded ``payment``) or
    ended (``failed``, ``canceled``). At most one attempt per invoice waits
    for the bank, and an intent is recorded once, so a repeated submit or
    return never pays twice. ``amount`` in currency units.
    """

    class Status(models.TextChoices):
        REQUIRES_ACTION = "requires_action", "Waiting for the bank"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="card_payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="card_payments")
    method = models.ForeignKey(
        CustomerPaymentMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intent_id = models.CharField(max_length=100, help_text="Stripe's PaymentIntent id (pi_...).")
    amount = money_field()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="card_payment"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "intent_id"], name="payments_cardpayment_intent_once"
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(status="requires_action"),
                name="payments_cardpayment_one_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intent_id} {money(self.amount, self.currency)} ({self.status})"


class BankTransfer(TenantScopedModel):
    """A transfer the customer says it made, with proof, waiting for a clerk.

    ``in_review`` -> ``approved`` (a payment is recorded and allocated) or
    ``rejected`` (with a reason); the customer is told either way.
    """

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="transfers")
    amount = money_field()
    currency = models.CharField(max_length=3)
    transferred_on = models.DateField()
    reference = models.CharField(max_length=140, blank=True)
    proof = models.FileField(upload_to="transfer-proofs/%Y/%m/")
    status = FSMField(
        max_length=10, choices=Status.choices, default=Status.IN_REVIEW, protected=True
    )
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="transfer"
    )

    class Meta:
        ordering = ["status", "created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"transfer {money(self.amount, self.currency)} from {self.customer.account_number}"

    @transition(field=status, source=Status.IN_REVIEW, target=Status.APPROVED)
    def approve(self) -> None:
        """A clerk found the money on the account."""

    @transition(field=status, source=Status.IN_REVIEW, target=Status.REJECTED)
    def reject(self) -> None:
        """A clerk did not find it, or the proof does not hold."""


class BankStatement(TenantScopedModel):
    """An imported bank statement file (camt.053, MT940 or OFX), once per file."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "ISO 20022 camt.053"
        MT940 = "mt940", "SWIFT MT940"
        OFX = "ofx", "OFX"

    format = models.CharField(max_length=8, choices=Format.choices)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    account_iban = models.CharField(max_length=34, blank=True)
    lines_total = models.PositiveIntegerField(default=0)
    lines_matched = models.PositiveIntegerField(default=0)
    lines_unmatched = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sha256"], name="payments_statement_file_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.filename}"


class StatementLine(TenantScopedModel):
    """One booked transaction of a statement.

    A credit is matched to a customer (invoice number, account number or
    mandate IBAN) and becomes a payment; what can't be matched, or what the
    import could not decide on its own (``note`` says why), waits for a
    clerk. ``identity`` is what makes a transaction the same one in another
    file (the account plus the bank's reference, or the statement and the
    line's content; see ``payments.statements``): it is unique per tenant,
    so overlapping statements never pay twice. ``bank_reference`` is the
    reference a person looks for (camt AcctSvcrRef/TxId/EndToEndId, MT940
    bank reference, OFX FITID) and may repeat.
    """

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched"
        UNMATCHED = "unmatched", "Unmatched"
        IGNORED = "ignored", "Ignored (debit)"

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    identity = models.CharField(
        max_length=64,
        help_text="SHA-256 (hex) of the transaction's identity: the same in every file.",
    )
    bank_reference = models.CharField(max_length=140, blank=True)
    booked_on = models.DateField()
    amount = money_field(
        help_text="Positive for credits, negative for debits; rounded to the currency's minor unit."
    )
    currency = models.CharField(max_length=3)
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    remittance = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.TextField(
        blank=True,
        help_text="What the import noticed: why the line waits for a clerk, a rounded amount, "
        "a reversal.",
    )
    match_rule = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )

    class Meta:
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "identity"], name="payments_statementline_identity_once"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.booked_on} {money(self.amount, self.currency)} {self.remittance[:40]}"


class DirectDebitBatch(TenantScopedModel):
    """A SEPA Core direct debit collection (pain.008.001.02), one file for the bank."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        SETTLED = "settled", "Settled"

    collection_date = models.DateField(
        help_text=_("The day the bank debits the customers (ISO 20022 ReqdColltnDt).")
    )
    message_id = models.CharField(max_length=35)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CREATED)
    currency = models.CharField(max_length=3, default="EUR")
    total = money_field(default=Decimal(0))
    count = models.PositiveIntegerField(default=0)
    xml = models.TextField(help_text="The pain.008 file, validated against its XSD.")

    class Meta:
        ordering = ["-collection_date", "-id"]
        verbose_name = _("direct debit batch")
        verbose_name_plural = _("direct debit batches")

    def __str__(self) -> str:
        return f"direct debit {self.collection_date} ({self.count})"


class DirectDebitItem(TenantScopedModel):
    """One collection of a batch: an invoice debited from a mandate (FRST or RCUR)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COLLECTED = "collected", "Collected"
        RETURNED = "returned", "Returned"

    batch = models.ForeignKey(DirectDebitBatch, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="debits")
    method = models.ForeignKey(CustomerPaymentMethod, on_delete=models.PROTECT, related_name="+")
    amount = money_field()
    sequence_type = models.CharField(
        max_length=4,
        help_text=_("FRST for the first debit of a mandate, RCUR for the following ones."),
    )
    end_to_end_id = models.CharField(max_length=35)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    return_reason = models.CharField(
        max_length=4,
        blank=True,
        help_text=_("The bank's reason for returning the debit (ISO 20022 code, e.g. AM04)."),
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="direct_debit"
    )

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "end_to_end_id"], name="payments_dd_end_to_end_unique"
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(status="pending"),
                name="payments_dd_one_pending_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


class DirectDebitSettings(models.Model):
    """A tenant's SEPA creditor data and what a returned direct debit costs.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with ``payments.selectors.settings_for``.
    Direct debit batches need the three creditor fields filled in.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="direct_debit_settings"
    )
    sepa_creditor_id = models.CharField(
        _("SEPA creditor identifier"),
        max_length=35,
        blank=True,
        help_text=_("The identifier your bank assigned you for direct debits (CdtrSchmeId)."),
    )
    sepa_creditor_iban = models.CharField(
        _("creditor IBAN"),
        max_length=34,
        blank=True,
        help_text=_("The account direct debits are collected into."),
    )
    sepa_creditor_bic = models.CharField(
        _("creditor BIC"), max_length=11, blank=True, help_text=_("The BIC of that account.")
    )
    direct_debit_return_fee = models.DecimalField(
        _("return fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Charged (net) on the customer's next invoice when a direct debit is returned; "
            "0: no fee."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("direct debit settings")
        verbose_name_plural = _("direct debit settings")

    def __str__(self) -> str:
        return str(_("Direct debit settings"))
