"""Secrets (NAS shared secrets, PPPoE passwords) are write-only: the API, the
admin and exports show whether one is set, never its value. Staff whose role
holds the reveal permission may read one on purpose; each reveal is audited
with who, which object and which field, never the value."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from ispstack.core import audit
from ispstack.core.errors import Conflict
from ispstack.core.models import Tenant


def reveal(
    *, obj: models.Model, field: str, permission: str, tenant: Tenant | None, actor: Any
) -> str:
    """The stored value of the secret ``field`` of ``obj``, for ``actor``.

    ``permission`` (``app_label.codename``) is the role permission that allows
    it (``core.roles``). Writes the audit row ``<model>.reveal_<field>`` with
    ``{"field": field}`` in the tenant's log. Raises PermissionDenied when
    ``actor`` lacks the permission, Conflict (field ``tenant``) for a row that
    belongs to no tenant (its reveal could not be audited).
    """
    if actor is None or not actor.has_perm(permission):
        raise PermissionDenied(f"revealing {field} needs the permission {permission}")
    if tenant is None:
        raise Conflict("a row of no tenant has no audit log to record a reveal", field="tenant")
    audit.record(
        tenant=tenant,
        actor=actor,
        action=f"{obj._meta.model_name}.reveal_{field}",
        obj=obj,
        after={"field": field},
    )
    return str(getattr(obj, field))
