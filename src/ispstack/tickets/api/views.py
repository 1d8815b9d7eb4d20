"""API of the helpdesk: tickets (replies, notes, assignment, state actions,
attachments), teams with their members and ticket types, canned responses
and SLA policies. Every write goes through ``tickets.services``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.core.api.base import TenantViewSet
from ispstack.core.api.parsers import BoundedJSONParser
from ispstack.core.errors import InvalidTransition, NotFound
from ispstack.tickets import services
from ispstack.tickets.api.serializers import (
    AssignInputSerializer,
    AttachmentInputSerializer,
    AttachmentSerializer,
    CannedResponseInputSerializer,
    CannedResponseSerializer,
    MemberInputSerializer,
    MemberRemovalSerializer,
    MessageInputSerializer,
    MessageSerializer,
    RoutingInputSerializer,
    SlaPolicyInputSerializer,
    SlaPolicySerializer,
    TeamInputSerializer,
    TeamSerializer,
    TicketInputSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TransitionInputSerializer,
)
from ispstack.tickets.choices import MessageKind, TicketSource, TicketState
from ispstack.tickets.models import CannedResponse, SlaPolicy, Team, TeamMember, Ticket

_VIEW = ("tickets.view_ticket",)
_WORK = ("tickets.view_ticket", "tickets.change_ticket")


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tickets; filter with ``?state=``, ``priority``, ``team``, ``assignee``,
    ``customer``, ``ticket_type``, ``sla_breached``."""

    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    required_perms = {
        "list": _VIEW,
        "retrieve": _VIEW,
        "create": ("tickets.add_ticket",),
        "partial_update": _WORK,
        "messages": ("tickets.view_ticket", "tickets.view_ticketmessage"),
        "reply": ("tickets.view_ticket", "tickets.add_ticketmessage"),
        "note": ("tickets.view_ticket", "tickets.add_ticketmessage"),
        "assign": _WORK,
        "start": _WORK,
        "wait": _WORK,
        "resolve": _WORK,
        "close": _WORK,
        "reopen": _WORK,
        "attachments": ("tickets.view_ticket", "tickets.add_attachment"),
    }
    filterset_fields = [
        "state",
        "priority",
        "team",
        "assignee",
        "customer",
        "ticket_type",
        "sla_breached",
        "first_response_breached",
        "outage",
    ]
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Ticket]:
        return super().get_queryset().order_by("-created_at", "-id")

    @extend_schema(request=TicketInputSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        ticket = services.open_ticket(
            tenant=self.tenant,
            source=TicketSource.API,
            actor=request.user,
            **self.validated(TicketInputSerializer),
        )
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        ticket = services.update_ticket(
            ticket=self.get_object(),
            actor=request.user,
            **self.validated(TicketUpdateSerializer, partial=True),
        )
        return Response(TicketSerializer(ticket).data)

    @extend_schema(request=None, responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def messages(self, request: Request, pk: Any = None) -> Response:
        """The ticket's replies and notes, oldest first."""
        rows = self.get_object().messages.select_related("author")
        return Response(MessageSerializer(rows, many=True).data)

    def _message(self, kind: str) -> Response:
        message = services.add_message(
            ticket=self.get_object(),
            kind=kind,
            actor=self.request.user,
            **self.validated(MessageInputSerializer),
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MessageInputSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None) -> Response:
        """A public reply to the customer (the first one is the first response)."""
        return self._message(MessageKind.REPLY)

    @extend_schema(request=MessageInputSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: Any = None) -> Response:
        """An internal note, never shown to the customer."""
        return self._message(MessageKind.NOTE)

    @extend_schema(request=AssignInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """Hand the ticket to a team and/or a member (null clears)."""
        ticket = services.assign(
            ticket=self.get_object(), actor=request.user, **self.validated(AssignInputSerializer)
        )
        return Response(TicketSerializer(ticket).data)

    def _move(self, state: str) -> Response:
        ticket = services.change_state(
            ticket=self.get_object(),
            state=state,
            actor=self.request.user,
            **self.validated(TransitionInputSerializer),
        )
        return Response(TicketSerializer(ticket).data)

    @extend_schema(request=TransitionInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: Any = None) -> Response:
        """new or waiting on customer -> in progress."""
        return self._move(TicketState.IN_PROGRESS)

    @extend_schema(request=TransitionInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def wait(self, request: Request, pk: Any = None) -> Response:
        """-> waiting on customer (the SLA clock pauses)."""
        return self._move(TicketState.WAITING_ON_CUSTOMER)

    @extend_schema(request=TransitionInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        """-> resolved (stores the resolution time)."""
        return self._move(TicketState.RESOLVED)

    @extend_schema(request=TransitionInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """resolved -> closed."""
        return self._move(TicketState.CLOSED)

    @extend_schema(request=TransitionInputSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: Any = None) -> Response:
        """resolved or closed -> in progress, within the tenant's reopen window (409 after)."""
        if self.get_object().state not in (TicketState.RESOLVED, TicketState.CLOSED):
            raise InvalidTransition("only a resolved or closed ticket reopens", field="state")
        return self._move(TicketState.IN_PROGRESS)

    @extend_schema(request=AttachmentInputSerializer, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["post"])
    def attachments(self, request: Request, pk: Any = None) -> Response:
        """Upload a file (multipart ``file``); 400 naming ``file`` when it is
        larger than the tenant allows or of a type it does not accept."""
        ticket = self.get_object()  # another tenant's ticket: 404 before the body is read
        params = self.validated(AttachmentInputSerializer)
        attachment = services.add_attachment(
            ticket=ticket, upload=params["file"], actor=request.user
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Teams with their members; ``members`` adds or updates one, ``route``
    makes the team own a ticket type."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    required_perms = {
        "list": ("tickets.view_team",),
        "retrieve": ("tickets.view_team",),
        "create": ("tickets.add_team",),
        "partial_update": ("tickets.change_team",),
        "members": ("tickets.change_team", "tickets.add_teammember"),
        "remove_member": ("tickets.change_team", "tickets.delete_teammember"),
        "route": ("tickets.change_team", "tickets.add_ticketrouting"),
    }
    filterset_fields = ["name"]

    def get_queryset(self) -> QuerySet[Team]:
        return super().get_queryset().prefetch_related("members").order_by("name")

    @extend_schema(request=TeamInputSerializer, responses={201: TeamSerializer})
    def create(self, request: Request) -> Response:
        team = services.create_team(
            tenant=self.tenant, actor=request.user, **self.validated(TeamInputSerializer)
        )
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamInputSerializer, responses=TeamSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        team = services.update_team(
            team=self.get_object(),
            actor=request.user,
            **self.validated(TeamInputSerializer, partial=True),
        )
        return Response(TeamSerializer(team).data)

    @extend_schema(request=MemberInputSerializer, responses=TeamSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: Any = None) -> Response:
        """Add a staff user to the team, or update their skills and active flag."""
        team = self.get_object()
        services.add_member(team=team, actor=request.user, **self.validated(MemberInputSerializer))
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(request=MemberRemovalSerializer, responses=TeamSerializer)
    @action(detail=True, methods=["post"], url_path="remove-member")
    def remove_member(self, request: Request, pk: Any = None) -> Response:
        """Take a user out of the team (their tickets stay assigned)."""
        team = self.get_object()
        user = self.validated(MemberRemovalSerializer)["user"]
        member = TeamMember.objects.filter(team=team, user=user).first()
        if member is None:
            raise NotFound("is not a member of this team", field="user")
        services.remove_member(member=member, actor=request.user)
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(request=RoutingInputSerializer, responses=TeamSerializer)
    @action(detail=True, methods=["post"])
    def route(self, request: Request, pk: Any = None) -> Response:
        """New tickets of this type go to this team."""
        team = self.get_object()
        services.route_type(
            tenant=self.tenant,
            team=team,
            actor=request.user,
            **self.validated(RoutingInputSerializer),
        )
        return Response(TeamSerializer(team).data)


class CannedResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Reply texts staff insert; ``?team=`` for one team's."""

    queryset = CannedResponse.objects.all()
    serializer_class = CannedResponseSerializer
    required_perms = {
        "list": ("tickets.view_cannedresponse",),
        "retrieve": ("tickets.view_cannedresponse",),
        "create": ("tickets.add_cannedresponse",),
        "partial_update": ("tickets.change_cannedresponse",),
        "destroy": ("tickets.delete_cannedresponse",),
    }
    filterset_fields = ["team"]

    @extend_schema(request=CannedResponseInputSerializer, responses={201: CannedResponseSerializer})
    def create(self, request: Request) -> Response:
        row = services.save_canned_response(
            tenant=self.tenant, actor=request.user, **self.validated(CannedResponseInputSerializer)
        )
        return Response(CannedResponseSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CannedResponseInputSerializer, responses=CannedResponseSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        row = services.save_canned_response(
            tenant=self.tenant,
            response=self.get_object(),
            actor=request.user,
            **self.validated(CannedResponseInputSerializer, partial=True),
        )
        return Response(CannedResponseSerializer(row).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.delete_canned_response(response=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlaPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """SLA targets per priority in business minutes; POST sets a priority's
    targets (creating or replacing its policy). Priorities without a policy
    use the product defaults."""

    queryset = SlaPolicy.objects.all()
    serializer_class = SlaPolicySerializer
    required_perms = {
        "list": ("tickets.view_slapolicy",),
        "retrieve": ("tickets.view_slapolicy",),
        "create": ("tickets.add_slapolicy", "tickets.change_slapolicy"),
    }
    filterset_fields = ["priority"]

    @extend_schema(request=SlaPolicyInputSerializer, responses={201: SlaPolicySerializer})
    def create(self, request: Request) -> Response:
        policy = services.set_sla_policy(
            tenant=self.tenant, actor=request.user, **self.validated(SlaPolicyInputSerializer)
        )
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)
