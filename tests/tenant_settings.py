"""Set a tenant's per-app settings in tests by field name, wherever the field
lives now (``BillingSettings.invoice_net_days``, ``RadiusSettings.suspension_mode``...)."""

from __future__ import annotations

from typing import Any

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant


def settings_model_of(name: str) -> type[Any]:
    """The registered settings model with a field ``name``; KeyError if none has it."""
    for model in tenant_settings.registered():
        if any(field.name == name for field in model._meta.concrete_fields):
            return model
    raise KeyError(f"no tenant settings model has a field {name!r}")


def configure(tenant: Tenant, **values: Any) -> None:
    """Save ``values`` on the tenant's settings rows (validated like the admin form)."""
    by_model: dict[type[Any], dict[str, Any]] = {}
    for name, value in values.items():
        by_model.setdefault(settings_model_of(name), {})[name] = value
    for model, fields in by_model.items():
        row = tenant_settings.settings_of(tenant, model)
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean()
        row.save(update_fields=list(fields))
