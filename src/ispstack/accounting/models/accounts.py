"""The chart of accounts of a tenant and which account each posting role uses."""

from __future__ import annotations

from django.db import models

from ispstack.core.models import TenantScopedModel


class AccountType(models.TextChoices):
    """The five account classes of double-entry bookkeeping (IFRS Conceptual
    Framework 4.2: assets, liabilities, equity, income, expenses)."""

    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    REVENUE = "revenue", "Revenue"
    EXPENSE = "expense", "Expense"


class Account(TenantScopedModel):
    """A general-ledger account of a tenant's chart, known by its ``code``.

    The code is what an accounting package matches on import (Xero's
    AccountCode), so it is unique per tenant and should equal the code of
    the same account in the tenant's package.
    """

    code = models.CharField(max_length=20)
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=10, choices=AccountType.choices)
    is_active = models.BooleanField(
        default=True, help_text="Inactive accounts keep their entries but take no new mapping."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="accounting_account_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PostingRole(models.TextChoices):
    """What an amount is, in the journal's terms; ``AccountMapping`` says where
    it goes. The key of a mapping narrows a role (see ``AccountMapping``)."""

    RECEIVABLE = "receivable", "Accounts receivable"
    DEFERRED_REVENUE = "deferred_revenue", "Deferred revenue"
    REVENUE = "revenue", "Revenue"
    TAX_PAYABLE = "tax_payable", "Tax payable"
    BANK = "bank", "Bank / cash (payments received)"
    REFUND = "refund", "Refunds paid out"
    ROUNDING = "rounding", "Rounding differences"


class AccountMapping(TenantScopedModel):
    """The account a posting role uses, optionally for one ``key``.

    ``key`` narrows the role: the line kind for revenue and deferred revenue
    (``recurring``, ``one_time``, ``discount``...; also ``early_termination``),
    the VAT rate in percent for tax payable (``19``, ``7``, ``5.5``), the
    payment method for bank and refund (``card``, ``cash``...). A posting
    looks up (role, key) and falls back to (role, "") when the key has no row
    of its own, so a chart needs one row per role and more only where it
    splits an amount further.
    """

    role = models.CharField(max_length=20, choices=PostingRole.choices)
    key = models.CharField(max_length=40, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mappings")

    class Meta:
        ordering = ["role", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "role", "key"], name="accounting_mapping_role_key"
            ),
        ]

    def __str__(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"{self.get_role_display()}{key} -> {self.account.code}"
