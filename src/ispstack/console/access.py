"""Who may open a console page: logged-in staff of a tenant (or the platform
operator), verified by their one-time password when they set one up, holding
the model permissions the page names.

Every console view is a ``StaffView``; its ``required_perms`` lists what the
page reads, as the API's viewsets do, so a role sees in the console what it
may read through the API and nothing more. Rows are scoped with
``core.tenancy.scope``; a row of another tenant answers 404, never 403, so ids
of other tenants cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views import View

from ispstack.core.admin_site import session_needs_otp
from ispstack.core.tenancy import is_platform, scope


def may_use_console(user: Any) -> bool:
    """Active staff of a tenant, or the platform operator, who passed the OTP
    check when they have a device."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.tenant_id is None and not is_platform(user):
        return False
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified()) or not session_needs_otp(user)


class StaffView(AccessMixin, View):
    """Base of every console view (see the module docstring).

    ``required_perms``: permissions (``app_label.codename``) all needed to open
    the page, or ``perms_for`` when they depend on the URL (an action, a new
    row or an existing one); a user lacking one gets the 403 page. Anonymous
    users are sent to the console's login page.
    """

    required_perms: tuple[str, ...] = ()
    login_url = "console:login"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_use_console(request.user):
            return self.handle_no_permission()
        if not request.user.has_perms(self.perms_for(**kwargs)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def perms_for(self, **kwargs: Any) -> tuple[str, ...]:
        """The permissions needed for the URL's ``kwargs``: ``required_perms``."""
        return self.required_perms

    def scoped(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """``queryset`` limited to the rows the user may see."""
        return scope(queryset, self.request.user)

    def get_scoped(self, queryset: models.QuerySet[Any], **lookup: Any) -> Any:
        """One row the user may see, else Http404."""
        return get_object_or_404(self.scoped(queryset), **lookup)

    @property
    def tenant(self) -> Any:
        """The user's tenant; None for the platform operator."""
        return getattr(self.request.user, "tenant", None)

    def require_tenant(self) -> Any:
        """The user's tenant, for actions that act in one (the platform operator
        reads every tenant but acts in none): raises Http404 without one."""
        if self.tenant is None:
            raise Http404("This action needs a tenant.")
        return self.tenant
