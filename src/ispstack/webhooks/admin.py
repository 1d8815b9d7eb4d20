"""Back office of webhooks: endpoints (the secret is never shown after
creation) and deliveries with their replay action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin, ServiceModelForm, TenantScopedAdmin
from ispstack.webhooks import services
from ispstack.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointForm(ServiceModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.CharField(
        help_text="Event names separated by commas, e.g. subscription.suspended, invoices.issued."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event_types", "is_active", "description"]

    def clean_event_types(self) -> list[str]:
        value = self.cleaned_data["event_types"]
        if isinstance(value, list):
            return value
        return [name.strip() for name in value.split(",") if name.strip()]

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        services.check_endpoint_input(
            {k: data[k] for k in ("url", "event_types", "description") if k in data}
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    form = EndpointForm
    list_display = ["url", "is_active", "description", "created_at"]
    list_filter = ["is_active"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["event_types"].initial = ", ".join(obj.event_types)
        return form


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    actions = ["replay_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Replay changes the delivery; the fields themselves stay read-only.
        return obj is None and bool(request.user.has_perm("webhooks.change_webhookdelivery"))

    @admin.action(description="Replay the selected deliveries", permissions=["change"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            self.run_service(
                request,
                services.replay_delivery,
                f"{delivery} queued again",
                delivery=delivery,
                actor=request.user,
            )
