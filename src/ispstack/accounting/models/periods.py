"""Accounting periods: calendar months of a tenant, open until closed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ispstack.core.fields import ClockDateTimeField
from ispstack.core.models import TenantScopedModel


class AccountingPeriod(TenantScopedModel):
    """A closed calendar month of a tenant's books.

    ``month`` is the first day of the month, a local date of the tenant. A
    month without a row is open. Closing is final: a closed month's
    recognition rows and journal entries never change, and a correction
    dated in it is booked into the first open month instead. After the
    first close, months close in order, as an accountant closes them.
    """

    month = models.DateField()
    closed_at = ClockDateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="accounting_period_unique"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="accounting_period_first_day"
            ),
        ]
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} closed"
