"""Back-office screens for subscriptions: sign-up and lifecycle actions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ispstack.catalog.models import AddOn, Promotion
from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    ReasonForm,
    ServiceModelForm,
    TenantScopedAdmin,
    TenantSettingsInline,
    action_form_page,
    reveal_action,
)
from ispstack.core.errors import ServiceError
from ispstack.network.models import PrefixPool
from ispstack.subscriptions import services
from ispstack.subscriptions.access import ACCESS_FIELDS, change_access, validate_access
from ispstack.subscriptions.equipment import (
    INSTALLATION_FIELDS,
    update_installation,
    validate_installation,
)
from ispstack.subscriptions.models import (
    OnuAssignment,
    PlanChange,
    ServiceAction,
    Subscription,
    SubscriptionAddOn,
    SubscriptionEvent,
    SubscriptionPromotion,
    SubscriptionSettings,
)
from ispstack.subscriptions.services import SIGNUP_FIELDS


class SubscriptionForm(ServiceModelForm):
    framed_ipv6_pool = forms.ModelChoiceField(
        PrefixPool.objects.filter(kind=PrefixPool.Kind.FRAMED),
        required=False,
        help_text="Allocate the framed IPv6 prefix from this pool.",
    )
    delegated_ipv6_pool = forms.ModelChoiceField(
        PrefixPool.objects.filter(kind=PrefixPool.Kind.DELEGATED),
        required=False,
        help_text="Allocate the delegated IPv6 prefix from this pool.",
    )

    class Meta:
        model = Subscription
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant = getattr(self, "request_tenant", None)
        if tenant is not None:
            for name in ("framed_ipv6_pool", "delegated_ipv6_pool"):
                field = self.fields[name]
                field.queryset = field.queryset.filter(tenant=tenant)  # type: ignore[attr-defined]

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        if not self.instance.pk:
            services.validate_signup(tenant, {k: data.get(k) for k in SIGNUP_FIELDS})
        else:
            changed = {k: data.get(k) for k in ACCESS_FIELDS if k in self.changed_data}
            validate_access(tenant, changed, instance=self.instance)
            validate_installation(self.instance, self._installation(data))

    def _installation(self, data: dict[str, Any]) -> dict[str, Any]:
        """The installation fields the clerk changed."""
        return {k: data.get(k) for k in INSTALLATION_FIELDS if k in self.changed_data}


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


class AddOnInline(admin.TabularInline):
    model = SubscriptionAddOn
    fields = readonly_fields = ("addon", "quantity", "start_date", "end_date")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PromotionInline(admin.TabularInline):
    model = SubscriptionPromotion
    fields = readonly_fields = ("promotion", "start_date", "cycles_used")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachAddOnForm(forms.Form):
    addon = forms.ModelChoiceField(queryset=AddOn.objects.none())
    quantity = forms.IntegerField(min_value=1, initial=1)
    start_date = forms.DateField(required=False, help_text="Default: today")


class GrantPromotionForm(forms.Form):
    promotion = forms.ModelChoiceField(queryset=Promotion.objects.none())
    start_date = forms.DateField(required=False, help_text="Default: today")


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdmin):
    form = SubscriptionForm
    # A search box, not a <select> of every customer (scoped: CustomerAdmin.get_queryset).
    autocomplete_fields = ["customer"]
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
    inlines = [EventInline, PlanChangeInline, AddOnInline, PromotionInline]
    secret_fields = ("password",)
    actions = [
        reveal_action(
            "password",
            "subscriptions.reveal_password",
            lambda sub, actor: services.reveal_password(subscription=sub, actor=actor),
            "PPPoE password",
        ),
        _lifecycle_action("activate", "Activate", False),
        _lifecycle_action("suspend", "Suspend", True),
        _lifecycle_action("reconnect", "Reconnect", False),
        _lifecycle_action("terminate", "Terminate", True),
        "attach_addon",
        "grant_promotion",
    ]

    @admin.action(description="Attach an add-on to the selected subscriptions")
    def attach_addon(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> Any:
        form = AttachAddOnForm(request.POST if "confirm" in request.POST else None)
        form.fields["addon"].queryset = AddOn.objects.for_user(request.user).filter(  # type: ignore[attr-defined]
            is_active=True
        )
        if not form.is_valid():
            return self.form_action(request, form, "Attach add-on", "Attach", queryset)
        for sub in queryset:
            self.run_service(
                request,
                services.attach_addon,
                f"{sub}: add-on attached",
                subscription=sub,
                actor=request.user,
                **form.cleaned_data,
            )
        return None

    @admin.action(description="Grant a promotion to the selected subscriptions")
    def grant_promotion(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> Any:
        form = GrantPromotionForm(request.POST if "confirm" in request.POST else None)
        form.fields["promotion"].queryset = Promotion.objects.for_user(request.user).filter(  # type: ignore[attr-defined]
            is_active=True
        )
        if not form.is_valid():
            return self.form_action(request, form, "Grant promotion", "Grant", queryset)
        for sub in queryset:
            self.run_service(
                request,
                services.grant_promotion,
                f"{sub}: promotion granted",
                subscription=sub,
                actor=request.user,
                **form.cleaned_data,
            )
        return None

    def form_action(
        self, request: HttpRequest, form: forms.Form, title: str, label: str, queryset: Any
    ) -> Any:
        """The intermediate page of an action that needs input; keeps the selection."""
        return action_form_page(
            request,
            form,
            title=title,
            label=label,
            queryset=queryset,
            objects_label="Subscriptions",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = ["status", "suspension_cause", "suspended_at", "end_date", "ip_address"]
        if obj is None:
            # Recorded once the subscription exists (the GPS rule reads it).
            base += list(INSTALLATION_FIELDS)
        else:
            base += ["customer", "username", "pool", "start_date", "plan", "billing_day"]
        return [*base, *super().get_readonly_fields(request, obj)]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            access = {k: form.cleaned_data.get(k) for k in ACCESS_FIELDS if k in form.changed_data}
            if access:
                change_access(subscription=obj, actor=request.user, **access)
            installation = form._installation(form.cleaned_data)
            if installation:
                update_installation(subscription=obj, actor=request.user, **installation)
            new_password = form.replaced_secrets().get("password")
            if new_password:
                services.change_password(
                    subscription=obj, password=new_password, actor=request.user
                )
            return
        created = services.create_subscription(
            tenant=form.form_tenant(),
            actor=request.user,
            **{k: form.cleaned_data.get(k) for k in SIGNUP_FIELDS},
        )
        obj.pk = created.pk


class BillingDaysField(forms.CharField):
    """Allowed billing days typed as ``1, 5, 25``; cleans to the sorted list of
    distinct days (``[1, 5, 25]``), each a day of the month from 1 to 31 (a
    subscription's billing day); empty means any day.

    Raises ValidationError naming the field and the first wrong entry.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": _("any day")}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            value = ", ".join(str(day) for day in value)
        text = str(super().to_python(value) or "")
        days: set[int] = set()
        for part in re.split(r"[\s,;]+", text.strip()):
            if not part:
                continue
            # ASCII digits only: int() would refuse "²" or 5000 digits with a crash.
            if not re.fullmatch(r"[0-9]{1,2}", part) or not 1 <= int(part) <= 31:
                raise ValidationError(
                    _(
                        "Allowed billing days: '%(part)s' is not a day of the month from 1 to "
                        "31. Separate the days with commas, e.g. 1, 15; leave empty for any day."
                    ),
                    code="invalid",
                    params={"part": part},
                )
            days.add(int(part))
        return sorted(days)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != self.to_python(initial or [])
        except ValidationError:
            return True


class SubscriptionSettingsForm(forms.ModelForm):
    allowed_billing_days = BillingDaysField(
        label=_("Allowed billing days"),
        help_text=_(
            "The days of the month a subscription may be billed on, separated by commas "
            "(e.g. 1, 5, 25, 30); empty: any day."
        ),
    )

    class Meta:
        model = SubscriptionSettings
        fields = ["allowed_billing_days", "instant_plan_upgrades", "portal_plan_change_now"]


class SubscriptionSettingsInline(TenantSettingsInline):
    """The billing days a subscription may take and how portal plan change
    requests are handled, on the tenant's page."""

    model = SubscriptionSettings
    form = SubscriptionSettingsForm


register_settings_inline(SubscriptionSettingsInline)


@admin.register(OnuAssignment)
class OnuAssignmentAdmin(ReadOnlyTenantAdmin):
    """Which ONU served which subscription; written by assigning and releasing."""

    list_display = ["onu", "subscription", "assigned_at", "released_at", "reason"]
    search_fields = ["onu__serial", "subscription__username"]
    list_select_related = ["onu", "subscription"]


@admin.register(ServiceAction)
class ServiceActionAdmin(ReadOnlyTenantAdmin):
    """The service action log: written by the subscription's services and the
    CoA / Disconnect requests, never by hand."""

    list_display = [
        "created_at",
        "subscription",
        "action",
        "actor_label",
        "result",
        "message",
        "reason",
    ]
    list_filter = ["action", "result", "actor_kind"]
    search_fields = ["subscription__username", "actor_label", "reason"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
