"""The signed-in portal's account pages: profile and password, and the
notices the customer receives."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from ispstack.core.errors import InvalidInput
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.selectors import preferences_of
from ispstack.portal import services
from ispstack.portal.auth import sign_in
from ispstack.portal.selectors import branding_for
from ispstack.portal.views.base import PortalView


def profile_context(view: PortalView, **context: Any) -> dict[str, Any]:
    """The profile page's context (its two forms, no errors), ``context`` over it."""
    return {
        "profile": {
            "name": view.user.name,
            "email": view.customer.email,
            "phone": view.customer.phone,
        },
        "languages": settings.PORTAL_LANGUAGES,
        "code_by_tenant": branding_for(view.tenant).sms_sign_in,
        "profile_errors": {},
        "password_errors": {},
        **context,
    }


class ProfileView(PortalView):
    """``/my/<tenant>/profile/``: the user's name and the account's contact
    email and phone (POST saves them), and the password form
    (``password/``). ``?saved=1`` after a save says so."""

    nav = "profile"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(
            "portal/profile.html",
            profile_context(self, saved=request.GET.get("saved", "")),
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        values = {key: request.POST.get(key, "") for key in ("name", "email", "phone")}
        try:
            services.update_profile(user=self.user, **values)
        except InvalidInput as exc:
            context = profile_context(self, profile=values)
            context["profile_errors"] = {exc.field or "name": exc.message}
            return self.page("portal/profile.html", context, status=400)
        return redirect(f"{request.path}?saved=profile")


@method_decorator(
    sensitive_post_parameters("current_password", "password", "confirm"), name="dispatch"
)
class PasswordView(PortalView):
    """``/my/<tenant>/profile/password/`` (POST): a new password, given the
    current one. This session stays signed in; the user's others end."""

    nav = "profile"

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("portal:profile", tenant=self.tenant.slug)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            user = services.change_password(
                user=self.user,
                current=request.POST.get("current_password", ""),
                password=request.POST.get("password", ""),
                confirm=request.POST.get("confirm", ""),
            )
        except InvalidInput as exc:
            context = profile_context(self)
            context["password_errors"] = {exc.field or "password": exc.message}
            return self.page("portal/profile.html", context, status=400)
        sign_in(request, user)
        url = f"{request.path.rsplit('password/', 1)[0]}?saved=password"
        return redirect(url)


class LanguageView(PortalView):
    """``/my/<tenant>/profile/language/`` (POST): the language the portal is
    shown in for this user (``""``: the tenant's or the browser's)."""

    nav = "profile"

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("portal:profile", tenant=self.tenant.slug)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.set_language(user=self.user, language=request.POST.get("language", ""))
        except InvalidInput as exc:
            context = profile_context(self)
            context["language_error"] = exc.message
            return self.page("portal/profile.html", context, status=400)
        url = f"{request.path.rsplit('language/', 1)[0]}?saved=language"
        return redirect(url)


class SmsSignInView(PortalView):
    """``/my/<tenant>/profile/sign-in-code/`` (POST): the user's own choice of
    a one-time code by SMS at every sign-in (``sms_sign_in`` checkbox)."""

    nav = "profile"

    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("portal:profile", tenant=self.tenant.slug)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.set_sms_sign_in(user=self.user, on="sms_sign_in" in request.POST)
        except InvalidInput as exc:
            context = profile_context(self)
            context["sms_error"] = exc.message
            return self.page("portal/profile.html", context, status=400)
        url = f"{request.path.rsplit('sign-in-code/', 1)[0]}?saved=sign-in-code"
        return redirect(url)


class PreferencesView(PortalView):
    """``/my/<tenant>/notifications/``: which notices the customer gets by
    email and by SMS, per kind. Legal and transactional messages (password
    links, receipts of what they asked for) are not listed: they always go."""

    nav = "notifications"

    def _show(self, saved: str = "") -> HttpResponse:
        chosen = preferences_of(self.customer.pk)
        rows = [
            {"kind": kind, "label": label, **chosen[kind]}
            for kind, label in NotificationKind.choices
        ]
        return self.page("portal/preferences.html", {"rows": rows, "saved": saved})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._show(saved=request.GET.get("saved", ""))

    def post(self, request: HttpRequest) -> HttpResponse:
        services.set_preferences(user=self.user, posted=request.POST)
        return redirect(f"{request.path}?saved=1")
