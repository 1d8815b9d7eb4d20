"""Back-office screens for collections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest

from ispstack.collections import services
from ispstack.collections.models import (
    CollectionRun,
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
    Reminder,
)
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin
from ispstack.core.admin_run import RunNowAdmin
from ispstack.core.tenancy import tenant_of


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyTenantAdmin):
    list_display = ["sent_on", "invoice", "level", "days_past_due"]


@admin.register(CollectionRun)
class CollectionRunAdmin(RunNowAdmin):
    list_display = ["as_of", "reminders_sent", "suspended", "reconnected", "created_at"]
    run_label = "Run collections now"
    run_permission = "collections.add_collectionrun"

    def run(self, request: HttpRequest, as_of: Any) -> str:
        run = services.run_collections(tenant=tenant_of(request.user), as_of=as_of)
        return (
            f"Collections for {as_of}: {run.reminders_sent} reminders, "
            f"{run.suspended} suspended, {run.reconnected} reconnected."
        )


class StepInline(admin.TabularInline):
    model = DunningStep
    fields = ["position", "delay_days", "action", "config"]
    extra = 1


@admin.register(DunningCampaign)
class DunningCampaignAdmin(TenantScopedAdmin):
    list_display = [
        "name",
        "trigger_after_days",
        "minimum_amount",
        "priority",
        "is_active",
        "stats",
    ]
    inlines = [StepInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DunningCampaign]:
        recovered = Q(executions__status=DunningExecution.Status.RECOVERED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                started=Count("executions"),
                recovered=Count("executions", filter=recovered),
                recovered_amount=Sum("executions__recovered_amount", filter=recovered),
            )
        )

    @admin.display(description="Started / recovered / rate")
    def stats(self, obj: Any) -> str:
        rate = (
            (Decimal(obj.recovered) / obj.started).quantize(Decimal("0.0001"))
            if obj.started
            else Decimal(0)
        )
        amount = obj.recovered_amount or Decimal(0)
        return f"{obj.started} / {obj.recovered} ({amount}) / {rate}"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for step in formset.save(commit=False):
            step.tenant_id = form.instance.tenant_id
            step.save()
        for removed in formset.deleted_objects:
            removed.delete()
        formset.save_m2m()


class ActionLogInline(admin.TabularInline):
    model = DunningActionLog
    fields = readonly_fields = ("executed_on", "position", "action", "ok", "detail")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DunningExecution)
class DunningExecutionAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "customer",
        "campaign",
        "status",
        "started_on",
        "next_action_on",
        "next_position",
        "outstanding_amount",
        "recovered_amount",
        "promise_to_pay_until",
    ]
    list_filter = ["status", "campaign"]
    search_fields = ["customer__name", "customer__account_number"]
    inlines = [ActionLogInline]
