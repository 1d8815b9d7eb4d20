"""Back-office screens for subscriptions: sign-up and lifecycle actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest

from ispstack.core.admin_base import (
    ReasonForm,
    ServiceModelForm,
    TenantScopedAdmin,
    form_page,
)
from ispstack.core.errors import ServiceError
from ispstack.subscriptions import services
from ispstack.subscriptions.models import PlanChange, Subscription, SubscriptionEvent

SIGNUP_FIELDS = ["customer", "plan", "username", "password", "pool", "billing_day", "start_date"]


class SubscriptionForm(ServiceModelForm):
    class Meta:
        model = Subscription
        fields = "__all__"

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        if not self.instance.pk:
            services.validate_signup(tenant, {k: data.get(k) for k in SIGNUP_FIELDS})


class EventInline(admin.TabularInline):
    model = SubscriptionEvent
    fields = readonly_fields = (
        "created_at",
        "effective_date",
        "from_status",
        "to_status",
        "reason",
        "actor_label",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _lifecycle_action(name: str, label: str, needs_reason: bool) -> Callable[..., Any]:
    service = getattr(services, name)

    def action(
        modeladmin: SubscriptionAdmin, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> Any:
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if needs_reason and not form.is_valid():
            return modeladmin.form_action(request, form, f"{label}: give a reason", label, queryset)
        reason = form.cleaned_data["reason"] if needs_reason else ""
        done = 0
        for sub in queryset:
            try:
                kwargs: dict[str, Any] = {"subscription": sub, "actor": request.user}
                if needs_reason or reason:
                    kwargs["reason"] = reason
                service(**kwargs)
                done += 1
            except ServiceError as exc:
                modeladmin.message_user(request, f"{sub}: {exc}", level=messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{label}: {done} subscription(s).")
        return None

    action.__name__ = name
    return admin.action(description=f"{label} the selected subscriptions")(action)


class PlanChangeInline(admin.TabularInline):
    model = PlanChange
    fk_name = "subscription"
    fields = readonly_fields = ("effective_date", "from_plan", "to_plan", "status", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdmin):
    form = SubscriptionForm
    list_display = [
        "username",
        "customer",
        "plan",
        "status",
        "ip_address",
        "billing_day",
        "start_date",
        "suspension_cause",
    ]
    list_filter = ["status", "suspension_cause", "plan"]
    search_fields = [
        "username",
        "customer__name",
        "customer__account_number",
        "ip_address__address",
    ]
    list_select_related = ["customer", "plan", "ip_address"]
    inlines = [EventInline, PlanChangeInline]
    actions = [
        _lifecycle_action("activate", "Activate", False),
        _lifecycle_action("suspend", "Suspend", True),
        _lifecycle_action("reconnect", "Reconnect", False),
        _lifecycle_action("terminate", "Terminate", True),
    ]

    def form_action(
        self, request: HttpRequest, form: forms.Form, title: str, label: str, queryset: Any
    ) -> Any:
        """The intermediate page of an action that needs input; keeps the selection."""
        hidden = [("action", request.POST["action"])] + [
            (ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)
        ]
        return form_page(
            request,
            title=title,
            form=form,
            submit_label=label,
            objects=queryset,
            objects_label="Subscriptions",
            hidden=hidden,
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ["status", "suspension_cause", "suspended_at", "end_date", "ip_address"]
        if obj is not None:
            base += ["customer", "username", "pool", "start_date", "plan", "billing_day"]
        return base

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            if "password" in form.changed_data:
                services.change_password(
                    subscription=obj, password=form.cleaned_data["password"], actor=request.user
                )
            return
        created = services.create_subscription(
            tenant=form.form_tenant(),
            actor=request.user,
            **{k: form.cleaned_data.get(k) for k in SIGNUP_FIELDS},
        )
        obj.pk = created.pk
