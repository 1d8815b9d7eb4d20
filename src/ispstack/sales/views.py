"""The public quote page: ``/quote/<token>/``, no login. The customer reads
the quote and accepts it (typing their full name) or declines it (with a
reason), in the customer's language (a lead's or a prospect's: the
tenant's). The token (256 random bits) is the only key; an unknown or
malformed one is a plain 404, and one client address may try at most the
``quote_link`` rate of ``API_THROTTLE_RATES`` (429 beyond), so guessing
links is slow as well as hopeless."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ispstack.core import clock
from ispstack.core.access import client_ip
from ispstack.core.api.bearer import SettingsRateThrottle
from ispstack.core.errors import NotFound, ServiceError
from ispstack.core.money import quantum
from ispstack.notifications.language import in_language_of, in_tenant_language
from ispstack.sales import acceptance, selectors
from ispstack.sales.models import Quote, QuoteStatus


class QuoteLinkThrottle(SettingsRateThrottle):
    """Requests to quote links per client address (the ``quote_link`` rate)."""

    scope = "quote_link"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


@method_decorator([never_cache, csrf_protect], name="dispatch")
class PublicQuoteView(View):
    """``GET`` shows the quote; ``POST action=accept`` (``name``) or
    ``action=decline`` (``reason``) answers it; a refused answer shows the
    page again with the error at its field (400) or the rule (409)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        throttle = QuoteLinkThrottle()
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            response = HttpResponse("Too many requests; try again in a minute.", status=429)
            response["Retry-After"] = str(int(throttle.wait() or 60))
            return response
        return super().dispatch(request, *args, **kwargs)

    def _quote(self, token: str) -> Quote:
        if len(token) > 64:
            raise Http404("no such quote")
        quote = (
            Quote.objects.select_related("tenant", "customer", "lead").filter(token=token).first()
        )
        if quote is None:
            raise Http404("no such quote")
        return quote

    def _page(
        self, request: HttpRequest, quote: Quote, errors: dict[str, str] | None = None, **extra: Any
    ) -> HttpResponse:
        errors = errors or {}
        status = 200
        if errors:
            status = 400 if {"name", "reason", "action"} & set(errors) else 409
        with _language(quote):
            return self._render(request, quote, errors, status, extra)

    def _render(
        self,
        request: HttpRequest,
        quote: Quote,
        errors: dict[str, str],
        status: int,
        extra: dict[str, Any],
    ) -> HttpResponse:
        q = quantum(quote.currency)
        return render(
            request,
            "sales/public_quote.html",
            {
                "quote": quote,
                "tenant": quote.tenant,
                "lines": selectors.lines_of(quote),
                "totals": {
                    "recurring": quote.recurring_total.quantize(q),
                    "one_time": quote.one_time_total.quantize(q),
                    "tax_total": quote.tax_total.quantize(q),
                    "total": quote.total.quantize(q),
                },
                "open": quote.status == QuoteStatus.SENT,
                "errors": errors,
                **extra,
            },
            status=status,
        )

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return self._page(request, self._quote(token))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        quote = self._quote(token)
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                quote = acceptance.accept_quote(
                    token=token, name=request.POST.get("name", ""), ip=client_ip(request) or None
                )
            elif action == "decline":
                quote = acceptance.decline_quote(token=token, reason=request.POST.get("reason", ""))
            else:
                with _language(quote):
                    return self._page(request, quote, {"action": _("Choose accept or decline.")})
        except NotFound:
            raise Http404("no such quote") from None
        except ServiceError as exc:
            typed = request.POST.get("name" if exc.field == "name" else "reason", "")
            # As the refusing service found it (answered meanwhile, say).
            quote.refresh_from_db()
            with _language(quote):
                field, message = refusal(exc, quote, typed)
            return self._page(
                request,
                quote,
                {field: message},
                name=request.POST.get("name", "")[:200],
                reason=request.POST.get("reason", "")[:2000],
            )
        return self._page(request, quote)


def _language(quote: Quote) -> AbstractContextManager[object]:
    """The page's language: the customer's; a lead's or a prospect's is the tenant's."""
    if quote.customer_id:
        return in_language_of(quote.customer_id)
    return in_tenant_language(quote.tenant_id)


def refusal(exc: ServiceError, quote: Quote, typed: str) -> tuple[str, str]:
    """Where the page shows a refused answer and what it says, in the active
    language: the service's own message is the staff's (English, naming the
    rule for the API), so the customer reads the same rule in their words.
    ``typed``: what the customer typed in the refused field. Returns
    ``(field, message)``: ``name`` and ``reason`` at their box, anything
    else (a quote past its date, answered already, replaced, a lead
    converted meanwhile) as the quote's ``status``."""
    if exc.field in ("name", "reason"):
        limit = 200 if exc.field == "name" else 2000
        if not typed.strip():
            if exc.field == "name":
                return "name", _("Type your full name to accept the quote.")
            return "reason", _("Tell us why you decline the quote.")
        if len(typed.strip()) > limit:
            return exc.field, _("At most %(count)s characters.") % {"count": limit}
        return exc.field, _("Type it again without control characters.")
    if exc.field == "lines":
        return "status", _(
            "Our prices have changed since this quote was sent; please ask us for a revised quote."
        )
    status = str(quote.status)
    if status == QuoteStatus.SENT and quote.valid_until < clock.today(quote.tenant):
        status = QuoteStatus.EXPIRED
    messages: dict[str, str] = {
        QuoteStatus.DRAFT: _("This quote has not been sent."),
        QuoteStatus.ACCEPTED: _("This quote is accepted already."),
        QuoteStatus.DECLINED: _("This quote was declined and can no longer be accepted."),
        QuoteStatus.EXPIRED: _("This quote expired on %(day)s and can no longer be accepted.")
        % {"day": f"{quote.valid_until:%Y-%m-%d}"},
        QuoteStatus.REVISED: _("A newer version of this quote replaces it."),
    }
    return "status", messages.get(
        status, _("This quote can't be answered online just now; please contact us.")
    )
