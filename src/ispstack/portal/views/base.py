"""The base of every signed-in portal page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from ispstack.core import clock
from ispstack.portal.auth import portal_user
from ispstack.portal.language import portal_language
from ispstack.portal.models import PortalUser


class PortalView(View):
    """A page of the signed-in portal user's account, under ``/my/<tenant>/``.

    Without a portal sign-in for this tenant (none, idle too long, a staff
    session, another tenant's user) the browser goes to the tenant's portal
    sign-in with ``next``. ``self.user``, ``self.customer`` and
    ``self.tenant`` are the signed-in user's; pages read through
    ``portal.selectors`` with ``self.customer`` only, so another customer's
    ids answer 404. Pages are never cached by the browser or a proxy. The
    page is written in the user's language (``portal.language``).
    """

    nav = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        slug = kwargs.pop("tenant")
        user = portal_user(request, slug)
        if user is None:
            login = reverse("portal:login", kwargs={"tenant": slug})
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        self.user: PortalUser = user
        self.customer = user.customer
        self.tenant = user.tenant
        # The portal user's language for this response only (the staff
        # console has no LocaleMiddleware and stays in English).
        with portal_language(request, user.tenant, user.language):
            response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response

    @property
    def today(self) -> Any:
        """The tenant's local date."""
        return clock.today(self.tenant)

    def page(self, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        """Render ``template`` with the account's context added."""
        base = {
            "tenant": self.tenant,
            "customer": self.customer,
            "portal_user": self.user,
            "nav": self.nav,
        }
        return render(self.request, template, {**base, **context}, status=status)
