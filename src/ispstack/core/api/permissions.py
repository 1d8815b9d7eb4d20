"""API permissions: every action of a viewset names the model permissions it
needs (``TenantViewSet.required_perms``), and the user's role must hold all of
them, within its tenant."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ActionPermissions(BasePermission):
    """The permissions the view declares for the requested action, all of them.

    - anonymous: refused (401 through the authentication classes);
    - a user without a tenant must be a superuser (the platform operator), who
      reads every tenant's rows but writes nothing through the API: every
      write belongs to one tenant, so it is made by that tenant's staff;
    - a staff user of a tenant needs every permission in
      ``view.required_perms[view.action]`` (the role groups of
      ``core.roles``); the tenant scoping of the queryset then answers 404 for
      another tenant's object.

    A view without ``required_perms`` is refused with ImproperlyConfigured:
    an undeclared action must fail loudly, never fall back to "allowed".
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if getattr(user, "tenant_id", None) is None:
            return bool(user.is_superuser) and request.method in SAFE_METHODS
        declared = getattr(view, "required_perms", None)
        if declared is None:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no required_perms")
        action = getattr(view, "action", None)
        if action in (None, "metadata"):
            # OPTIONS (DRF names it "metadata") or a method the view does not
            # serve: the view answers it (405 for the latter) without a row.
            return True
        return bool(user.has_perms(declared[action]))
