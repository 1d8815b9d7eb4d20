"""Admin base classes that keep staff inside their tenant.

A staff user with a tenant sees, picks and creates only that tenant's rows;
a platform superuser (no tenant) sees every tenant and chooses the tenant on
create.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

from ispstack.core.errors import ServiceError
from ispstack.core.models import TenantScopedModel


def is_platform(request: HttpRequest) -> bool:
    """The request comes from a platform operator: a superuser without a tenant."""
    user = request.user
    return bool(getattr(user, "is_superuser", False) and getattr(user, "tenant_id", None) is None)


class ServiceModelForm(forms.ModelForm):
    """Admin form whose ``clean`` asks the service layer to validate the input,
    so the clerk sees the service's error on the field instead of a crash.

    ``request_tenant`` is set by ``TenantScopedAdmin.get_form``.
    """

    request_tenant: Any = None

    def form_tenant(self) -> Any:
        """The tenant the row belongs (or will belong) to."""
        if self.instance.pk and self.instance.tenant_id:
            return self.instance.tenant
        return self.cleaned_data.get("tenant") or self.request_tenant

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        """Raise a ServiceError when ``data`` would be refused; override per form."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tenant = self.form_tenant()
        if tenant is None:
            raise forms.ValidationError("Choose the tenant this row belongs to.")
        try:
            self.validate_with_service(tenant, data)
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


class TenantScopedAdmin(admin.ModelAdmin):
    """ModelAdmin of a ``TenantScopedModel``: rows, choices and creates in the user's tenant."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_tenant = getattr(request.user, "tenant", None)  # type: ignore[attr-defined]
        return form

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return super().get_queryset(request).for_user(request.user)  # type: ignore[attr-defined]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not is_platform(request):
            excluded.append("tenant")
        return excluded

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        return (["tenant", *filters]) if is_platform(request) else filters

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if isinstance(related, type) and issubclass(related, TenantScopedModel):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not getattr(obj, "tenant_id", None):
            obj.tenant = request.user.tenant  # type: ignore[union-attr]
        super().save_model(request, obj, form, change)

    def run_service(self, request: HttpRequest, func: Any, success: str, **kwargs: Any) -> bool:
        """Call a service, reporting a ServiceError as an admin message; True on success."""
        try:
            func(**kwargs)
        except ServiceError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return False
        self.message_user(request, success, level=messages.SUCCESS)
        return True


class ReadOnlyTenantAdmin(TenantScopedAdmin):
    """Scoped admin for records written only by services (audit, jobs, usage)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReasonForm(forms.Form):
    """The reason a clerk gives for a lifecycle action."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True)


def form_page(
    request: HttpRequest,
    *,
    title: str,
    form: forms.Form,
    submit_label: str,
    objects: Any = (),
    objects_label: str = "",
    hidden: Any = (),
    multipart: bool = False,
) -> Any:
    """Render the shared admin page for an intermediate or "run now" form."""
    from django.template.response import TemplateResponse

    return TemplateResponse(
        request,
        "admin/ispstack/form_page.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "form": form,
            "submit_label": submit_label,
            "objects": objects,
            "objects_label": objects_label,
            "hidden": hidden,
            "multipart": multipart,
        },
    )


def action_form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    label: str,
    queryset: Any,
    objects_label: str,
) -> Any:
    """The intermediate page of an admin action that needs input; it posts the
    action and the selected rows back with the form."""
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    hidden = [("action", request.POST["action"])] + [
        (ACTION_CHECKBOX_NAME, pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)
    ]
    return form_page(
        request,
        title=title,
        form=form,
        submit_label=label,
        objects=queryset,
        objects_label=objects_label,
        hidden=hidden,
    )
