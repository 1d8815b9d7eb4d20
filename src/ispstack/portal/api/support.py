"""The portal API's tickets, as the support pages (``portal.views.tickets``):
the customer's tickets, opening one (with a file, multipart), one ticket
with its public replies (internal notes are never read here), and replying.
Writes go through ``portal.services.open_ticket`` and ``reply``, so
numbering, SLA, routing, reopening and follow-ups are the page's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.errors import NotFound
from ispstack.portal import selectors, services
from ispstack.portal.api import serializers as s
from ispstack.portal.api.views import ID_PATTERN, PortalViewMixin, _id
from ispstack.tickets.models import Ticket


class TicketViewSet(PortalViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The customer's tickets, latest updated first (``limit`` / ``offset``
    pages); open one; read one with its public replies; reply to one."""

    queryset = Ticket.objects.none()
    serializer_class = s.PortalTicketSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return selectors.tickets_of(self.customer)

    def _detail(self, pk: Any) -> selectors.TicketDetail:
        detail = selectors.ticket_detail(self.customer, _id(pk))
        if detail is None:
            raise Http404("No such ticket.")
        return detail

    @extend_schema(responses={200: s.PortalTicketDetailSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(s.PortalTicketDetailSerializer(self._detail(pk)).data)

    @extend_schema(
        request=s.PortalNewTicketSerializer, responses={201: s.PortalTicketDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        """Open a ticket; a ``subscription`` that is not one of the
        customer's answers 404, a bad field 400, nothing written."""
        data = self.validated(s.PortalNewTicketSerializer)
        sub_id = data.get("subscription")
        if (
            sub_id is not None
            and not selectors.subscriptions_of(self.customer).filter(pk=sub_id).exists()
        ):
            raise NotFound("is not one of your services", field="subscription")
        ticket = services.open_ticket(
            user=self.portal_user,
            ticket_type=data["ticket_type"],
            subject=data["subject"],
            description=data["description"],
            subscription=sub_id,
            upload=data.get("file"),
        )
        body = s.PortalTicketDetailSerializer(self._detail(ticket.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PortalReplyInputSerializer, responses={201: s.PortalReplySerializer})
    @action(detail=True, methods=["post"])
    def replies(self, request: Request, pk: Any = None) -> Response:
        """Reply to the ticket: a ticket waiting on the customer resumes, a
        resolved one reopens within the ISP's reopen window, else the reply
        opens a follow-up ticket (the answer's ``ticket``)."""
        detail = self._detail(pk)
        data = self.validated(s.PortalReplyInputSerializer)
        message = services.reply(
            user=self.portal_user, ticket=detail.ticket, body=data["body"], upload=data.get("file")
        )
        files = {message.pk: list(message.attachments.order_by("pk"))}
        body = s.PortalReplySerializer(message, context={"files": files}).data
        return Response(body, status=status.HTTP_201_CREATED)
