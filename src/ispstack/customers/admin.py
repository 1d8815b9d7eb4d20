"""Back-office screens for customers."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import ServiceModelForm, TenantScopedAdmin, TenantSettingsInline
from ispstack.customers import services
from ispstack.customers.models import Customer, CustomerSettings

FORM_FIELDS = set(services.INPUT_FIELDS)


TAG = re.compile(r"^[\w][\w .-]{0,49}$")


class TagsField(forms.CharField):
    """Tags typed as words separated by commas (``vip, government``), kept as
    the list of lower-case words the customer's ``tags`` column holds."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        tags = [t.strip().lower() for t in text.split(",") if t.strip()]
        for tag in tags:
            if not TAG.match(tag):
                raise forms.ValidationError(
                    _(
                        "“%(tag)s” is not a tag: use letters, digits, spaces, dots or dashes, "
                        "at most 50 characters, separated by commas."
                    ),
                    params={"tag": tag},
                    code="invalid",
                )
        return sorted(set(tags))


class CustomerForm(ServiceModelForm):
    tags = TagsField(
        label=_("Tags"),
        required=False,
        help_text=_(
            "Words separated by commas, e.g. vip, government. "
            "A dunning campaign can leave customers with a tag alone."
        ),
    )

    class Meta:
        model = Customer
        fields = "__all__"
        labels = {
            "tax_exempt": _("Tax exempt"),
            "tax_exemption_reference": _("Tax exemption reference"),
        }
        help_texts = {
            "tax_exempt": _("Invoices carry no tax; the exemption reference is then required."),
            "tax_exemption_reference": _(
                "The exemption certificate or legal basis, printed on the invoices."
            ),
        }

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        services.validate_customer(tenant, _service_data(data))


def _service_data(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ("" if v is None and k not in {"service_latitude", "service_longitude"} else v)
        for k, v in data.items()
        if k in FORM_FIELDS
    }


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    form = CustomerForm
    list_display = ["account_number", "name", "email", "phone", "status", "service_city"]
    list_filter = ["status", "currency"]
    search_fields = ["account_number", "name", "email", "phone"]
    readonly_fields = ["account_number", "status"]
    fieldsets = [
        (None, {"fields": ["account_number", "name", "email", "phone", "status", "currency"]}),
        (
            _("Billing address"),
            {
                "fields": [
                    "billing_address_line1",
                    "billing_address_line2",
                    "billing_city",
                    "billing_postal_code",
                    "billing_country",
                ]
            },
        ),
        (
            _("Service address"),
            {
                "fields": [
                    "service_address_line1",
                    "service_address_line2",
                    "service_city",
                    "service_postal_code",
                    "service_country",
                    "service_latitude",
                    "service_longitude",
                ]
            },
        ),
        (_("Tax"), {"fields": ["tax_exempt", "tax_exemption_reference"]}),
        (_("Tags and notes"), {"fields": ["tags", "notes"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = _service_data(form.cleaned_data)
        if change:
            services.update_customer(customer=obj, actor=request.user, **data)
        else:
            created = services.create_customer(
                tenant=form.form_tenant(), actor=request.user, **data
            )
            obj.pk = created.pk
            obj.account_number = created.account_number

    @admin.action(description="Record a payment for the selected customer")
    def record_payment(self, request: HttpRequest, queryset: Any) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        customer = queryset.first()
        return HttpResponseRedirect(
            f"{reverse('admin:payments_payment_add')}?customer={customer.pk}"
        )

    @admin.action(description="Download the statement of the selected customer")
    def download_statement(self, request: HttpRequest, queryset: Any) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        return HttpResponseRedirect(reverse("admin:payments_statement", args=[queryset.first().pk]))

    actions = ["record_payment", "download_statement"]


class CustomerSettingsInline(TenantSettingsInline):
    """How the tenant numbers customer accounts, on the tenant's page."""

    model = CustomerSettings


register_settings_inline(CustomerSettingsInline)
