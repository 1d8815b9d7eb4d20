"""The audit log: every service records what it changed and who changed it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.db import models

from ispstack.core import inputs
from ispstack.core.models import AuditLog, Tenant, TenantScopedModel

M = TypeVar("M", bound=TenantScopedModel)

# The names of fields whose values stay out of the log (core.secrets).
SECRET_FIELDS = frozenset({"password", "secret", "community"})


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of ``obj``'s concrete field values (secrets excluded)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in SECRET_FIELDS:
            continue
        value = getattr(obj, field.attname)
        data[field.name] = value if isinstance(value, (int, bool, type(None))) else str(value)
    return data


def record(
    *,
    tenant: Tenant,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Write one audit row. ``actor`` is a staff user, or None for the system."""
    user = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "system")
    return AuditLog.objects.create(
        tenant=tenant,
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason,
    )


def write(
    *,
    model: type[M],
    tenant: Tenant,
    instance: M | None,
    data: dict[str, Any],
    allowed: Iterable[str],
    required: Iterable[str],
    clean: Callable[[dict[str, Any], M | None], dict[str, Any]],
    actor: Any,
    action: str,
) -> M:
    """Create (``instance`` None) or change a tenant's row from ``data``: unknown keys
    and missing ``required`` ones are refused, ``clean`` turns the given
    values into typed ones (raising InvalidInput / NotFound / Conflict),
    ``core.inputs.check_values`` holds them to the columns, and the change
    is audited as ``<action>.create`` / ``<action>.update``. Runs in the
    caller's transaction."""
    inputs.unknown_fields(data, allowed)
    if instance is None:
        inputs.required(data, required)
    values = clean(data, instance)
    inputs.check_values(model, values)
    if instance is None:
        obj = cast(M, model._default_manager.create(tenant=tenant, **values))
        record(
            tenant=tenant,
            actor=actor,
            action=f"{action}.create",
            obj=obj,
            after=snapshot(obj),
        )
        return obj
    locked = cast(M, model._default_manager.select_for_update().get(pk=instance.pk))
    before = snapshot(locked)
    for field, value in values.items():
        setattr(locked, field, value)
    locked.save()
    record(
        tenant=tenant,
        actor=actor,
        action=f"{action}.update",
        obj=locked,
        before=before,
        after=snapshot(locked),
    )
    return locked
