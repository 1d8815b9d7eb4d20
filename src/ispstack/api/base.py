"""Base viewset: every query scoped to the user's tenant, writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from ispstack.core.models import Tenant


class TenantViewSet(viewsets.GenericViewSet):
    """A viewset over a tenant-scoped model.

    ``get_queryset`` returns only the user's tenant's rows, so another
    tenant's object answers 404, for reads and writes alike.
    """

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().for_user(self.request.user)  # type: ignore[attr-defined]

    @property
    def tenant(self) -> Tenant:
        """The tenant writes go to; platform users without a tenant can't write."""
        tenant = getattr(self.request.user, "tenant", None)
        if tenant is None:
            raise PermissionDenied("writes need a user that belongs to a tenant")
        return tenant
