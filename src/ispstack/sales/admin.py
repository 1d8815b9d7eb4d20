"""Back-office screens of sales: quotes and their lines, contracts with
their versions and subscriptions, read only, since every change goes
through the services (console and API), which price, number and version
them; the accept link's token never shows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.sales.models import (
    CommitmentShortfall,
    Contract,
    ContractSubscription,
    ContractVersion,
    DowngradeFee,
    Quote,
    QuoteLine,
    ServiceCredit,
)


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    fk_name = "quote"
    fields = readonly_fields = (
        "kind",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "net_amount",
        "tax_amount",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "version",
        "status",
        "customer",
        "lead",
        "prospect_name",
        "currency",
        "valid_until",
        "accepted_at",
    ]
    list_filter = ["status"]
    search_fields = ["number", "prospect_name", "prospect_email", "customer__name"]
    exclude = ["token"]
    inlines = [QuoteLineInline]


class ContractVersionInline(admin.TabularInline):
    model = ContractVersion
    fk_name = "contract"
    fields = readonly_fields = ("version", "reason", "actor_label", "created_at", "terms")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ContractSubscriptionInline(admin.TabularInline):
    model = ContractSubscription
    fk_name = "contract"
    fields = readonly_fields = ("subscription", "linked_on", "released_on")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "customer",
        "status",
        "version",
        "term_months",
        "term_start",
        "end_date",
        "auto_renew",
        "monthly_commitment",
        "currency",
    ]
    list_filter = ["status", "auto_renew", "termination_fee_rule", "plan_change_rule"]
    search_fields = ["number", "customer__name", "customer__account_number"]
    shown_fields = {
        **dict.fromkeys(
            ["monthly_commitment", "termination_fee_amount", "downgrade_fee", "termination_fee"],
            "money",
        ),
        "sla_uptime_percent": "percent",
    }
    inlines = [ContractSubscriptionInline, ContractVersionInline]


@admin.register(ServiceCredit)
class ServiceCreditAdmin(ReadOnlyTenantAdmin):
    list_display = ["contract", "month", "availability_percent", "amount", "credit_note"]
    search_fields = ["contract__number"]
    money_via = "contract"
    shown_fields = {"amount": "money", "availability_percent": "percent"}


@admin.register(CommitmentShortfall)
class CommitmentShortfallAdmin(ReadOnlyTenantAdmin):
    list_display = ["contract", "month", "committed", "billed", "amount", "charge"]
    search_fields = ["contract__number"]
    money_via = "contract"
    shown_fields = {"committed": "money", "billed": "money", "amount": "money"}


@admin.register(DowngradeFee)
class DowngradeFeeAdmin(ReadOnlyTenantAdmin):
    list_display = ["contract", "subscription", "effective", "old_plan", "new_plan", "amount"]
    search_fields = ["contract__number", "subscription__username"]
    money_via = "contract"
    shown_fields = {"amount": "money"}
