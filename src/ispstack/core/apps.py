from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_save,
)


class CoreConfig(AppConfig):
    name = "ispstack.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib.auth.models import Group, Permission
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from ispstack.core import auth_cache, events, outbox, tenant_settings
        from ispstack.core.access import on_logged_in, on_login_failed
        from ispstack.core.models import Tenant, User
        from ispstack.core.roles import ensure_roles

        outbox.handler(events.HANDLE_JOB)(events.run_handler)

        # Runs after the last app's migrations so every permission exists.
        post_migrate.connect(ensure_roles, dispatch_uid="ispstack.core.roles")
        # Django's own login signals are the one place every login passes
        # (admin form, API token endpoint); see core.access.
        user_logged_in.connect(on_logged_in, dispatch_uid="ispstack.core.access.login")
        user_login_failed.connect(on_login_failed, dispatch_uid="ispstack.core.access.failed")
        # Who holds which permission or OTP device, or a user or tenant row,
        # changed: the cached answers of core.auth_cache are stale.
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(
                auth_cache.bump, sender=through, dispatch_uid=f"auth_cache.{through}"
            )
        m2m_changed.connect(
            auth_cache.bump, sender=Group.permissions.through, dispatch_uid="auth_cache.roles"
        )
        for model in (Group, Permission, TOTPDevice, User, Tenant):
            post_delete.connect(auth_cache.bump, sender=model, dispatch_uid=f"auth_cache.d.{model}")
        # Users and tenants: the cached user row (with its tenant) is stale.
        for model in (Group, Permission, User, Tenant):
            post_save.connect(auth_cache.bump, sender=model, dispatch_uid=f"auth_cache.{model}")
        pre_save.connect(
            auth_cache.note_device_state, sender=TOTPDevice, dispatch_uid="auth_cache.otp.pre"
        )
        post_save.connect(
            auth_cache.bump_on_device_change, sender=TOTPDevice, dispatch_uid="auth_cache.otp"
        )
        # A new tenant gets the settings row of every app that registered one.
        post_save.connect(
            tenant_settings.on_tenant_saved,
            sender=Tenant,
            dispatch_uid="ispstack.core.tenant_settings",
        )


class StaffAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with ``core.admin_site.StaffAdminSite`` as ``admin.site``."""

    # Django's AdminConfig is its module's default; this one is named in
    # INSTALLED_APPS, and ``ispstack.core`` must still load CoreConfig.
    default = False
    default_site = "ispstack.core.admin_site.StaffAdminSite"
