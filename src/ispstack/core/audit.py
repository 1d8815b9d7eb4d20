"""The audit log: every service records what it changed and who changed it."""

from __future__ import annotations

from typing import Any

from django.db import models

from ispstack.core.models import AuditLog, Tenant

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
