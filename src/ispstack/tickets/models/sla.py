"""SLA targets per priority and the tenant's own holidays."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import TenantScopedModel
from ispstack.tickets.choices import Priority

# Product default: resolution 72/48/24/8 hours for low/normal/high/urgent,
# the targets ISPs commonly publish for residential faults; first response
# within a working day at most. Both in business minutes.
DEFAULT_TARGETS = {
    Priority.LOW: (8 * 60, 72 * 60),
    Priority.NORMAL: (4 * 60, 48 * 60),
    Priority.HIGH: (2 * 60, 24 * 60),
    Priority.URGENT: (60, 8 * 60),
}

# A year of business minutes is ample for any target.
MAX_TARGET_MINUTES = 366 * 24 * 60


class SlaPolicy(TenantScopedModel):
    """The first-response and resolution targets of one priority, in business
    minutes (counted in the tenant's business hours, without its holidays).
    ``warn_percent`` of the resolution target elapsed warns the team lead once."""

    priority = models.CharField(max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (business minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (business minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (% of the resolution target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["resolution_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "priority"], name="tickets_slapolicy_priority_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.resolution_minutes // 60} h"


class Holiday(TenantScopedModel):
    """A day the tenant does not count as business time besides the public
    holidays of its country (a company day off, a regional holiday)."""

    day = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="tickets_holiday_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
