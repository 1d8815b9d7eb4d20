"""The double-entry journal: entries and their lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ispstack.accounting.models.accounts import Account
from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel


class SourceType(models.TextChoices):
    """The business document an entry books."""

    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    RECOGNITION = "recognition", "Revenue recognition"


class PostingKind(models.TextChoices):
    """What happened to the source: one entry per (source, kind)."""

    ISSUE = "issue", "Issued"
    VOID = "void", "Voided"
    RECEIPT = "receipt", "Received"
    REVERSAL = "reversal", "Reversed"
    REFUND = "refund", "Refunded"
    RECOGNITION = "recognition", "Recognised"


class JournalEntry(TenantScopedModel):
    """One balanced booking of one event of one source document.

    ``number`` is ``JE-YYYY-NNNNNN`` per tenant and booking year, gap-free
    (``core.numbering``). ``document_date`` is the source's own local date
    (issue, receipt, refund, reversal date); ``booking_date`` equals it in an
    open month, else the first day of the first open month
    (``accounting.periods.booking_day``); ``period`` is the first day of the
    booking date's month. ``source_id`` is the source row's id, or for
    recognition the month as ``YYYYMM``. All lines are in ``currency``.
    An entry is never changed or deleted once written: a correction is a
    new entry of the correcting document.
    """

    number = models.CharField(max_length=30, editable=False)
    document_date = models.DateField()
    booking_date = models.DateField()
    period = models.DateField(help_text="First day of the booking date's month.")
    source_type = models.CharField(max_length=12, choices=SourceType.choices)
    source_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=PostingKind.choices)
    source_reference = models.CharField(
        max_length=60, blank=True, help_text="The source's number (INV-..., CN-...) or reference."
    )
    memo = models.CharField(max_length=300)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["-booking_date", "-id"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="accounting_entry_number_unique"
            ),
            models.UniqueConstraint(
                fields=["tenant", "source_type", "source_id", "kind", "currency"],
                name="accounting_entry_once_per_source",
            ),
            models.CheckConstraint(
                condition=models.Q(period__day=1), name="accounting_entry_period_first_day"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "period", "id"], name="accounting_entry_period_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class JournalLine(TenantScopedModel):
    """A debit or a credit of one account, in the entry's currency.

    Exactly one of ``debit`` and ``credit`` is positive, the other zero
    (enforced by the database); an entry's debits equal its credits
    (enforced by the service and by a deferred constraint trigger).
    """

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = money_field(default=Decimal(0))
    credit = money_field(default=Decimal(0))
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="accounting_line_one_side",
            ),
        ]
        indexes = [models.Index(fields=["account", "entry"], name="accounting_line_account_idx")]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account.code} {side}"
