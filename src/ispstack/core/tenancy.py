"""The one scoping helper every user-facing query goes through.

``scope(queryset, user)`` keeps the rows ``user`` may see: its tenant's rows,
every row for the platform operator (a superuser without a tenant), none for
anyone else. It works on any model with a ``tenant`` column: the business
tables (``TenantScopedModel``), FreeRADIUS's tables we write (``nas``,
``radcheck``..., whose ``tenant`` is an extra nullable column), staff users,
and the ``Tenant`` table itself (a tenant's staff see their own tenant only).
The API (``core.api.base``, ``core.api.fields``), the admin
(``core.admin_base``) and selectors call it, directly or through
``TenantQuerySet.for_user``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models

if TYPE_CHECKING:
    from ispstack.core.models import Tenant

M = TypeVar("M", bound=models.Model)
Q = TypeVar("Q", bound=models.QuerySet[Any])


def is_platform(user: Any) -> bool:
    """``user`` is the platform operator: a superuser without a tenant."""
    return bool(getattr(user, "is_superuser", False) and getattr(user, "tenant_id", None) is None)


def has_tenant_column(model: Any) -> bool:
    """Whether ``model`` rows belong to a tenant (a ``tenant`` foreign key), or
    are the tenants themselves."""
    from ispstack.core.models import Tenant

    if isinstance(model, type) and issubclass(model, Tenant):
        return True
    try:
        field = model._meta.get_field("tenant")
    except (AttributeError, FieldDoesNotExist):  # not a model, or no tenant
        return False
    return bool(getattr(field, "related_model", None) is Tenant)


#: ``visible_tenant``'s answer for a user who may see no tenant's rows.
NO_TENANT = 0


def visible_tenant(user: Any) -> int | None:
    """The id of the tenant whose rows ``user`` may see (see the module
    docstring): None for the platform operator, who sees every tenant's;
    ``NO_TENANT`` (an id no row has) for staff without a tenant. ``scope``
    applies it to a queryset; a hand-written statement filters by it."""
    if is_platform(user):
        return None
    tenant_id = getattr(user, "tenant_id", None)
    return NO_TENANT if tenant_id is None else tenant_id


def scope(queryset: Q, user: Any) -> Q:
    """The rows of ``queryset`` that ``user`` may see (see the module docstring).

    Raises TypeError for a model without a tenant column: a query for a user
    must never be left unscoped by mistake.
    """
    from ispstack.core.models import Tenant

    model = queryset.model
    if not has_tenant_column(model):
        raise TypeError(f"{model.__name__} has no tenant column to scope by")
    tenant_id = visible_tenant(user)
    if tenant_id is None:
        return queryset
    if tenant_id == NO_TENANT:
        return queryset.none()
    if issubclass(model, Tenant):
        return queryset.filter(pk=tenant_id)
    return queryset.filter(tenant_id=tenant_id)


class TenantQuerySet(models.QuerySet[M]):
    """QuerySet of a tenant-scoped model."""

    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet[M]:
        """Rows of ``tenant`` only; no rows at all for ``None``."""
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)

    def for_user(self, user: Any) -> TenantQuerySet[M]:
        """Rows that ``user`` may see (``scope``)."""
        return scope(self, user)


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
