"""Back-office screens of accounting: the chart of accounts and its posting
mappings (editable: a tenant aligns them with its accounting package; an
account's code and type are kept once lines are booked to it); the
journal, the revenue schedule, closed months and the terms spreading a fee
(read only: the posting run and ``accounting.services`` alone write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from ispstack.accounting.models import (
    Account,
    AccountingPeriod,
    AccountMapping,
    ChargeRecognitionTerm,
    JournalEntry,
    JournalLine,
    RevenueScheduleEntry,
)
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin


@admin.register(Account)
class AccountAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "type", "is_active"]
    list_filter = ["type", "is_active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # Exports name an account by its code: once lines are booked to it,
        # the code and type stay (a database trigger refuses it too).
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and JournalLine.objects.filter(account=obj).exists():
            return (*fields, "code", "type")
        return fields


@admin.register(AccountMapping)
class AccountMappingAdmin(TenantScopedAdmin):
    list_display = ["role", "key", "account"]
    list_filter = ["role"]
    search_fields = ["key", "account__code", "account__name"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fk_name = "entry"
    fields = readonly_fields = ("account", "debit", "credit")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "number",
        "booking_date",
        "document_date",
        "source_type",
        "kind",
        "source_reference",
        "currency",
        "memo",
    ]
    list_filter = ["source_type", "kind", "period"]
    search_fields = ["number", "source_reference", "memo"]
    date_hierarchy = "booking_date"
    inlines = [JournalLineInline]


@admin.register(RevenueScheduleEntry)
class RevenueScheduleEntryAdmin(ReadOnlyTenantAdmin):
    list_display = ["month", "source", "source_id", "invoice_line", "kind", "amount", "currency"]
    list_filter = ["source", "kind", "month"]
    search_fields = ["=source_id"]
    raw_id_fields = ["invoice_line", "credit_note_line", "obligation"]


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(ReadOnlyTenantAdmin):
    list_display = ["month", "closed_at", "closed_by"]


@admin.register(ChargeRecognitionTerm)
class ChargeRecognitionTermAdmin(ReadOnlyTenantAdmin):
    list_display = ["charge", "months", "start_month"]
    raw_id_fields = ["charge"]
