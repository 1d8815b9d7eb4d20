"""Quotes: formal proposals of plans, add-ons, promotions, bundles and
one-time items, priced by the billing engine, sent with a link where the
customer accepts or declines them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion
from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.provisioning.models import Lead


class QuoteStatus(models.TextChoices):
    """Where a quote version is: edited, sent, answered, past its validity, replaced."""

    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    # A sent quote replaced by a newer version: kept, read-only, never accepted.
    REVISED = "revised", "Revised"


class LineKind(models.TextChoices):
    """What a quote line sells: a catalogue product, or a one-time item."""

    PLAN = "plan", "Plan"
    ADDON = "addon", "Add-on"
    PROMOTION = "promotion", "Promotion"
    BUNDLE = "bundle", "Bundle"
    ONE_TIME = "one_time", "One-time item"


class Quote(TenantScopedModel):
    """One version of a quote to a customer, a lead or a prospect (name and
    email). Amounts are Decimal in ``currency`` units, rounded to its minor
    unit as the first invoice will be; ``recurring_*`` is the first full
    billing period of the recurring lines (a month for monthly plans),
    ``one_time_*`` the one-time items; ``taxes`` lists ``{"rate", "net",
    "tax"}`` per tax rate (percent; amounts as strings). ``valid_until`` is a
    local date of the tenant; the ``accepted_*`` fields record who accepted
    (the typed full name), when (aware UTC) and from which IP address, or
    that a clerk recorded a signature on paper (``accepted_on_paper``).
    With ``term_months`` the acceptance also signs a contract
    (``sales.contracts``) over the new subscriptions, on ``contract_terms``;
    its monthly commitment defaults to ``recurring_net``."""

    number = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField(default=1)
    revises = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="revision"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prospect_name = models.CharField(max_length=200, blank=True)
    prospect_email = models.EmailField(blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166-1 alpha-2 of the service address (tax region) when not a customer.",
    )
    currency = models.CharField(max_length=3)
    valid_until = models.DateField()
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    notes = models.TextField(blank=True)
    term_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A term in months: the acceptance signs a contract over the subscriptions.",
    )
    contract_terms = models.JSONField(
        default=dict,
        blank=True,
        help_text="The contract's other terms: renewal, early termination fee, plan changes, SLA.",
    )
    priced_on = models.DateField(null=True, blank=True)
    recurring_net = money_field(default=0)
    recurring_tax = money_field(default=0)
    one_time_net = money_field(default=0)
    one_time_tax = money_field(default=0)
    taxes = models.JSONField(default=list, blank=True)
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_by_name = models.CharField(max_length=200, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_on_paper = models.BooleanField(
        default=False,
        help_text="Signed on paper and recorded by a clerk, not through the link.",
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_reason = models.TextField(blank=True)
    result_customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer the acceptance created or served.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "status", "valid_until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number", "version"], name="sales_quote_number_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def recipient_name(self) -> str:
        """Who the quote is addressed to."""
        if self.customer_id:
            return self.customer.name  # type: ignore[union-attr]
        if self.lead_id:
            return self.lead.name  # type: ignore[union-attr]
        return self.prospect_name

    @property
    def recipient_email(self) -> str:
        """Where the quote is sent."""
        if self.customer_id:
            return self.customer.email  # type: ignore[union-attr]
        if self.lead_id:
            return self.lead.email  # type: ignore[union-attr]
        return self.prospect_email

    @property
    def recurring_total(self) -> Decimal:
        """Net plus tax of the recurring lines, one billing period."""
        return self.recurring_net + self.recurring_tax

    @property
    def one_time_total(self) -> Decimal:
        """Net plus tax of the one-time items."""
        return self.one_time_net + self.one_time_tax

    @property
    def subtotal(self) -> Decimal:
        """Net of every line."""
        return self.recurring_net + self.one_time_net

    @property
    def tax_total(self) -> Decimal:
        """Tax of every line."""
        return self.recurring_tax + self.one_time_tax

    @property
    def total(self) -> Decimal:
        """What the first invoice charges: every line, net plus tax."""
        return self.recurring_net + self.recurring_tax + self.one_time_net + self.one_time_tax


class QuoteLine(TenantScopedModel):
    """A line of a quote. Plans, add-ons and one-time items are priced from
    ``unit_price`` x ``quantity`` (one-time items less ``discount_percent``);
    promotions and bundles carry the (negative) discount the billing engine
    gives. An add-on, promotion, bundle or one-time item belongs to a plan
    line (``plan_line``): it goes on that plan's subscription. ``net_amount``
    and ``tax_amount`` are the priced amounts in the quote's currency;
    ``tax_rate`` is the percent applied (None when a discount spans several).
    ``spread_over_term``: a one-time item that is part of the service rather
    than a good of its own (an installation fee), whose revenue the books
    recognise over the contract's term when the quote carries one
    (IFRS 15.B49, ASC 606-10-55-50; ``accounting.services.spread_charge``)."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    plan_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    addon = models.ForeignKey(
        AddOn, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promotion = models.ForeignKey(
        Promotion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=1)
    unit_price = money_field(default=0)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    spread_over_term = models.BooleanField(default=False)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    net_amount = money_field(default=0)
    tax_amount = money_field(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="sales_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="sales_line_discount_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_recurring(self) -> bool:
        """Billed every cycle (plan, add-on and their discounts), else once."""
        return self.kind != LineKind.ONE_TIME

    @property
    def total(self) -> Decimal:
        """The line's net plus tax."""
        return self.net_amount + self.tax_amount
