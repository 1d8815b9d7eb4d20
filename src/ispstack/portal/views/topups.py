"""Buying extra data in the portal: the offers of a capped service with
their price and tax, a confirmation step, and the purchase itself
(``usage.caps.buy_offer``: the volume counts at once, the price goes on the
next invoice)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ispstack.core import display
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.portal.topups import TopUpPage, open_service, topup_page
from ispstack.portal.views.base import PortalView
from ispstack.usage import caps


class TopUpView(PortalView):
    """``/my/<tenant>/services/<id>/topups/``: GET lists the tenant's offers
    for the service (volume, price before tax, tax, total, the allowance
    after buying); ``?offer=<id>`` shows that offer's confirmation. POST
    ``offer`` and ``key`` (the confirmation form's one-time token) buys it
    and returns to this page with the new allowance; the same form sent
    twice buys once. A plan without a data cap, an unknown offer or a bad
    token re-render the page with the error (409 or 400), writing nothing.
    Another customer's service, or a terminated one, answers 404."""

    nav = "dashboard"

    def _page(self, pk: int) -> TopUpPage:
        found = topup_page(self.customer, pk, self.today)
        if found is None:
            raise Http404("No such service.")
        return found

    def _render(
        self,
        found: TopUpPage,
        *,
        chosen: Any = None,
        error: ServiceError | None = None,
    ) -> HttpResponse:
        option = found.option(chosen) if chosen not in (None, "") else None
        if error is None and chosen not in (None, "") and option is None:
            error = InvalidInput("is not a top-up offered for this service", field="offer")
        context = {
            "page": found,
            "service": found.service,
            "sub": found.service.subscription,
            "chosen": option,
            # A fresh token per confirmation form: sent twice, it buys once.
            "key": secrets.token_urlsafe(24) if option is not None else "",
            "error": error,
        }
        status = error.status_code if error is not None else 200
        return self.page("portal/topup.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(self._page(pk), chosen=request.GET.get("offer"))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sub = open_service(self.customer, pk)
        if sub is None:
            raise Http404("No such service.")
        offer = request.POST.get("offer", "")
        key = request.POST.get("key", "")
        if not key:
            error = InvalidInput("is missing: open the offer again and confirm", field="key")
            return self._render(self._page(pk), chosen=offer, error=error)
        try:
            topup, bought = caps.buy_offer(
                subscription=sub,
                offer=offer,
                today=self.today,
                request_key=key,
                actor=f"portal:{self.user.email}",
            )
        except ServiceError as exc:
            # The page is built only to show the error: a purchase needs none of it.
            return self._render(self._page(pk), chosen=offer, error=exc)
        volume = display.data_size(topup.extra_bytes)
        if bought:
            messages.success(
                request,
                _("%(volume)s added to this cycle. The price is on your next invoice.")
                % {"volume": volume},
            )
        else:
            messages.info(request, _("This top-up was bought already; nothing was charged twice."))
        return redirect("portal:topups", tenant=self.tenant.slug, pk=pk)
