"""Revenue recognition: the schedule of every invoiced performance obligation.

Each invoice line is a performance obligation (ASC 606-10-25-14 / IFRS 15.22);
its net amount is the transaction price allocated to it. The schedule says
in which month that amount is recognised as revenue. Rows are written by
``accounting.recognition_sql`` (one set-based statement per source kind) and
never changed afterwards: a correction is a new row in an open month.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ispstack.billing.models import Charge, CreditNoteLine, InvoiceLine
from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel


class ScheduleSource(models.TextChoices):
    """What put a row in the schedule."""

    LINE = "line", "Invoice line"
    CREDIT = "credit", "Credit note line"
    VOID = "void", "Voided invoice"


class RevenueScheduleEntry(TenantScopedModel):
    """The revenue of one source recognised in one calendar month.

    ``source`` and ``source_id`` name what is recognised: an invoice line
    (``line``), a credit note line taking part of it back (``credit``,
    negative amounts) or the cancellation of a voided invoice's line
    (``void``, negative). ``invoice_line`` is the invoiced line concerned;
    ``obligation`` is the line whose service the amount follows: the line
    itself, or for a discount the bundle component it is allocated to by
    standalone selling price. ``month`` is the first day of the month the
    amount is booked in (never a closed one at the time of writing);
    ``recognised_on`` the last service day the amount covers in it (or the
    day of a point-in-time item, or the booking day of a catch-up);
    ``document_date`` the issue date of the invoice or credit note, or the
    day an invoice was voided. ``amount`` is Decimal in ``currency`` units,
    rounded to its minor unit; the rows of one source sum to its net amount.
    """

    source = models.CharField(max_length=8, choices=ScheduleSource.choices)
    source_id = models.BigIntegerField()
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")
    credit_note_line = models.ForeignKey(
        CreditNoteLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # found by source_id; an index would only slow the run's inserts
    )
    obligation = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, help_text="The obligation's line kind.")
    currency = models.CharField(max_length=3)
    month = models.DateField()
    amount = money_field()
    recognised_on = models.DateField()
    document_date = models.DateField()

    class Meta:
        ordering = ["month", "id"]
        constraints = [
            # The idempotency key: a second run writes nothing twice.
            models.UniqueConstraint(
                fields=["source", "source_id", "obligation", "month"],
                name="accounting_schedule_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="accounting_schedule_first_day"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "month"], name="accounting_schedule_month_idx"),
        ]
        verbose_name_plural = "revenue schedule entries"

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} {self.month:%Y-%m}: {self.amount}"


class ChargeRecognitionTerm(TenantScopedModel):
    """Spread a one-time charge's revenue evenly over ``months`` months.

    Without a term a one-time item is recognised at a point in time, on its
    charge date (ASC 606-10-25-30 / IFRS 15.38). A term says the fee is not
    a distinct obligation but part of the service (an installation fee on a
    contract, ASC 606-10-55-50 / IFRS 15.B49) and is recognised over
    ``months`` equal months from ``start_month`` (the first of a month; empty:
    the month of the invoice issuing it).
    """

    charge = models.OneToOneField(Charge, on_delete=models.CASCADE, related_name="+")
    months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    start_month = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=120),
                name="accounting_term_months_range",
            ),
            models.CheckConstraint(
                condition=models.Q(start_month__isnull=True) | models.Q(start_month__day=1),
                name="accounting_term_first_day",
            ),
        ]

    def __str__(self) -> str:
        return f"charge {self.charge_id} over {self.months} months"
