"""The signed-in portal's support pages: the customer's tickets, a new
ticket, and one ticket with its public replies and the reply form."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from ispstack.core import paging
from ispstack.core.errors import InvalidInput
from ispstack.portal import selectors, services
from ispstack.portal.views.base import PortalView
from ispstack.subscriptions.models import SubscriptionStatus
from ispstack.tickets.choices import CUSTOMER_TYPES, TicketState


def _errors(exc: InvalidInput) -> dict[str, str]:
    """A service error as the form shows it: the message under its field
    (``form`` when it names none)."""
    return {exc.field or "form": exc.message}


class TicketsView(PortalView):
    """``/my/<tenant>/tickets/``: the customer's tickets (paged), latest updated first."""

    nav = "tickets"

    def get(self, request: HttpRequest) -> HttpResponse:
        number = paging.page_number(request.GET.get("page"))
        rows = paging.page_of(selectors.tickets_of(self.customer), number, selectors.PAGE_SIZE)
        return self.page("portal/tickets.html", {"tickets": rows})


class NewTicketView(PortalView):
    """``/my/<tenant>/tickets/new/``: the form to open a ticket (topic,
    subject, description, a service, one attachment); a bad field answers
    400 with the form, its values and the error under the field."""

    nav = "tickets"

    def _form(self, status: int = 200, **context: Any) -> HttpResponse:
        services_ = [
            s
            for s in selectors.subscriptions_of(self.customer).order_by("pk")
            if s.status != SubscriptionStatus.TERMINATED
        ]
        return self.page(
            "portal/ticket_new.html",
            {
                "types": [(t.value, t.label) for t in CUSTOMER_TYPES],
                "subscriptions": services_,
                "values": {},
                "errors": {},
                **context,
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._form(values={"subscription": request.GET.get("service", "")})

    def post(self, request: HttpRequest) -> HttpResponse:
        values = {
            key: request.POST.get(key, "")
            for key in ("ticket_type", "subject", "description", "subscription")
        }
        try:
            ticket = services.open_ticket(
                user=self.user, upload=request.FILES.get("file"), **values
            )
        except InvalidInput as exc:
            return self._form(400, values=values, errors=_errors(exc))
        return redirect("portal:ticket", tenant=self.tenant.slug, pk=ticket.pk)


class TicketView(PortalView):
    """``/my/<tenant>/tickets/<id>/``: one of the customer's tickets with its
    public replies (internal notes are never shown) and the reply form;
    another customer's id answers 404."""

    nav = "tickets"

    def _detail(self, pk: int) -> selectors.TicketDetail:
        detail = selectors.ticket_detail(self.customer, pk)
        if detail is None:
            raise Http404("No such ticket.")
        return detail

    def _show(
        self, detail: selectors.TicketDetail, status: int = 200, **context: Any
    ) -> HttpResponse:
        ticket = detail.ticket
        return self.page(
            "portal/ticket.html",
            {
                "detail": detail,
                "ticket": ticket,
                "resolved": ticket.state in (TicketState.RESOLVED, TicketState.CLOSED),
                "values": {},
                "errors": {},
                **context,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._show(self._detail(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        detail = self._detail(pk)
        body = request.POST.get("body", "")
        try:
            message = services.reply(
                user=self.user,
                ticket=detail.ticket,
                body=body,
                upload=request.FILES.get("file"),
            )
        except InvalidInput as exc:
            return self._show(detail, 400, values={"body": body}, errors=_errors(exc))
        return redirect("portal:ticket", tenant=self.tenant.slug, pk=message.ticket_id)
