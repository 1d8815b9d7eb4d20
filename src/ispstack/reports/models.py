"""The inputs of the finance reports that no other app records: the gross
margin behind CLTV and the marketing spend behind CAC (docs/metrics.md);
and the reports a tenant has sent by email on a schedule."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import money_field
from ispstack.core.models import Tenant, TenantScopedModel, User
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


class RelativeRange(models.TextChoices):
    """The period a scheduled report covers, relative to the local day it is
    due, so a schedule stays meaningful month after month. Full months end
    with the month before the due day (a report sent on the 1st covers
    months that are over)."""

    MONTH_TO_DATE = "month_to_date", _("Month to date")
    LAST_MONTH = "last_month", _("Last month")
    LAST_3_MONTHS = "last_3_months", _("Last 3 months")
    LAST_12_MONTHS = "last_12_months", _("Last 12 months")
    YEAR_TO_DATE = "year_to_date", _("Year to date")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSchedule(TenantScopedModel):
    """A report (``report``: a slug of ``reports.registry``) emailed as an
    XLSX file to ``recipients`` (email addresses) at ``send_time`` in the
    tenant's time zone: every day, every week on ``weekday`` (0 Monday to 6
    Sunday, ISO 8601 order less one) or every month on ``day_of_month``
    (1-31, the month's last day in shorter months).

    ``params`` are the report's filters (strings, as in its page's query);
    ``period`` the range it covers relative to the due day. ``next_run_at``
    is the aware UTC instant it is due next; ``last_run_at``,
    ``last_status`` and ``last_error`` tell how the last run went.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    report = models.CharField(_("report"), max_length=50)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    period = models.CharField(
        _("period"), max_length=20, choices=RelativeRange.choices, default=RelativeRange.LAST_MONTH
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(6)],
        help_text=_("Weekly: 0 Monday to 6 Sunday."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Monthly: 1-31; the last day in shorter months."),
    )
    send_time = models.TimeField(_("send time"), help_text=_("In the tenant's time zone."))
    recipients = models.JSONField(_("recipients"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="reports_schedule_due_idx",
                condition=models.Q(is_active=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(frequency="weekly") | models.Q(weekday__isnull=False),
                name="reports_schedule_weekly_weekday",
            ),
            models.CheckConstraint(
                condition=~models.Q(frequency="monthly") | models.Q(day_of_month__isnull=False),
                name="reports_schedule_monthly_day",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6) | models.Q(weekday__isnull=True),
                name="reports_schedule_weekday_range",
            ),
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=31)
                | models.Q(day_of_month__isnull=True),
                name="reports_schedule_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} ({self.get_frequency_display()})"


class ReportDelivery(TenantScopedModel):
    """One sending of a scheduled report for its due instant ``due_at``
    (aware UTC): the XLSX file made then, mailed to each of ``recipients``
    by an outbox job of its own. Unique per schedule and due instant, so a
    second run or worker never sends the same due report twice."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    due_at = models.DateTimeField()
    period_start = models.DateField()
    period_end = models.DateField()
    recipients = models.JSONField(default=list)
    filename = models.CharField(max_length=200)
    content = models.BinaryField(help_text=_("The XLSX file sent."))

    class Meta:
        ordering = ["-due_at"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "due_at"], name="reports_delivery_once_per_due"
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class MrrFactDay(models.Model):
    """A day whose MRR facts (``MrrFact``) are stored and current for a tenant.

    Written by ``reports.mrr_facts.store_days``; deleted by PostgreSQL
    triggers (migration ``0004_mrr_fact_triggers``) whenever a change to a
    subscription's history, a price, a promotion, a bundle or an exchange
    rate reaches the day, so a report never reads a stored day that a
    backdated change has made wrong. Facts of a day without this row are
    never read.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    stored_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored MRR day")
        verbose_name_plural = _("stored MRR days")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="reports_mrr_day_once"),
        ]

    def __str__(self) -> str:
        return str(self.day)


class MrrFact(models.Model):
    """One subscription in service on ``day``: its customer, its plan that day
    and its MRR (the plan and its add-ons net of promotions and bundle
    discounts, each item rounded to the currency's minor unit, in the
    tenant's currency, as ``reports.selectors`` computes it from history).

    ``no_rate``: an item's currency had no exchange rate on or before the
    day, so ``amount`` leaves it out (the report refuses the day). The ids
    are plain columns: a fact records what was, and the triggers forget the
    days a deleted subscription or plan reaches.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    subscription_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    plan_id = models.BigIntegerField()
    amount = money_field()
    no_rate = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("MRR fact")
        verbose_name_plural = _("MRR facts")
        indexes = [models.Index(fields=["tenant", "day"], name="reports_mrrfact_day")]

    def __str__(self) -> str:
        return f"{self.day} subscription {self.subscription_id}"


class MrrMonthFact(models.Model):
    """The MRR movements of the month closing on ``day`` (a month end, or
    today for the current month) over all of a tenant's customers, from the
    stored facts of ``day`` and of the day before the month began; what the
    unfiltered MRR report reads (``reports.mrr_facts.month_rows``).

    Amounts in the tenant's currency at its minor unit; counts of paying
    customers (MRR above zero). ``no_rate``: a day lacked an exchange rate.
    The triggers that forget stored days forget these from the same day.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    opening = money_field()
    new = money_field()
    expansion = money_field()
    contraction = money_field()
    churn = money_field()
    reactivation = money_field()
    closing = money_field()
    customers_opening = models.IntegerField()
    customers_closing = models.IntegerField()
    new_customers = models.IntegerField()
    reactivated_customers = models.IntegerField()
    churned_customers = models.IntegerField()
    no_rate = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored MRR month")
        verbose_name_plural = _("stored MRR months")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="reports_mrr_month_once"),
        ]

    def __str__(self) -> str:
        return str(self.day)


class RevenueFactMonth(models.Model):
    """A closed month (``month``, its first day) whose revenue by service
    (``RevenueFact``) is stored and current for a tenant.

    Written by ``reports.revenue.store_months``; deleted by PostgreSQL
    triggers (migration ``0007_revenue_fact_triggers``) whenever an invoice,
    an invoice line, a credit note, a top-up, a subscription's service type,
    an exchange rate or the tenant's currency changes what the month's
    revenue was, so a report never reads a stored month that a backdated
    change has made wrong. Facts of a month without this row are never read.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stored_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored revenue month")
        verbose_name_plural = _("stored revenue months")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="reports_revenue_month_once"),
        ]

    def __str__(self) -> str:
        return str(self.month)


class RevenueFact(models.Model):
    """The net revenue of one closed month, kind of line and service type over
    all of a tenant's customers, as ``reports.revenue`` computes it from the
    documents: ``invoiced`` and ``credited`` in the tenant's currency, each
    document line converted at its day's exchange rate and rounded to the
    minor unit before it was summed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    line_type = models.CharField(max_length=20)
    service = models.CharField(max_length=20, blank=True)
    invoiced = money_field()
    credited = money_field()

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("revenue fact")
        verbose_name_plural = _("revenue facts")
        indexes = [models.Index(fields=["tenant", "month"], name="reports_revenuefact_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.line_type} {self.service}"


class UsageFactMonth(models.Model):
    """A closed month (``month``, its first day) whose usage by plan
    (``UsageFact``) is stored and current for a tenant.

    Written by ``reports.usage.store_months``; deleted by PostgreSQL triggers
    (migration ``0009_usage_fact_triggers``) whenever a daily usage row, an
    applied plan change, a subscription's plan or a plan's data cap changes
    what the month's usage by plan was, so a report never reads a stored
    month that a late or backdated change has made wrong. Facts of a month
    without this row are never read.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stored_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored usage month")
        verbose_name_plural = _("stored usage months")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="reports_usage_month_once"),
        ]

    def __str__(self) -> str:
        return str(self.month)


class UsageFact(models.Model):
    """The usage of one plan in one closed month over all of a tenant's
    subscriptions, as ``reports.usage`` computes it from the daily rows:
    bytes as ints, ``reached_80`` / ``reached_100`` counted against the
    plan's data cap when it was stored (a changed cap forgets the month)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    plan = models.ForeignKey("catalog.Plan", on_delete=models.CASCADE, related_name="+")
    subscriptions = models.PositiveIntegerField()
    download_bytes = models.BigIntegerField()
    upload_bytes = models.BigIntegerField()
    average_bytes = models.BigIntegerField()
    p95_bytes = models.BigIntegerField()
    reached_80 = models.PositiveIntegerField()
    reached_100 = models.PositiveIntegerField()

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("usage fact")
        verbose_name_plural = _("usage facts")
        indexes = [models.Index(fields=["tenant", "month"], name="reports_usagefact_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.plan_id}"
