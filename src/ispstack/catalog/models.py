"""The catalog: tax rates and the internet plans an ISP sells."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ispstack.core.models import TenantScopedModel


class TaxRate(TenantScopedModel):
    """A tax rate in percent (``15.00`` is 15 % VAT).

    Rates of the same ``tax_class`` form one tax: a product names one of
    them, and billing uses the rate of that class for the customer's region
    (ISO 3166 country of the service address; blank: everywhere else) that
    is valid on the first day of the billed period.
    """

    name = models.CharField(max_length=80)
    tax_class = models.SlugField(max_length=40, default="standard")
    region = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; blank: any")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent, e.g. 15.000",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="catalog_taxrate_name_unique"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="catalog_taxrate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate.normalize()} %)"


class BillingCycle(models.IntegerChoices):
    """Months in one billing period."""

    MONTHLY = 1, "Monthly"
    QUARTERLY = 3, "Quarterly"
    ANNUAL = 12, "Annual"


class BillingTiming(models.TextChoices):
    """In advance: a period is invoiced on its first day. In arrears: on the day after it ends."""

    ADVANCE = "advance", "In advance"
    ARREARS = "arrears", "In arrears"


class CapPolicy(models.TextChoices):
    """What a plan does when its data cap is used up."""

    THROTTLE = "throttle", "Throttle to the fair-use rate"
    BLOCK = "block", "Block access until a top-up or the next cycle"
    OVERAGE = "overage", "Keep the speed, bill the excess per GB"


class Plan(TenantScopedModel):
    """An internet plan: speeds in kbit/s, a monthly price, tax, and an optional data cap.

    ``monthly_price`` is in ``currency`` units, net of tax. ``data_cap_bytes``
    is the volume per billing cycle (None: unlimited).
    """

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    download_kbps = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    upload_kbps = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    monthly_price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="plans")
    data_cap_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    throttle_download_kbps = models.PositiveIntegerField(
        default=1024, help_text="Speed once the data cap is used up (fair use)."
    )
    throttle_upload_kbps = models.PositiveIntegerField(default=512)
    cap_policy = models.CharField(
        max_length=10,
        choices=CapPolicy.choices,
        default=CapPolicy.THROTTLE,
        help_text="What happens when the data cap is used up.",
    )
    overage_price_per_gb = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Net price per GB (10^9 bytes) over the cap, policy 'overage'.",
    )
    session_timeout = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=86400,
        help_text="Session-Timeout in seconds (RFC 2865 27); empty: none.",
    )
    idle_timeout = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=900,
        help_text="Idle-Timeout in seconds (RFC 2865 28); empty: none.",
    )
    max_sessions = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Simultaneous-Use: sessions a subscriber may have open at once; empty: no limit.",
    )
    acct_interim_interval = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(60)],
        help_text="Acct-Interim-Interval in seconds (RFC 2869 5.16), at least 60.",
    )
    cycle_months = models.PositiveSmallIntegerField(
        choices=BillingCycle.choices,
        default=BillingCycle.MONTHLY,
        help_text="A period costs monthly_price x months.",
    )
    billing_timing = models.CharField(
        max_length=8, choices=BillingTiming.choices, default=BillingTiming.ADVANCE
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["monthly_price", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="catalog_plan_code_unique"),
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="catalog_plan_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AddOn(TenantScopedModel):
    """Something sold on top of a plan (static IP, IPTV, VoIP line, extra router),
    per unit, with its own monthly price, cycle and tax rate."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    monthly_price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="addons")
    cycle_months = models.PositiveSmallIntegerField(
        choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "add-on"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="catalog_addon_code_unique"),
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="catalog_addon_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Fixed amount off per cycle"


class Promotion(TenantScopedModel):
    """A discount on the plan's recurring charge: a percentage or a fixed amount
    per cycle (prorated with the period), for ``cycles`` cycles or forever.

    e.g. 50 % for the first 3 cycles; 5.00 off forever.
    """

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=DiscountKind.choices)
    value = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    cycles = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: forever.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="catalog_promotion_code_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100),
                name="catalog_promotion_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Bundle(TenantScopedModel):
    """Products sold together at a discount.

    With ``requires_all_products`` the discount applies only when the
    subscription has every product of the bundle; otherwise it applies to
    the products of the bundle it has. The discount is a percentage of
    those products' charges, or a fixed amount per cycle.
    """

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    plans = models.ManyToManyField(Plan, blank=True, related_name="bundles")
    addons = models.ManyToManyField(AddOn, blank=True, related_name="bundles")
    discount_kind = models.CharField(max_length=8, choices=DiscountKind.choices)
    discount_value = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    requires_all_products = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="catalog_bundle_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanPrice(TenantScopedModel):
    """A plan's monthly price from ``effective_date`` (the tenant's local date)
    until the next row's: the price history the finance reports read, so that
    editing a plan's price changes MRR from that day on, never before it.

    ``monthly_price`` is in ``currency`` units, net of tax, as on ``Plan``.
    The catalog's services write a row whenever a plan is created or its
    price or currency changes; ``Plan.monthly_price`` stays the current price
    billing reads. The first row's price also holds before its date (a plan
    sold before the history was kept had that price then).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    effective_date = models.DateField()
    monthly_price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["plan", "effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_date"], name="catalog_planprice_day_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="catalog_planprice_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} from {self.effective_date}: {self.monthly_price}"


class AddOnPrice(TenantScopedModel):
    """An add-on's monthly price per unit from ``effective_date`` (the tenant's
    local date) until the next row's; see ``PlanPrice``."""

    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="prices")
    effective_date = models.DateField()
    monthly_price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["addon", "effective_date"]
        verbose_name = "add-on price"
        constraints = [
            models.UniqueConstraint(
                fields=["addon", "effective_date"], name="catalog_addonprice_day_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0), name="catalog_addonprice_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.addon_id} from {self.effective_date}: {self.monthly_price}"
