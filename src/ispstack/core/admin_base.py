"""Admin base classes that keep staff inside their tenant.

A staff user with a tenant sees, picks, filters by and creates only that
tenant's rows; a platform superuser (no tenant) sees every tenant and chooses
the tenant on create. Every ModelAdmin of ispstack derives from
``TenantAdminMixin`` (``tests/test_admin_scoping.py`` checks it). Secrets are
write-only on every admin page.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ispstack.core import display, tenancy
from ispstack.core.errors import ServiceError


def is_platform(request: HttpRequest) -> bool:
    """The request comes from a platform operator: a superuser without a tenant."""
    return tenancy.is_platform(request.user)


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


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter on a relation that offers only the user's tenant's rows
    (Django's own lists every row of the related table, every tenant's)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        related = field.related_model
        if not tenancy.has_tenant_column(related):
            return super().field_choices(field, request, model_admin)
        rows = tenancy.scope(related._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rows = rows.order_by(*ordering)
        return [(row.pk, str(row)) for row in rows]


class SecretField(forms.CharField):
    """A write-only secret: an empty box (the stored value is never rendered);
    empty keeps the current value, and only a typed value counts as a change."""

    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


class SecretFormMixin(forms.BaseForm):
    """Copies the typed secrets (``replace_<name>``) onto ``<name>`` of the
    instance and the cleaned data, before the form's own checks run."""

    secret_fields: tuple[str, ...] = ()

    def replaced_secrets(self) -> dict[str, str]:
        """``{field name: new value}`` of the secrets typed in this form."""
        data = getattr(self, "cleaned_data", {})
        return {n: data[f"replace_{n}"] for n in self.secret_fields if data.get(f"replace_{n}")}

    def clean(self) -> dict[str, Any]:
        for name, value in self.replaced_secrets().items():
            self.cleaned_data[name] = value
            setattr(self.instance, name, value)  # type: ignore[attr-defined]
        return super().clean() or {}


def reveal_action(field: str, permission: str, service: Any, label: str) -> Any:
    """An admin action showing the secret ``field`` of one selected row to a
    user holding ``permission``; ``service(obj, actor)`` returns the value and
    writes the audit row (``core.secrets.reveal``). The page is never cached."""

    def action(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
        rows = list(queryset[:2])
        if len(rows) != 1:
            modeladmin.message_user(
                request, f"Select exactly one row to reveal its {label}.", level=messages.WARNING
            )
            return None
        try:
            value = service(rows[0], request.user)
        except ServiceError as exc:
            modeladmin.message_user(request, str(exc), level=messages.ERROR)
            return None
        response = TemplateResponse(
            request,
            "admin/ispstack/reveal.html",
            {
                **admin.site.each_context(request),
                "title": f"{label.capitalize()} of {rows[0]}",
                "label": label,
                "value": value,
            },
        )
        add_never_cache_headers(response)
        return response

    action.__name__ = f"reveal_{field}"
    action.reveal_permission = permission  # type: ignore[attr-defined]
    return admin.action(description=f"Reveal the {label} (audited)")(action)


def _follow(obj: Any, path: str) -> Any:
    """The object at the dotted relation ``path`` of ``obj`` (``""``: ``obj``)."""
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def money_of(obj: Any, amount: Any, via: str = "") -> str:
    """``amount`` of the row ``obj`` with its currency: ``R 573.85``.

    The currency is the ``currency`` of the row (or of the related object at
    ``via``, e.g. ``"invoice"`` for an invoice line), else the tenant's; the
    symbol follows the tenant's country. ``""`` for None.
    """
    source = _follow(obj, via) or obj
    tenant = getattr(source, "tenant", None) if getattr(source, "tenant_id", None) else None
    currency = getattr(source, "currency", "") or ""
    if tenant is not None:
        return display.tenant_money(amount, tenant, currency)
    return display.money(amount, currency) if currency else display.quantity(amount)


def totals_html(totals: dict[str, Any] | None, tenant: Any = None) -> str:
    """Amounts per currency (``{"ZAR": "13774.70"}``) one per line: ``R 13,774.70``;
    ``-`` when there are none."""
    country = getattr(tenant, "country", None)
    lines = [
        display.money(amount, code, country) for code, amount in sorted((totals or {}).items())
    ]
    if not lines:
        return "-"
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


def short_decimal(value: Any, places: int = 2) -> Any:
    """A Decimal without the column's trailing zeros, keeping at least
    ``places`` decimals (``499.0000`` -> ``499.00``, ``15.000`` -> ``15``);
    anything else as given."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return value
    short = value.normalize()
    if -short.as_tuple().exponent < places:  # type: ignore[operator]
        return value.quantize(Decimal(1).scaleb(-places))
    return short


# How a kind of value reads (``ReadableValuesMixin.shown_fields``).
SHOWN_AS = {
    "quantity": display.quantity,
    "percent": display.percent,
    "data_size": display.data_size,
    "duration": display.duration,
}


def shown_column(model: Any, name: str, kind: str, via: str = "", label: Any = None) -> Any:
    """An admin column showing the field ``name`` of ``model`` as ``kind``:
    ``money`` (with the row's currency, see ``money_of``), ``totals`` (a
    ``{currency: amount}`` dict, one line each), ``quantity``
    (no trailing zeros), ``percent`` (``15 %``), ``data_size`` (bytes as
    ``1.2 GB``), ``duration`` (seconds as ``2 h 5 min``) or ``text`` (as
    stored, under its ``label``); sorted by the field. ``label``: the column's
    title (default: the field's verbose name)."""
    field = model._meta.get_field(name)

    def column(obj: Any) -> str:
        value = getattr(obj, name)
        if value is None:
            return "-"
        if kind == "money":
            return money_of(obj, value, via)
        if kind == "totals":
            return totals_html(value, getattr(obj, "tenant", None))
        if kind == "text":
            return str(value)
        if kind == "datetime":
            return str(formats.localize(timezone.localtime(value)))
        return str(SHOWN_AS[kind](value))

    column.__name__ = f"{name}_shown"
    title = label or capfirst(field.verbose_name)
    return admin.display(description=title, ordering=name)(column)


class ReadableValuesMixin:
    """Shows money with its currency, quantities without trailing zeros,
    rates as percentages and byte counts in GB, in lists and on read-only
    detail pages, instead of Django's raw ``499.0000``.

    ``shown_fields`` maps a field name to its kind (``shown_column``), or
    to ``(kind, label)`` for a column titled otherwise than the field;
    ``money_via`` names the relation whose ``currency`` (and tenant) an
    amount is in when the row has none. A field shown so is replaced by its
    ``<name>_shown`` column wherever it is read-only; an editable field stays
    a form field.
    """

    model: Any
    shown_fields: dict[str, Any] = {}
    money_via: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, spec in self.shown_fields.items():
            kind, label = (spec, None) if isinstance(spec, str) else spec
            setattr(
                self, f"{name}_shown", shown_column(self.model, name, kind, self.money_via, label)
            )

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        spec = self.shown_fields.get(db_field.name)
        if spec is not None and isinstance(field, forms.DecimalField):
            # An editable amount reads 499.00 (a rate 15), not the column's 499.0000.
            kind = spec if isinstance(spec, str) else spec[0]
            field.prepare_value = functools.partial(  # type: ignore[method-assign]
                short_decimal, places=2 if kind == "money" else 0
            )
            field.widget.attrs["step"] = "any"
        return field

    def shown_names(self, names: Any) -> list[Any]:
        """``names`` with each shown field replaced by its display column."""
        return [f"{n}_shown" if isinstance(n, str) and n in self.shown_fields else n for n in names]

    def _shown_readonly(self, request: HttpRequest, obj: Any) -> set[str]:
        """The shown fields that are read-only on this page (all on a view-only page)."""
        if not self.shown_fields:
            return set()
        readonly = set(self.get_readonly_fields(request, obj))
        view_only = obj is not None and not self.has_change_permission(request, obj)  # type: ignore[attr-defined]
        return {n for n in self.shown_fields if view_only or f"{n}_shown" in readonly}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown_names(super().get_readonly_fields(request, obj))  # type: ignore[misc]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        readonly = set(self.get_readonly_fields(request, obj))
        hidden = [n for n in self.shown_fields if f"{n}_shown" in readonly]
        # The display columns are never form fields (a view-only page lists them).
        return [*excluded, *hidden, *(f"{n}_shown" for n in self.shown_fields)]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        shown = self._shown_readonly(request, obj)
        if not shown:
            return fieldsets
        return [
            (title, {**opts, "fields": [self._swap(f, shown) for f in opts["fields"]]})
            for title, opts in fieldsets
        ]

    def _swap(self, entry: Any, shown: set[str]) -> Any:
        if isinstance(entry, (list, tuple)):
            return type(entry)(self._swap(e, shown) for e in entry)
        return f"{entry}_shown" if entry in shown else entry


class ReadableInline(ReadableValuesMixin, admin.TabularInline):
    """A read-only table of related rows inside a detail page, with readable values."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenantAdminMixin(ReadableValuesMixin, admin.ModelAdmin):
    """What keeps every ModelAdmin inside the user's tenant, one mechanism:

    - rows: ``core.tenancy.scope`` (override ``scope_queryset`` for tables
      that carry no tenant, such as radacct, scoped through usernames);
    - choices of foreign keys and many-to-many fields, and the choices of
      relation list filters (``TenantRelatedFieldListFilter``), autocompletes
      (they read the related model's admin, scoped too);
    - secrets (``secret_fields``): never in the form or on the page; the page
      says whether one is set, a ``replace_<name>`` box takes a new one, and
      ``reveal_action`` shows one to a role that may, audited.
    """

    secret_fields: tuple[str, ...] = ()

    def scope_queryset(self, request: HttpRequest, queryset: Any) -> Any:
        """The rows of ``queryset`` the request's user may see."""
        return tenancy.scope(queryset, request.user)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs and tenancy.has_tenant_column(related):
            kwargs["queryset"] = tenancy.scope(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs and tenancy.has_tenant_column(related):
            kwargs["queryset"] = tenancy.scope(related._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry: Any) -> Any:
        if isinstance(entry, str):
            name = entry
        elif isinstance(entry, tuple) and entry[1] is admin.RelatedFieldListFilter:
            name = entry[0]
        else:
            # A SimpleListFilter, or a relation filter of its own choosing
            # (RelatedOnlyFieldListFilter reads the scoped changelist).
            return entry
        try:
            field = get_fields_from_path(self.model, name)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        return (name, TenantRelatedFieldListFilter) if field.is_relation else entry

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*(super().get_exclude(request, obj) or []), *self.secret_fields]

    def get_list_display(self, request: HttpRequest) -> Any:
        return self.shown_names(super().get_list_display(request))

    def get_list_select_related(self, request: HttpRequest) -> Any:
        related = super().get_list_select_related(request)
        if not self.shown_fields or related is True or not tenancy.has_tenant_column(self.model):
            return related
        # Money reads the tenant (symbol, currency) of each row: one join, not a query a row.
        if related is False:
            related = [
                name
                for name in self.get_list_display(request)
                if isinstance(name, str)
                and name in {f.name for f in self.model._meta.fields if f.is_relation}
            ]
        via = self.money_via.replace(".", "__")
        return [*related, f"{via}__tenant" if via else "tenant"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = kwargs.get("form", self.form)
        hidden = [n for n in self.shown_fields if n in getattr(form, "declared_fields", {})]
        if hidden and obj is not None:
            readonly = set(self.get_readonly_fields(request, obj))
            hidden = [n for n in hidden if f"{n}_shown" in readonly]
            if hidden:
                kwargs["form"] = type(form.__name__, (form,), dict.fromkeys(hidden))
        if self.secret_fields and (obj is None or self.has_change_permission(request, obj)):
            kwargs["form"] = self._secret_form(kwargs.get("form", self.form), obj)
        return super().get_form(request, obj, change=change, **kwargs)

    def _secret_form(self, form: Any, obj: Any) -> Any:
        fields: dict[str, Any] = {"secret_fields": self.secret_fields}
        for name in self.secret_fields:
            verbose = self.model._meta.get_field(name).verbose_name
            if obj is None:
                hint = f"Write-only: the {verbose} is never shown once saved."
            else:
                state = "set" if getattr(obj, name) else "not set"
                hint = f"The current {verbose} is {state}; leave empty to keep it."
            fields[f"replace_{name}"] = SecretField(
                label=f"New {verbose}", required=False, strip=False, help_text=hint
            )
        return type(form.__name__, (SecretFormMixin, form), fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "secrets_state"] if self.secret_fields and obj is not None else fields

    @admin.display(description=_("Secrets"))
    def secrets_state(self, obj: Any) -> str:
        """Whether each secret is set, never its value."""
        return "; ".join(
            f"{self.model._meta.get_field(n).verbose_name}: "
            f"{'set' if getattr(obj, n) else 'not set'}"
            for n in self.secret_fields
        )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        for name, entry in list(actions.items()):
            permission = getattr(entry[0] if entry else None, "reveal_permission", None)
            if permission and not request.user.has_perm(permission):
                del actions[name]
        return actions


class TenantSettingsInline(admin.StackedInline):
    """An app's settings of a tenant (``core.tenant_settings``), shown on the
    tenant's page; an app registers it with ``core.admin.register_settings_inline``.

    The same rules as ``TenantAdminMixin``: rows and foreign-key choices
    through ``core.tenancy.scope``. One row per tenant that is never deleted
    on its own (it goes with its tenant).
    """

    can_delete = False
    extra = 1
    max_num = 1

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return tenancy.scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs and tenancy.has_tenant_column(related):
            kwargs["queryset"] = tenancy.scope(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantScopedAdmin(TenantAdminMixin, admin.ModelAdmin):
    """ModelAdmin of a model with a tenant: rows, choices and creates in the
    user's tenant (``TenantAdminMixin``); the platform operator picks the
    tenant of a new row and filters by tenant."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_tenant = getattr(request.user, "tenant", None)
        return form

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not is_platform(request):
            excluded.append("tenant")
        return excluded

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        by_tenant = is_platform(request) and tenancy.has_tenant_column(self.model)
        return [self._scoped_filter("tenant"), *filters] if by_tenant else filters

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
