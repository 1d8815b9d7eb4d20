"""The helpdesk (menu "Helpdesk"): queues per team with the SLA countdown,
"my tickets", the ticket page with the customer's context, replies, notes,
state and assignment actions, attachments, and the new-ticket form.

Reading needs ``tickets.view_ticket`` (support, noc, billing, admin);
replying and attaching ``tickets.add_ticketmessage`` /
``tickets.add_attachment``; moving and assigning ``tickets.change_ticket``
(support, noc, admin), as the API's ``TicketViewSet`` (``core.roles``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.core import clock
from ispstack.core.errors import ServiceError
from ispstack.core.models import User
from ispstack.customers.models import Customer
from ispstack.payments.selectors import balance
from ispstack.subscriptions.models import Subscription
from ispstack.tickets import selectors, services
from ispstack.tickets.choices import MessageKind, Priority, TicketSource, TicketState, TicketType
from ispstack.tickets.models import Attachment, CannedResponse, Team, TeamMember, Ticket
from ispstack.tickets.outages import selectors as outage_selectors

QUEUE_SIZE = 100
# Open outages named in the queue's banner.
OUTAGES_SHOWN = 5
VIEW = ("tickets.view_ticket",)
WORK = ("tickets.view_ticket", "tickets.change_ticket")


class MessageForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea, max_length=10_000)
    kind = forms.ChoiceField(choices=MessageKind.choices, widget=forms.HiddenInput)


class StateForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("Move to"), choices=TicketState.choices)


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(Team.objects.none(), required=False, label=gettext_lazy("Team"))
    assignee = forms.ModelChoiceField(
        User.objects.none(), required=False, label=gettext_lazy("Assignee")
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))


class NewTicketForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    customer = forms.CharField(
        label=gettext_lazy("Customer account number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Blank: a ticket without a customer."),
    )
    ticket_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=TicketType.choices)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea, required=False, max_length=10_000
    )
    device_serials = forms.CharField(
        label=gettext_lazy("Device serial numbers"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Separated by commas."),
    )


def _countdowns(tickets: list[Ticket], tenant: Any) -> None:
    """Set ``sla_left`` (business minutes, negative when overdue, None when
    the clock is stopped) on each ticket of one tenant."""
    if not tickets:
        return
    calendar = selectors.calendar_for(tenant)
    now = clock.now()
    for ticket in tickets:
        left = selectors.sla_minutes_left(ticket, calendar, now)
        ticket.sla_left = left  # type: ignore[attr-defined]
        ticket.sla_left_seconds = abs(left or 0) * 60  # type: ignore[attr-defined]


class QueueView(StaffView):
    """``/staff/helpdesk/?team=<id>``: a team's open tickets (all open ones
    without a team), the most urgent first, with the time left to their
    resolution target in business hours."""

    required_perms = VIEW
    mine = False

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        teams = list(self.scoped(Team.objects.all()).order_by("name"))
        team = None
        if not self.mine:
            wanted = request.GET.get("team", "")
            team = next((t for t in teams if str(t.pk) == wanted), None)
        rows = selectors.queue(tenant, team=team, assignee=request.user if self.mine else None)
        tickets = list(rows[:QUEUE_SIZE])
        _countdowns(tickets, tenant)
        title = _("My tickets") if self.mine else (team.name if team else _("All open tickets"))
        outages = []
        if request.user.has_perm("tickets.view_outage"):
            outages = list(outage_selectors.open_outages(tenant)[:OUTAGES_SHOWN])
        return render(
            request,
            "console/helpdesk/queue.html",
            {
                "title": title,
                "teams": teams,
                "team": team,
                "tickets": tickets,
                "mine": self.mine,
                "outages": outages,
            },
        )


class MyTicketsView(QueueView):
    """``/staff/helpdesk/mine/``: the open tickets assigned to the user."""

    mine = True


class TicketView(StaffView):
    """``/staff/helpdesk/tickets/<id>/``: the ticket, its messages and
    attachments, the customer's account, balance and online state, and the
    forms that act on it (each POST goes to ``TicketActionView``)."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get_scoped(
            Ticket.objects.select_related(
                "customer",
                "subscription",
                "team",
                "assignee",
                "tenant",
                "outage__site",
                "outage__sector__site",
                "outage__nas",
                "outage__device",
            ),
            pk=pk,
        )
        user: Any = request.user
        _countdowns([ticket], ticket.tenant)
        context: dict[str, Any] = {
            "title": f"{ticket.number} {ticket.subject}",
            "ticket": ticket,
            "messages_list": list(ticket.messages.select_related("author")),
            "attachments": list(ticket.attachments.all()),
            "state_form": StateForm(initial={"state": ticket.state}),
            "assign_form": _assign_form(ticket),
            "attachment_form": AttachmentForm(),
            "outages": [ticket.outage] if ticket.outage else [],
            # Every team's responses and the ticket's team's (`team__in` would
            # drop the None).
            "canned": list(
                self.scoped(CannedResponse.objects.all()).filter(
                    Q(team=None) | Q(team=ticket.team_id)
                )
            ),
        }
        customer = ticket.customer
        if customer is not None and user.has_perm("customers.view_customer"):
            context["customer"] = customer
            if user.has_perm("payments.view_payment") and user.has_perm("billing.view_invoice"):
                context["balance"] = balance(customer)
            if user.has_perm("subscriptions.view_subscription"):
                from ispstack.console.selectors import customer as panels

                subs = list(Subscription.objects.filter(customer=customer))
                context["online"] = panels.online_session([s.username for s in subs])
                context["sees_online"] = True
        return render(request, "console/helpdesk/ticket.html", context)


def _assign_form(ticket: Ticket, data: Any = None) -> AssignForm:
    form = AssignForm(
        data, initial={"team": ticket.team_id, "assignee": ticket.assignee_id}, prefix="assign"
    )
    form.fields["team"].queryset = Team.objects.filter(tenant=ticket.tenant_id)  # type: ignore[attr-defined]
    members = TeamMember.objects.filter(tenant=ticket.tenant_id, active=True).values("user")
    form.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
        tenant=ticket.tenant_id, is_active=True, pk__in=members
    )
    return form


class TicketActionView(StaffView):
    """``POST /staff/helpdesk/tickets/<id>/<action>/``: reply, note, state,
    assign or attach, through ``tickets.services``; back to the ticket with
    the outcome as a message."""

    required_perms = VIEW
    PERMS = {
        "reply": ("tickets.add_ticketmessage",),
        "note": ("tickets.add_ticketmessage",),
        "state": ("tickets.change_ticket",),
        "assign": ("tickets.change_ticket",),
        "attach": ("tickets.add_attachment",),
    }

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        ticket = self.get_scoped(Ticket.objects.select_related("tenant"), pk=pk)
        self.require_tenant()
        if action not in self.PERMS:
            return redirect("console:ticket", pk=ticket.pk)
        if not request.user.has_perms(self.PERMS[action]):
            raise PermissionDenied
        try:
            done = self.act(request, ticket, action)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            if done:
                messages.success(request, done)
        return redirect("console:ticket", pk=ticket.pk)

    def act(self, request: HttpRequest, ticket: Ticket, action: str) -> str:
        if action in ("reply", "note"):
            form: forms.Form = MessageForm(request.POST)
            if not form.is_valid():
                return self.invalid(request, form)
            services.add_message(
                ticket=ticket,
                body=form.cleaned_data["body"],
                kind=MessageKind.REPLY if action == "reply" else MessageKind.NOTE,
                actor=request.user,
            )
            return _("Reply sent.") if action == "reply" else _("Note added.")
        if action == "state":
            form = StateForm(request.POST)
            if not form.is_valid():
                return self.invalid(request, form)
            services.change_state(
                ticket=ticket, state=form.cleaned_data["state"], actor=request.user
            )
            return _("Ticket moved.")
        if action == "assign":
            form = _assign_form(ticket, request.POST)
            if not form.is_valid():
                return self.invalid(request, form)
            services.assign(
                ticket=ticket,
                team=form.cleaned_data["team"],
                assignee=form.cleaned_data["assignee"],
                actor=request.user,
            )
            return _("Ticket assigned.")
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.invalid(request, form)
        services.add_attachment(ticket=ticket, upload=form.cleaned_data["file"], actor=request.user)
        return _("File attached.")

    def invalid(self, request: HttpRequest, form: forms.Form) -> str:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return ""


class AttachmentView(StaffView):
    """``/staff/helpdesk/attachments/<id>/``: download an attachment (MEDIA
    is not served; this view checks the user's tenant)."""

    required_perms = VIEW

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        attachment = self.get_scoped(Attachment.objects.all(), pk=pk)
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )


class NewTicketView(StaffView):
    """``/staff/helpdesk/new/``: open a ticket for a customer (by account
    number; ``?customer=<id>`` fills it in) or none."""

    required_perms = ("tickets.view_ticket", "tickets.add_ticket")

    def get(self, request: HttpRequest) -> HttpResponse:
        self.require_tenant()
        initial = {}
        wanted = request.GET.get("customer", "")
        if wanted.isdigit():
            customer = self.scoped(Customer.objects.all()).filter(pk=int(wanted)).first()
            if customer is not None:
                initial["customer"] = customer.account_number
        return self.page(request, NewTicketForm(initial=initial))

    def page(self, request: HttpRequest, form: NewTicketForm) -> HttpResponse:
        return render(
            request, "console/helpdesk/new.html", {"title": _("New ticket"), "form": form}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        form = NewTicketForm(request.POST)
        if not form.is_valid():
            return self.page(request, form)
        data = form.cleaned_data
        customer = None
        if data["customer"]:
            customer = (
                self.scoped(Customer.objects.all())
                .filter(account_number=data["customer"].strip())
                .first()
            )
            if customer is None:
                form.add_error("customer", _("No customer has this account number."))
                return self.page(request, form)
        serials = [s.strip() for s in data["device_serials"].split(",") if s.strip()]
        try:
            ticket = services.open_ticket(
                tenant=tenant,
                subject=data["subject"],
                ticket_type=data["ticket_type"],
                priority=data["priority"],
                description=data["description"],
                customer=customer,
                device_serials=serials,
                source=TicketSource.CONSOLE,
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.page(request, form)
        messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
        return redirect(reverse("console:ticket", args=[ticket.pk]))
