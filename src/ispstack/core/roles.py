"""Staff roles as Django groups, created after every ``migrate``.

A role grants model permissions; the tenant a user works for limits which
rows those permissions reach (``core.tenancy``). ``ALL`` means add, change,
delete and view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)
EDIT = ("add", "change", "view")

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {
        "core": ALL,
        "customers": ALL,
        "catalog": ALL,
        "network": ALL,
        "notifications": ALL,
        "subscriptions": ALL,
        "billing": ALL,
        "radius": ALL,
        "usage": ALL,
        "payments": ALL,
        "collections": ALL,
        "webhooks": ALL,
    },
    "billing": {
        "customers": EDIT,
        "catalog": VIEW,
        "subscriptions": ("change", "view"),
        "billing": ALL,
        "payments": ALL,
        "collections": ALL,
        "notifications": VIEW,
        "usage": VIEW,
    },
    "noc": {
        "customers": VIEW,
        "catalog": VIEW,
        "network": ALL,
        "subscriptions": ALL,
        "radius": ALL,
        "usage": VIEW,
    },
    "support": {
        "customers": EDIT,
        "catalog": VIEW,
        "subscriptions": VIEW,
        "billing": VIEW,
        "payments": VIEW,
        "radius": VIEW,
        "usage": VIEW,
        "notifications": VIEW,
    },
}

# Numbering counters are never edited by hand.
_NEVER = {("core", "sequence")}
# A tenant's admin may edit its own tenant's settings, never add or delete tenants.
_TENANT_ACTIONS = ("change", "view")


def ensure_roles(sender: Any = None, **_: Any) -> None:
    """Create or refresh the role groups and their permissions (idempotent).

    Connected to ``post_migrate``, which fires once per app: only the last
    app's signal does the work, when every permission exists.
    """
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not None and sender is not with_models[-1]:
        return
    for role, grants in ROLES.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, actions in grants.items():
            for perm in Permission.objects.filter(content_type__app_label=app_label):
                model = perm.content_type.model
                action = perm.codename.split("_", 1)[0]
                if (app_label, model) in _NEVER or action not in actions:
                    continue
                if (app_label, model) == ("core", "tenant") and action not in _TENANT_ACTIONS:
                    continue
                wanted.append(perm)
        group.permissions.set(wanted)
