"""Back-office screens for collections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ispstack.collections import dunning, services
from ispstack.collections.models import (
    CollectionRun,
    DunningActionLog,
    DunningCampaign,
    DunningExecution,
    DunningStep,
    Reminder,
)
from ispstack.core import display
from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin
from ispstack.core.admin_run import RunNowAdmin
from ispstack.core.errors import ServiceError
from ispstack.core.models import Tenant
from ispstack.core.tenancy import tenant_of


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyTenantAdmin):
    list_display = ["sent_on", "invoice", "level", "days_past_due"]


@admin.register(CollectionRun)
class CollectionRunAdmin(RunNowAdmin):
    list_display = ["as_of", "status", "reminders_sent", "suspended", "reconnected", "created_at"]
    run_label = "Run collections now"
    run_permission = "collections.add_collectionrun"

    def run(self, request: HttpRequest, as_of: Any) -> tuple[str, str]:
        run = services.start_collections_run(
            tenant=tenant_of(request.user), as_of=as_of, actor=request.user
        )
        return (
            f"Collections run for {as_of} started.",
            reverse("console:run", kwargs={"kind": "collections", "pk": run.pk}),
        )


class StepForm(forms.ModelForm):
    """A campaign step, checked as the API's are (``dunning.clean_step``): a
    template the step can't fill in would fail when the collections run
    reaches it."""

    tenant: Tenant | None = None

    class Meta:
        model = DunningStep
        fields = ["position", "delay_days", "action", "config"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or not self.has_changed():
            return data
        if self.tenant is None:
            raise forms.ValidationError("Save the campaign for a tenant first, then add steps.")
        step = {key: data.get(key) for key in ("delay_days", "action", "config")}
        try:
            clean = dunning.clean_step(step, "step", self.tenant)
        except ServiceError as exc:
            name = (exc.field or "").removeprefix("step.").split(".")[0]
            self.add_error(name if name in self.fields else None, exc.message)
            return data
        data["config"] = clean["config"]
        return data


class StepInline(admin.TabularInline):
    model = DunningStep
    form = StepForm
    fields = ["position", "delay_days", "action", "config"]
    extra = 1

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        # The currency of a late fee is the campaign's tenant's.
        formset.form.tenant = (
            obj.tenant if obj is not None else getattr(request.user, "tenant", None)
        )
        return formset


class CampaignForm(forms.ModelForm):
    class Meta:
        model = DunningCampaign
        fields = [
            "tenant",
            "name",
            "trigger_after_days",
            "minimum_amount",
            "exclude_tags",
            "priority",
            "is_active",
        ]

    def clean_exclude_tags(self) -> list[str]:
        # The collections run compares them with customers' tags: a list of words.
        try:
            return dunning.clean_tags(self.cleaned_data.get("exclude_tags"))
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(DunningCampaign)
class DunningCampaignAdmin(TenantScopedAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "trigger_after_days",
        "minimum_amount",
        "priority",
        "is_active",
        "stats",
    ]
    shown_fields = {"minimum_amount": "money"}
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

    @admin.display(description=_("Started / recovered (amount) / recovery rate"))
    def stats(self, obj: Any) -> str:
        rate = (
            (Decimal(100) * obj.recovered / obj.started).quantize(Decimal("0.1"))
            if obj.started
            else Decimal(0)
        )
        amount = display.tenant_money(obj.recovered_amount or Decimal(0), obj.tenant)
        return f"{obj.started} / {obj.recovered} ({amount}) / {display.percent(rate)}"

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
    shown_fields = {"outstanding_amount": "money", "recovered_amount": "money"}
    money_via = "customer"
    list_filter = ["status", "campaign"]
    search_fields = ["customer__name", "customer__account_number"]
    inlines = [ActionLogInline]
