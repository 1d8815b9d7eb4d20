"""Prepaid vouchers: plans (what a card buys), agents (who resells them),
batches (a print run) and the vouchers themselves.

A voucher's code is its RADIUS User-Name and password at the hotspot's login
page. Its lifecycle (django-fsm-2):

- ``new``: generated and printable; FreeRADIUS knows nothing of it, so a
  stack of cards lost before its sale opens no door;
- ``sold``: sold (to an agent or over the counter); its radcheck / radreply
  rows exist and the first login may come;
- ``used``: logged in at least once (the first Accounting-Start);
- ``expired``: its time or data is used up or its validity is over; its rows
  refuse the login with a Reply-Message.

``used`` and ``expired`` are also set by the database function
``hotspot_voucher_refresh`` that runs on each accounting write
(``hotspot.vouchers.radius``), not through the FSM methods: FreeRADIUS's
writes reach no Python.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, transition

from ispstack.catalog.models import TaxRate
from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.core.tenancy import TenantQuerySet


class VoucherSettings(models.Model):
    """How a tenant's voucher cards reach its hotspot: the login page the
    card's QR code opens; and how many failed logins lock a device out.
    One row per tenant (``core.tenant_settings``).

    The lockout is read by FreeRADIUS for each request with a
    ``Calling-Station-Id`` (SQL function ``hotspot_mac_locked(mac, nas)``,
    the tenant found by the NAS the request came from): a device with
    ``lockout_failures`` Access-Rejects in radpostauth within the last
    ``lockout_minutes`` is refused before any password is looked at.
    Product default 5 in 15 minutes: a guest who mistypes a code a few
    times gets in, while guessing even the shortest code (6 characters of
    the 29-letter default alphabet, about 6 x 10^8 codes) at 20 tries an hour
    per device is hopeless.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="voucher_settings"
    )
    login_url = models.URLField(
        default="http://login.wifi/login",
        help_text=(
            "The hotspot's login page; the QR code adds ?username=CODE&password=CODE, "
            "which a MikroTik hotspot's /login accepts."
        ),
    )
    lockout_failures = models.PositiveSmallIntegerField(
        "failed logins that lock a device out",
        default=5,
        validators=[MaxValueValidator(1000)],
        help_text="Access-Rejects from one device (its MAC, Calling-Station-Id); 0: never.",
    )
    lockout_minutes = models.PositiveIntegerField(
        "counted over (minutes)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="The device logs in again once fewer failures than that fall in this window.",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = "voucher settings"
        verbose_name_plural = "voucher settings"

    def __str__(self) -> str:
        return "Voucher settings"


class DurationStart(models.TextChoices):
    """When a voucher's validity period starts."""

    FIRST_LOGIN = "first_login", "From the first login"
    CREATION = "creation", "From creation"


class VoucherState(models.TextChoices):
    NEW = "new", "New"
    SOLD = "sold", "Sold"
    USED = "used", "In use"
    EXPIRED = "expired", "Expired"


class VoucherPlan(TenantScopedModel):
    """What a voucher buys: a validity period, optional online time and data,
    a speed, devices at once, and its price.

    ``duration_seconds`` is wall-clock time counted from the first login or
    from the voucher's creation (``duration_start``); ``time_limit_seconds``
    (optional) is online time, summed over sessions (Acct-Session-Time);
    ``data_limit_bytes`` (optional) counts octets both ways. Rates in kbit/s.
    ``valid_from`` / ``valid_until`` (aware UTC, optional) bound when any of
    the plan's vouchers may log in. ``price`` is net of tax, in ``currency``
    units, taxed at ``tax_rate`` like catalog products.
    """

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    duration_seconds = models.PositiveIntegerField(
        validators=[MinValueValidator(60)], help_text="Validity in seconds, at least 60."
    )
    duration_start = models.CharField(
        max_length=12, choices=DurationStart.choices, default=DurationStart.FIRST_LOGIN
    )
    time_limit_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(60)],
        help_text="Online time in seconds over all sessions; empty: the whole validity.",
    )
    data_limit_bytes = models.PositiveBigIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: unlimited."
    )
    download_kbps = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    upload_kbps = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    simultaneous_use = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Devices at once (Simultaneous-Use).",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="voucher_plans")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="hotspot_voucherplan_code_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="hotspot_voucherplan_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="hotspot_voucherplan_window_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherAgent(TenantScopedModel):
    """A reseller (shop, kiosk, hotel desk) who sells vouchers for a
    commission, in percent of the net price of what they sold."""

    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="hotspot_voucheragent_name"),
            models.CheckConstraint(
                condition=models.Q(commission_percent__gte=0, commission_percent__lte=100),
                name="hotspot_voucheragent_commission_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherBatch(TenantScopedModel):
    """One print run of vouchers of one plan: ``count`` codes of
    ``code_length`` characters from ``alphabet`` after ``prefix``.

    ``unit_price`` / ``currency`` / ``tax_percent`` are the plan's at
    generation: a card printed with a price keeps it.
    """

    plan = models.ForeignKey(VoucherPlan, on_delete=models.PROTECT, related_name="batches")
    agent = models.ForeignKey(
        VoucherAgent, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    count = models.PositiveIntegerField()
    prefix = models.CharField(max_length=8, blank=True)
    code_length = models.PositiveSmallIntegerField()
    alphabet = models.CharField(max_length=64)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    tax_percent = models.DecimalField(max_digits=6, decimal_places=3)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "voucher batches"

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.count} x {self.plan})"


class Voucher(TenantScopedModel):
    """One prepaid code. ``expires_at`` (aware UTC) is known from creation or
    from the first login, by the plan; ``used_seconds`` / ``used_bytes`` are
    the totals over its accounting sessions at the last refresh."""

    batch = models.ForeignKey(VoucherBatch, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=40)
    state = FSMField(
        max_length=8, choices=VoucherState.choices, default=VoucherState.NEW, protected=True
    )
    sold_at = models.DateTimeField(null=True, blank=True)
    first_login_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_reason = models.CharField(max_length=60, blank=True)
    used_seconds = models.BigIntegerField(default=0, db_default=0)
    used_bytes = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="hotspot_voucher_code_unique"),
        ]
        indexes = [
            # FreeRADIUS's User-Name is the code: the accounting trigger and
            # the cross-tenant collision check look it up without a tenant.
            models.Index(fields=["code"], name="hotspot_voucher_code_idx"),
            models.Index(fields=["batch", "state"], name="hotspot_voucher_batch_state"),
        ]

    def __str__(self) -> str:
        return self.code

    @transition(field=state, source=VoucherState.NEW, target=VoucherState.SOLD)
    def sell(self) -> None:
        """Sold: its RADIUS rows are written by the caller."""

    @transition(
        field=state, source=[VoucherState.SOLD, VoucherState.USED], target=VoucherState.EXPIRED
    )
    def expire(self) -> None:
        """Time, data or validity is over."""
