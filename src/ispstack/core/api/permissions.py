"""API permissions: model permissions of the user's role, within its tenant."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import DjangoModelPermissions


class TenantModelPermissions(DjangoModelPermissions):
    """Django model permissions (the role groups), reads included, and a tenant.

    Creating needs ``add``; an action posted on an existing object needs
    ``change``. A user without a tenant must be a superuser (the platform
    operator).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if getattr(user, "tenant_id", None) is None and not user.is_superuser:
            return False
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        if request.method == "POST" and getattr(view, "detail", False):
            # An action on an existing object (suspend, approve, top-up) changes it.
            model = view.queryset.model
            return bool(user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}"))
        return super().has_permission(request, view)
