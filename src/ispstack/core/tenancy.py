"""The one scoping helper every user-facing query goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from ispstack.core.models import Tenant

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    """QuerySet of a tenant-scoped model."""

    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet[M]:
        """Rows of ``tenant`` only; no rows at all for ``None``."""
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)

    def for_user(self, user: Any) -> TenantQuerySet[M]:
        """Rows that ``user`` may see: its tenant's, or all for a tenant-less superuser."""
        if getattr(user, "is_superuser", False) and getattr(user, "tenant_id", None) is None:
            return self.all()
        return self.for_tenant(getattr(user, "tenant", None))


def tenant_of(user: Any) -> Tenant:
    """The tenant a staff user works for.

    Raises PermissionDenied for a user without one (a platform operator
    must act as a tenant's staff to change that tenant's data).
    """
    from django.core.exceptions import PermissionDenied

    tenant = getattr(user, "tenant", None)
    if tenant is None:
        raise PermissionDenied("this needs a staff user that belongs to a tenant")
    return tenant
