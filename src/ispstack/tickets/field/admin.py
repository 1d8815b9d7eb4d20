"""Back-office screens of field service: technicians (written through
``services.save_technician``, so the admin checks what the API checks) and
their time off; appointments read-only (booked and moved along by the
console and the API, which assign and lock)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin, ServiceModelForm, TenantScopedAdmin
from ispstack.tickets.field import services
from ispstack.tickets.models.field import Appointment, Technician, TimeOff

_FIELDS = services.TECHNICIAN_FIELDS


class TechnicianForm(ServiceModelForm):
    class Meta:
        model = Technician
        fields = "__all__"


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["start_date", "end_date", "reason"]
    readonly_fields = ["start_date", "end_date", "reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Technician)
class TechnicianAdmin(TenantScopedAdmin):
    form = TechnicianForm
    list_display = ["__str__", "phone", "max_jobs_per_day", "is_active"]
    list_filter = ["is_active"]
    inlines = [TimeOffInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in _FIELDS if name in form.cleaned_data}
        saved = services.save_technician(
            tenant=form.form_tenant(),
            actor=request.user,
            user=form.cleaned_data.get("user"),
            technician=obj if change else None,
            **values,
        )
        obj.pk = saved.pk


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyTenantAdmin):
    list_display = ["__str__", "kind", "technician", "customer", "state", "starts_at"]
    list_filter = ["kind", "state"]
    date_hierarchy = "starts_at"
