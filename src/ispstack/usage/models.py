"""Usage: per-subscription daily byte counts rolled up from radacct."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ispstack.catalog.models import Plan
from ispstack.core.fields import money_field
from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.subscriptions.models import Subscription


class DailyUsage(TenantScopedModel):
    """Bytes a subscription moved on one of the tenant's local days.

    ``input_octets`` are octets sent by the subscriber (upload, RFC 2866
    Acct-Input-Octets incl. gigawords); ``output_octets`` are octets the
    subscriber received (download).
    """

    # A fact table the rollup fills with a row per subscriber and day, only
    # from rows it joined to their subscription: the per-row foreign-key
    # triggers and an index on each column were ~45 % of its cost
    # (bench/usage_rollup.py), so neither is declared. (subscription, day) is
    # covered by the unique constraint, tenant-wide reports by (tenant, day);
    # Django still cascades deletes.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="daily_usage",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()
    input_octets = models.BigIntegerField(default=0)
    output_octets = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name_plural = "daily usage"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "day"], name="usage_daily_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="usage_daily_tenant_day")]

    def __str__(self) -> str:
        return f"{self.subscription} {self.day}"

    @property
    def total_octets(self) -> int:
        return self.input_octets + self.output_octets


class CountedSession(models.Model):
    """What the rollup has counted of a radacct session it will read again.

    Kept for open sessions and for closed ones whose ``acctupdatetime`` is
    still inside the rollup's overlap window; once closed and past it a
    session never changes again (the stock FreeRADIUS queries only update
    rows with ``AcctStopTime IS NULL``), so its row is dropped and the
    table stays the size of the online population. Global, like radacct.
    """

    radacctid = models.BigIntegerField(primary_key=True)
    input_octets = models.BigIntegerField()
    output_octets = models.BigIntegerField()
    acctupdatetime = models.DateTimeField()
    closed = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["acctupdatetime"],
                name="usage_counted_closed_idx",
                condition=models.Q(closed=True),
            ),
        ]

    def __str__(self) -> str:
        return f"radacct {self.radacctid}"


class RollupState(models.Model):
    """The rollup's watermark: the latest ``acctupdatetime`` it has read.

    Global (radacct is one table for all tenants), hence no tenant.
    """

    name = models.CharField(max_length=40, unique=True)
    last_update = models.DateTimeField(null=True, blank=True)
    # When a run last finished, whether or not it found new rows: the
    # metrics' "age of the last rollup" (a quiet network still rolls up).
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_update}"


class UsageAlert(TenantScopedModel):
    """A data-cap threshold (80, 95 or 100 %) crossed in a cycle; sent once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    used_bytes = models.BigIntegerField()
    allowance_bytes = models.BigIntegerField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "cycle_start", "threshold"],
                name="usage_alert_once_per_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.threshold} % ({self.cycle_start})"


class TopUpOffer(TenantScopedModel):
    """A top-up the tenant sells to customers of capped plans (the portal lists them).

    ``extra_bytes`` is the volume added to the cycle it is bought in;
    ``price`` is in ``currency`` units, a catalog price like a plan's (net,
    or gross where the tenant's prices include tax), taxed at the rate of
    the subscription's plan. ``plan`` limits the offer to one plan (None:
    every capped plan of the tenant); only customers billed in ``currency``
    see it. Retired offers are switched off, not deleted: bought top-ups
    keep pointing at them.
    """

    name = models.CharField(max_length=80)
    extra_bytes = models.PositiveBigIntegerField(help_text="Volume added, in bytes (10^9 = 1 GB).")
    price = money_field(help_text="Price in the currency's units, as catalog prices are written.")
    currency = models.CharField(max_length=3)
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only for this plan; empty: every plan with a data cap.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["extra_bytes", "price", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extra_bytes__gt=0), name="usage_topupoffer_volume_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=Decimal(0)),
                name="usage_topupoffer_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TopUp(TenantScopedModel):
    """Extra volume bought for one cycle (bytes), on top of the plan's data cap.

    ``offer`` is the tenant's offer it was bought from (None: staff added it
    with a volume and price of their own); ``charge`` the billing charge of
    its price (None: free). ``request_key`` is the buyer's key for one
    purchase (a portal form's token, an API ``Idempotency-Key``; empty:
    none), so a repeated submit finds the first top-up instead of buying again.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="topups")
    cycle_start = models.DateField()
    extra_bytes = models.BigIntegerField()
    offer = models.ForeignKey(
        TopUpOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    charge = models.OneToOneField(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "request_key"],
                condition=~models.Q(request_key=""),
                name="usage_topup_request_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} +{self.extra_bytes} bytes ({self.cycle_start})"


class OverageCharge(TenantScopedModel):
    """The excess of one cycle of a plan with cap policy "overage", billed once.

    ``excess_gigabytes`` is GB (10^9 bytes) with 3 decimals, rounded up;
    ``charge`` is the one-time charge for the next invoice (None when the
    cycle stayed under the allowance: the row still records that it was
    looked at).
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    cycle_end = models.DateField()
    used_bytes = models.BigIntegerField()
    allowance_bytes = models.BigIntegerField()
    excess_gigabytes = models.DecimalField(max_digits=14, decimal_places=3)
    price_per_gb = models.DecimalField(max_digits=12, decimal_places=4)
    charge = models.OneToOneField(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-cycle_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "cycle_start"], name="usage_overage_once_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.cycle_start}: {self.excess_gigabytes} GB over"
