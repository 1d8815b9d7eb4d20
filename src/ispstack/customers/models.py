"""Subscriber accounts: who pays, where they are billed, where service is delivered."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import Tenant, TenantScopedModel
from ispstack.core.numbering import validate_number_format
from ispstack.core.tenancy import TenantQuerySet


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class Customer(TenantScopedModel):
    """A subscriber account, numbered per tenant (default ``CT-YYYY-NNNNN``).

    ``currency`` is the currency the customer is invoiced in. The billing
    address is where invoices go; the service address (with GPS) is where the
    connection is installed.
    """

    account_number = models.CharField(max_length=40, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +27821234567.")
    status = models.CharField(
        max_length=12, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    currency = models.CharField(max_length=3)

    billing_address_line1 = models.CharField(max_length=200, blank=True)
    billing_address_line2 = models.CharField(max_length=200, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")

    service_address_line1 = models.CharField(max_length=200, blank=True)
    service_address_line2 = models.CharField(max_length=200, blank=True)
    service_city = models.CharField(max_length=100, blank=True)
    service_postal_code = models.CharField(max_length=20, blank=True)
    service_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    service_latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    service_longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    tags = models.JSONField(
        default=list,
        blank=True,
        help_text='Labels such as ["vip", "government"]; dunning may exclude them.',
    )
    tax_exempt = models.BooleanField(default=False)
    tax_exemption_reference = models.CharField(
        max_length=100, blank=True, help_text="Certificate or legal basis, printed on invoices."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account_number"], name="customers_customer_account_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"]),
            # The console's global search: a name or email fragment, in any
            # case (icontains is UPPER(col) LIKE '%..%'), and fuzzy matches;
            # created only where pg_trgm exists (core.trigram).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customers_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="customers_email_trgm"),
            models.Index(fields=["tenant", "phone"], name="customers_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_number} {self.name}"


class CustomerSettings(models.Model):
    """How a tenant numbers its customer accounts.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with ``customers.selectors.settings_for``.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="customer_settings"
    )
    account_number_format = models.CharField(
        _("account number format"),
        max_length=50,
        default="CT-{year}-{seq:05d}",
        validators=[validate_number_format],
        help_text=_(
            "{year} is the year the account is opened, {seq:05d} the account's counter in "
            "that year padded to five digits."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer settings")
        verbose_name_plural = _("customer settings")

    def __str__(self) -> str:
        return str(_("Customer settings"))
