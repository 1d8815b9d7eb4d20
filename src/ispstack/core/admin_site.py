"""The back office's admin site: a one-time password for staff who set one up.

A staff user with a confirmed TOTP device (RFC 6238, django-otp's
``otp_totp``; added in the admin under "TOTP devices", which shows the QR
code for an authenticator app) must type the current code on the login
form, and a session that logged in without it (before the device was
confirmed) is sent back to the login page. Staff without a device log in
with the password alone: the OTP is opt-in per user.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm

from ispstack.core import auth_cache
from ispstack.core.access import client_ip, record_access


def needs_otp(user: Any) -> bool:
    """True when ``user`` has a confirmed OTP device and so must give a code."""
    return bool(user is not None and user.is_authenticated and user_has_device(user))


def session_needs_otp(user: Any) -> bool:
    """``needs_otp`` for the check every request of a logged-in user makes,
    from the shared cache when there is one (``core.auth_cache``; a device
    added or removed counts on the next request). Logins ask ``needs_otp``."""
    if user is None or not user.is_authenticated:
        return False
    return auth_cache.cached(user, "otp", lambda: needs_otp(user))


class StaffLoginForm(OTPAdminAuthenticationForm):
    """The admin's login form: username and password, then the OTP code when
    the user has a device (django-otp verifies it and throttles wrong codes)."""

    def clean(self) -> dict[str, Any]:
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if needs_otp(user):
            try:
                self.clean_otp(user)
            except forms.ValidationError:
                record_access(
                    user=user,
                    action="staff.login_failed",
                    ip=client_ip(self.request),
                    details={"reason": "missing or wrong one-time password"},
                )
                raise
        return self.cleaned_data

    def _chosen_device(self, user: Any) -> Any:
        # django-otp asks to pick a device on a second page; with one device
        # (the usual authenticator app) the code goes with the password.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class StaffAdminSite(AdminSite):
    """``admin.site`` of ispstack (see the module docstring)."""

    login_form = StaffLoginForm
    # django-otp's admin login page: the Django login form plus the OTP fields.
    login_template = "otp/admin111/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user: Any = request.user
        # OTPMiddleware gives every request's user ``is_verified``.
        verified = getattr(user, "is_verified", None)
        return bool(verified and verified()) or not session_needs_otp(user)
