"""The captive portal's public pages, per tenant, no login:

- ``/hotspot/<tenant>/login/``: the external login page of a MikroTik
  hotspot (``captive.routeros`` for its parameters): a voucher code, or
  "sign in with email or phone";
- ``/hotspot/<tenant>/register/``: email or phone and the terms; sends a code;
- ``/hotspot/<tenant>/verify/``: the code; when right, the guest's RADIUS
  credentials are posted to the router's ``link-login-only``;
- ``/hotspot/<tenant>/terms/``: the terms of use.

The router's parameters are checked when the login page opens and kept in
the session, so the later pages post to the same router. Forms carry
Django's CSRF token; one client address may make at most the
``captive_portal`` rate of ``API_THROTTLE_RATES`` requests (429 beyond).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ispstack.core.access import client_ip
from ispstack.core.api.bearer import SettingsRateThrottle
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.core.models import Tenant
from ispstack.hotspot.captive import routeros, services
from ispstack.hotspot.captive.routeros import LoginParams
from ispstack.hotspot.models import CaptiveUser, CaptiveUserStatus
from ispstack.notifications.one_time_codes import TooSoon

SESSION_PARAMS = "hotspot_router"
SESSION_GUEST = "hotspot_guest"
MAX_VOUCHER = 64


class CaptiveThrottle(SettingsRateThrottle):
    """Requests to the captive pages per client address (the ``captive_portal`` rate)."""

    scope = "captive_portal"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


@method_decorator([never_cache, csrf_protect], name="dispatch")
class CaptiveView(View):
    """Base of the pages: the tenant from the URL (404 when unknown), the
    rate limit, and the page's context (tenant, policy, router parameters)."""

    template = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        throttle = CaptiveThrottle()
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            response = HttpResponse("Too many requests; try again in a minute.", status=429)
            response["Retry-After"] = str(int(throttle.wait() or 60))
            return response
        slug = str(kwargs.pop("tenant", ""))
        tenant = Tenant.objects.filter(slug=slug).first() if len(slug) <= 50 else None
        if tenant is None:
            raise Http404("no such hotspot")
        self.tenant: Tenant = tenant
        self.policy = services.policy_for(self.tenant)
        return super().dispatch(request, *args, **kwargs)

    def router(self, request: HttpRequest) -> LoginParams | None:
        """The router's parameters kept for this tenant, or None."""
        kept = request.session.get(SESSION_PARAMS, {})
        return routeros.from_session(kept.get(self.tenant.slug) if isinstance(kept, dict) else None)

    def page(self, request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
        return render(
            request,
            self.template,
            {
                "tenant": self.tenant,
                "policy": self.policy,
                "router": self.router(request),
                **context,
            },
            status=status,
        )

    def hand_off(
        self, request: HttpRequest, params: LoginParams, username: str, password: str
    ) -> HttpResponse:
        """The page that posts the credentials to the router (a script submits
        it; a button does without JavaScript). The CSP's form-action admits
        the router's origin for this response only."""
        response = render(
            request,
            "hotspot/captive/hand_off.html",
            {
                "tenant": self.tenant,
                "action": params.link_login_only,
                "fields": routeros.router_form(params, username, password),
            },
        )
        response._csp_update = {"form-action": [params.origin]}  # type: ignore[attr-defined]
        return response


class LoginView(CaptiveView):
    """``GET`` with the router's parameters shows the choices; ``POST
    action=voucher`` (``code``) hands the voucher to the router."""

    template = "hotspot/captive/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            params = routeros.read_params(request.GET)
        except InvalidInput as exc:
            return self.page(request, status=400, fatal=exc.message, field=exc.field)
        kept = request.session.get(SESSION_PARAMS)
        kept = kept if isinstance(kept, dict) else {}
        kept[self.tenant.slug] = params.as_dict()
        request.session[SESSION_PARAMS] = kept
        return self.page(request, params=params)

    def post(self, request: HttpRequest) -> HttpResponse:
        params = self.router(request)
        if params is None:
            return self.page(
                request, status=400, fatal="Open this page from the hotspot's network."
            )
        code = "".join(str(request.POST.get("code", "")).split())
        if not code or len(code) > MAX_VOUCHER or not code.isprintable():
            return self.page(
                request,
                status=400,
                params=params,
                errors={"code": "Type the code of your voucher."},
            )
        # A voucher's code is its RADIUS username and password alike.
        return self.hand_off(request, params, code, code)


class RegisterView(CaptiveView):
    """Email or phone plus the terms; sends a code and opens the code page."""

    template = "hotspot/captive/register.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        identifier = str(request.POST.get("identifier", ""))[:254]
        try:
            user = services.start_sign_in(
                tenant=self.tenant,
                identifier=identifier,
                accept_terms=request.POST.get("terms") == "yes",
                ip=client_ip(request) or None,
            )
        except TooSoon as exc:
            return self.page(
                request,
                status=429,
                identifier=identifier,
                errors={"identifier": f"A code was sent just now; try in {exc.seconds} s."},
            )
        except ServiceError as exc:
            field = exc.field if exc.field in ("identifier", "terms") else "identifier"
            return self.page(
                request, status=exc.status_code, identifier=identifier, errors={field: exc.message}
            )
        request.session[SESSION_GUEST] = {"tenant": self.tenant.slug, "id": user.pk}
        return redirect("hotspot-captive-verify", tenant=self.tenant.slug)


class VerifyView(CaptiveView):
    """The code sent by email or SMS; the right one logs the guest in."""

    template = "hotspot/captive/verify.html"

    def _guest(self, request: HttpRequest) -> CaptiveUser | None:
        kept = request.session.get(SESSION_GUEST)
        if not isinstance(kept, dict) or kept.get("tenant") != self.tenant.slug:
            return None
        guest_id = kept.get("id")
        if not isinstance(guest_id, int):
            return None
        return CaptiveUser.objects.for_tenant(self.tenant).filter(pk=guest_id).first()

    def get(self, request: HttpRequest) -> HttpResponse:
        guest = self._guest(request)
        if guest is None:
            return redirect("hotspot-captive-register", tenant=self.tenant.slug)
        return self.page(request, guest=guest)

    def post(self, request: HttpRequest) -> HttpResponse:
        guest = self._guest(request)
        if guest is None:
            return redirect("hotspot-captive-register", tenant=self.tenant.slug)
        check = services.verify_code(user=guest, code=str(request.POST.get("code", ""))[:32])
        if check.result == "wrong":
            error = f"That code is not right; {check.left} tries left."
            return self.page(request, status=400, guest=guest, errors={"code": error})
        if check.result != "ok":
            error = "The code has expired or was used up; ask for a new one."
            return self.page(request, status=400, guest=guest, errors={"code": error}, expired=True)
        guest.refresh_from_db()
        request.session.pop(SESSION_GUEST, None)
        params = self.router(request)
        if params is None or guest.status != CaptiveUserStatus.ACTIVE:
            return self.page(request, guest=guest, done=True)
        return self.hand_off(request, params, guest.username, guest.password)


class TermsView(CaptiveView):
    """The tenant's terms of use and their version."""

    template = "hotspot/captive/terms.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)
