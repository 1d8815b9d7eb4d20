"""Contracts: a business customer's commitment to a term (12 or 24 months
commonly) over one or more of its subscriptions, with what ending it early
costs, what plan changes the term allows, the renewal and the uptime the ISP
promises (SLA) with its service credits.

Dates are the tenant's local dates. Amounts are Decimal in ``currency``
units (the customer's currency), rounded by ``core.money``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription


class ContractStatus(models.TextChoices):
    """Where a contract is. A renewal keeps the contract active on a new term
    (a new version); ended and terminated are final."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    # The term ran out without renewal.
    ENDED = "ended", "Ended"
    # Ended before the term ran out; the early termination fee was charged.
    TERMINATED = "terminated", "Terminated"


class TerminationFeeRule(models.TextChoices):
    """How the early termination fee is computed (``sales.contracts.fees``)."""

    NONE = "none", "No fee"
    FIXED = "fixed", "Fixed amount"
    REMAINING_MONTHS = "remaining_months", "Remaining months x monthly commitment"
    SCHEDULE = "schedule", "Declining schedule"


class PlanChangeRule(models.TextChoices):
    """Which plan changes the term allows. An upgrade is a plan with a monthly
    price not lower than the current one; a downgrade one with a lower price.
    The labels are translated: the contract PDF states the rule to the
    customer in the tenant's language."""

    ANY = "any", _("Any change")
    UPGRADE_ONLY = "upgrade_only", _("Upgrades only")
    DOWNGRADE_FEE = "downgrade_fee", _("Upgrades; downgrades with a fee")
    FORBIDDEN = "forbidden", _("No plan change")


class Contract(TenantScopedModel):
    """A customer's contract over the current term ``term_start`` ..
    ``end_date`` (``term_months`` long); ``start_date`` is the first day of
    the first term. ``version`` is the number of the current terms, each kept
    in a ``ContractVersion`` row.

    Renewal: with ``auto_renew``, at the end date the contract runs on for
    ``renewal_term_months``; the customer must give notice ``notice_days``
    before the end date to stop it. ``monthly_commitment`` is the minimum the
    customer pays each month, the monthly price of the fee rules.

    Early termination fee (``termination_fee_rule``): ``termination_fee_amount``
    (fixed), remaining months x ``monthly_commitment``, or
    ``termination_fee_schedule``: ``[{"through_month": n, "amount": "x"}]`` or
    ``[{"through_month": n, "percent": "p"}]`` (percent of the remaining
    months' commitment), the first step whose month is not yet past applies.

    SLA: ``sla_uptime_percent`` (99.5) promised each calendar month;
    ``sla_credit_tiers`` ``[{"below": "99.5", "credit_percent": "10"}]``: an
    availability below ``below`` credits ``credit_percent`` of the month's
    fee, the largest matching tier applies."""

    number = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    version = models.PositiveSmallIntegerField(default=1)
    term_months = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    term_start = models.DateField()
    end_date = models.DateField()
    auto_renew = models.BooleanField(default=True)
    renewal_term_months = models.PositiveSmallIntegerField(default=12)
    notice_days = models.PositiveSmallIntegerField(default=30)
    monthly_commitment = money_field(default=0)
    termination_fee_rule = models.CharField(
        max_length=20, choices=TerminationFeeRule.choices, default=TerminationFeeRule.NONE
    )
    termination_fee_amount = money_field(default=0)
    termination_fee_schedule = models.JSONField(default=list, blank=True)
    plan_change_rule = models.CharField(
        max_length=15, choices=PlanChangeRule.choices, default=PlanChangeRule.ANY
    )
    downgrade_fee = money_field(default=0)
    sla_uptime_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    sla_credit_tiers = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    signed_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    termination_fee = money_field(null=True, blank=True)
    # The billing charge of the fee: the journal books it as an early
    # termination fee, not as any one-time charge.
    termination_charge = models.ForeignKey(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The end date a renewal reminder was mailed for: one reminder per term.
    reminder_sent_for = models.DateField(null=True, blank=True)
    quote = models.ForeignKey(
        "sales.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "status", "end_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="sales_contract_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1, term_months__lte=120),
                name="sales_contract_term_months",
            ),
            models.CheckConstraint(
                condition=models.Q(renewal_term_months__gte=1, renewal_term_months__lte=120),
                name="sales_contract_renewal_term_months",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("term_start")),
                name="sales_contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_commitment__gte=0, termination_fee_amount__gte=0),
                name="sales_contract_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractVersion(TenantScopedModel):
    """The terms of one version of a contract, as they were: ``terms`` holds
    the contract's term fields (amounts and dates as strings), ``reason`` why
    they changed, ``changed_by`` / ``actor_label`` who changed them (a staff
    user, or the system for a renewal) and ``created_at`` when."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    terms = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["contract", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "version"], name="sales_contract_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.version}"


class ContractSubscription(TenantScopedModel):
    """A subscription under a contract from ``linked_on`` until ``released_on``
    (the contract ended, or the subscription left it). A subscription is
    under one open contract at a time."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="links")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    linked_on = models.DateField()
    released_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(released_on__isnull=True),
                name="sales_contract_subscription_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.subscription_id}"


class ServiceCredit(TenantScopedModel):
    """An SLA service credit of a contract for a calendar ``month`` (its first
    day): ``availability_percent`` measured from outages (None when the
    amount was entered by hand), ``amount`` net in the contract's currency,
    issued as the billing credit note ``credit_note``. One per contract and
    month."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="credits")
    month = models.DateField()
    availability_percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True
    )
    outage_minutes = models.PositiveIntegerField(default=0)
    amount = money_field()
    credit_note = models.ForeignKey(
        "billing.CreditNote", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "month"], name="sales_service_credit_once_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%Y-%m}"


class CommitmentShortfall(TenantScopedModel):
    """A calendar ``month`` (its first day) of a contract measured against
    its minimum monthly commitment: ``committed`` (the commitment, by days
    for a month the contract covers in part), ``billed`` (the month's share
    of the recurring lines of its subscriptions, net of discounts and
    credits) and ``amount`` = committed - billed when positive, else 0; a
    positive amount is the billing ``charge`` on the next invoice. One row
    per contract and month, so a month is measured once."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="shortfalls")
    month = models.DateField()
    committed = money_field()
    billed = money_field()
    amount = money_field()
    charge = models.ForeignKey(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "month"], name="sales_shortfall_once_a_month"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="sales_shortfall_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%Y-%m}"


class DowngradeFee(TenantScopedModel):
    """The fee a contract charged for a downgrade during its term (its
    ``plan_change_rule`` ``downgrade_fee``): ``subscription`` moved from
    ``old_plan`` to ``new_plan`` on ``effective`` (a local date), and
    ``amount`` (the contract's downgrade fee then, in its currency) is the
    billing ``charge`` from that day. Kept so the contract shows what it
    charged and the journal books the fee as a contract fee."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="downgrade_fees")
    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.PROTECT, related_name="+"
    )
    old_plan = models.ForeignKey("catalog.Plan", on_delete=models.PROTECT, related_name="+")
    new_plan = models.ForeignKey("catalog.Plan", on_delete=models.PROTECT, related_name="+")
    effective = models.DateField()
    amount = money_field()
    charge = models.OneToOneField("billing.Charge", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-effective", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="sales_downgrade_fee_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.effective}"
