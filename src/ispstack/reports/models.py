"""The inputs of the finance reports that no other app records: the gross
margin behind CLTV and the marketing spend behind CAC (docs/metrics.md)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import money_field
from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.core.tenancy import TenantQuerySet


class ReportSettings(models.Model):
    """A tenant's settings of the finance reports, one row per tenant (see
    ``core.tenant_settings``); read it with ``reports.selectors.settings_for``.

    Amounts are reported in the tenant's currency, the one its exchange rates
    (``core.ExchangeRate``) are quoted in. ``gross_margin_percent`` (0-100) is
    the share of revenue left after the cost of delivering the service
    (transit, backhaul, field work); empty, CLTV is not computed, because a
    lifetime value without the margin would overstate it.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="report_settings"
    )
    gross_margin_percent = models.DecimalField(
        _("gross margin (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Revenue minus the cost of delivering the service, in percent; used by CLTV."),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")
        # Reading the reports is a permission of its own: the figures sum up
        # every customer's money, which a role reading single rows may not see.
        permissions = [("view_reports", "Can view the finance reports")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gross_margin_percent__gte=0)
                & models.Q(gross_margin_percent__lte=100),
                name="reports_settings_margin_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Report settings"))


class MarketingSpend(TenantScopedModel):
    """What the ISP spent on winning customers in one calendar month (ads,
    sales commissions, door-to-door), in the tenant's currency; the numerator
    of CAC. ``month`` is the month's first day."""

    month = models.DateField(help_text=_("The first day of the month."))
    amount = money_field(help_text=_("In the tenant's currency, net of tax."))
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="reports_spend_month_unique"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="reports_spend_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="reports_spend_first_of_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.amount}"
