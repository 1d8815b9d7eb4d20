"""Signing in and out of the portal, and choosing a password from an
invitation or reset link. Pages of one tenant, found by the slug in the URL."""

from __future__ import annotations

import contextlib
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ispstack.core.access import client_ip
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.portal import services, sign_in_codes, tokens
from ispstack.portal.auth import (
    PENDING_LOCKOUT_KEY,
    PENDING_NEXT_KEY,
    begin_pending,
    pending_user,
    sign_in,
    sign_out,
)
from ispstack.portal.language import portal_language
from ispstack.portal.models import PortalUser


def lockout_key(tenant: Tenant, login: str) -> str:
    """The name django-axes counts a portal sign-in's failures under: never a
    staff username (those hold no ``:``), so the portal and the staff login
    never lock each other out."""
    return f"portal:{tenant.slug}:{login.strip().lower()[:200]}"


def lock_out(request: HttpRequest, key: str) -> None:
    """Lock the login ``key`` out from this client's address as
    ``AXES_FAILURE_LIMIT`` wrong passwords would (the same django-axes
    cool-off and answer): the sign-in code's last try was spent. The failure
    is counted first, so the attempt row exists to raise to the limit."""
    user_login_failed.send(sender=__name__, credentials={"username": key}, request=request)
    AccessAttempt.objects.filter(username=key, ip_address=client_ip(request)).update(
        failures_since_start=settings.AXES_FAILURE_LIMIT
    )


def locked_response(request: HttpRequest, tenant: Tenant, *, codes: bool = False) -> HttpResponse:
    """429 with ``Retry-After``: the login is locked out (wrong passwords, or
    ``codes``: wrong sign-in codes), in the portal's words."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, int(cool_off.total_seconds()) // 60) if cool_off else None
    response = render(
        request,
        "portal/locked.html",
        {"tenant": tenant, "minutes": minutes, "codes": codes},
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def _home_or_next(request: HttpRequest, tenant: Tenant, following: str) -> HttpResponse:
    home = reverse("portal:dashboard", kwargs={"tenant": tenant.slug})
    allowed = url_has_allowed_host_and_scheme(
        following, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(following if allowed and following.startswith(home) else home)


def code_step(
    request: HttpRequest, tenant: Tenant, user: PortalUser, *, key: str, ip: str, following: str
) -> HttpResponse:
    """``user`` proved the password (or just chose one) and a code by SMS is
    required: text one and ask for it on the code page, the session not
    signed in; or refuse (403) when the customer has no mobile number.
    ``key`` is the django-axes key the sign-in counts under."""
    if not sign_in_codes.mobile_number(user):
        sign_in_codes.record_refusal(user=user, ip=ip)
        return render(
            request, "portal/login.html", {"tenant": tenant, "no_phone": True}, status=403
        )
    begin_pending(request, user, lockout=key, following=following)
    # Within a minute of the last code, that code is still the one to type.
    with contextlib.suppress(sign_in_codes.TooSoon):
        sign_in_codes.request_code(user=user)
    return redirect("portal:login-code", tenant=tenant.slug)


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@method_decorator([never_cache, csrf_protect], name="dispatch")
class TenantPage(View):
    """A page of the portal before sign-in: ``self.tenant`` from the URL's
    slug (404 if none), written in the tenant's branding language or else the
    browser's (``portal.language``)."""

    template = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.tenant = get_object_or_404(Tenant, slug=kwargs.pop("tenant"))
        with portal_language(request, self.tenant):
            return super().dispatch(request, *args, **kwargs)

    def show(self, status: int = 200, **context: Any) -> HttpResponse:
        return render(
            self.request, self.template, {"tenant": self.tenant, **context}, status=status
        )


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(TenantPage):
    """``/my/<tenant>/login/``: email or account number and password.

    Wrong passwords count in django-axes under ``lockout_key`` and the
    client's address; at ``AXES_FAILURE_LIMIT`` the pair is refused for
    ``AXES_COOLOFF_TIME`` with 429, the right password included.
    """

    template = "portal/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(next=request.GET.get("next", ""))

    def post(self, request: HttpRequest) -> HttpResponse:
        login = request.POST.get("login", "")
        password = request.POST.get("password", "")
        following = request.POST.get("next", "")
        if not isinstance(login, str) or not login.strip():
            return self.show(
                400, error=_("Enter your email address or account number."), next=following
            )
        credentials = {"username": lockout_key(self.tenant, login)}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return self._locked()
        ip = client_ip(request)
        user = services.authenticate(tenant=self.tenant, login=login, password=password)
        if user is None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            services.record_failed_login(tenant=self.tenant, login=login, ip=ip)
            if getattr(request, "axes_locked_out", False):
                # Answered here in the portal's words, not by AxesMiddleware.
                request.axes_locked_out = False  # type: ignore[attr-defined]
                return self._locked()
            return self.show(
                400,
                error=_("The email address, account number or password is wrong."),
                login=login,
                next=following,
            )
        if sign_in_codes.required(user):
            return code_step(
                request, self.tenant, user, key=credentials["username"], ip=ip, following=following
            )
        AxesProxyHandler.reset_attempts(username=credentials["username"], ip_address=ip)
        services.record_login(user=user, ip=ip)
        sign_in(request, user)
        return _home_or_next(request, self.tenant, following)

    def _locked(self) -> HttpResponse:
        return locked_response(self.request, self.tenant)


class CodeView(TenantPage):
    """``/my/<tenant>/login/code/``: the second step of a sign-in, the code
    sent by SMS (``portal.sign_in_codes``). Each wrong code counts in
    django-axes like a wrong password; the ``MAX_TRIES``-th locks the login
    out from this address. ``resend`` (POST) asks for a new code, at most
    once a minute. A session without a pending sign-in goes back to the
    sign-in page."""

    template = "portal/login_code.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.pending = pending_user(request, kwargs["tenant"])
        return super().dispatch(request, *args, **kwargs)

    def _page(self, status: int = 200, **context: Any) -> HttpResponse:
        return self.show(
            status,
            minutes=int(sign_in_codes.LIFETIME.total_seconds() // 60),
            length=sign_in_codes.LENGTH,
            **context,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        if self.pending is None:
            return redirect("portal:login", tenant=self.tenant.slug)
        return self._page()

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self.pending
        if user is None:
            return redirect("portal:login", tenant=self.tenant.slug)
        key = request.session.get(PENDING_LOCKOUT_KEY, "")
        credentials = {"username": key}
        if not AxesProxyHandler.is_allowed(request, credentials):
            sign_out(request)
            return locked_response(request, self.tenant, codes=True)
        if "resend" in request.POST:
            try:
                sign_in_codes.request_code(user=user)
            except sign_in_codes.TooSoon as exc:
                return self._page(429, wait=exc.seconds)
            return self._page(resent=True)
        check = sign_in_codes.check_code(user=user, code=request.POST.get("code", ""))
        ip = client_ip(request)
        if check.result == "expired":
            return self._page(400, expired=True)
        if check.result != "ok":
            services.record_failed_login(tenant=self.tenant, login=user.email, ip=ip)
            if check.result == "locked":
                lock_out(request, key)
                request.axes_locked_out = False  # type: ignore[attr-defined]
                sign_out(request)
                return locked_response(request, self.tenant, codes=True)
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                request.axes_locked_out = False  # type: ignore[attr-defined]
                sign_out(request)
                return locked_response(request, self.tenant, codes=True)
            return self._page(400, wrong=True, left=check.left)
        following = request.session.get(PENDING_NEXT_KEY, "")
        AxesProxyHandler.reset_attempts(username=key, ip_address=ip)
        services.record_login(user=user, ip=ip)
        sign_in(request, user)
        return _home_or_next(request, self.tenant, following)


class LogoutView(TenantPage):
    """``/my/<tenant>/logout/`` (POST): end the session, back to the sign-in page."""

    def post(self, request: HttpRequest) -> HttpResponse:
        sign_out(request)
        return redirect("portal:login", tenant=self.tenant.slug)


class ForgotPasswordView(TenantPage):
    """``/my/<tenant>/password/forgot/``: email a reset link. The answer is the
    same whether the address has a login or not."""

    template = "portal/forgot.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show()

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.request_reset(
                tenant=self.tenant, email=request.POST.get("email"), base_url=_base_url(request)
            )
        except InvalidInput as exc:
            return self.show(400, error=exc.message)
        return self.show(sent=True)


@method_decorator(sensitive_post_parameters("password", "confirm"), name="dispatch")
class SetPasswordView(TenantPage):
    """``/my/<tenant>/welcome/<token>/`` (invitation) and
    ``/my/<tenant>/password/reset/<token>/``: choose a password; then signed
    in, or on to the code page when a sign-in code by SMS is required."""

    template = "portal/set_password.html"
    purpose: tokens.Purpose = "invite"

    def _valid(self, token: str) -> bool:
        user_id = tokens.user_id_of(token)
        user = (
            services.PortalUser.objects.filter(
                tenant=self.tenant, pk=user_id, is_active=True
            ).first()
            if user_id is not None
            else None
        )
        return user is not None and tokens.check_token(user, self.purpose, token)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        if not self._valid(token):
            return self.show(400, invalid=True, purpose=self.purpose)
        return self.show(purpose=self.purpose)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = services.set_password(
                tenant=self.tenant,
                token=token,
                purpose=self.purpose,
                password=request.POST.get("password"),
                confirm=request.POST.get("confirm"),
            )
        except InvalidInput as exc:
            if exc.field == "token":
                return self.show(400, invalid=True, purpose=self.purpose)
            return self.show(400, error=exc.message, field=exc.field, purpose=self.purpose)
        ip = client_ip(request)
        if sign_in_codes.required(user):
            # A link from the mailbox is no way around the phone.
            key = lockout_key(self.tenant, user.email)
            return code_step(request, self.tenant, user, key=key, ip=ip, following="")
        services.record_login(user=user, ip=ip)
        sign_in(request, user)
        return redirect("portal:dashboard", tenant=self.tenant.slug)


class ResetPasswordView(SetPasswordView):
    purpose: tokens.Purpose = "reset"
