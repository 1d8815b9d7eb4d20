"""Tickets, their messages (public replies and internal notes), attachments
and canned responses."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.choices import (
    OPEN_STATES,
    MessageKind,
    Priority,
    TicketSource,
    TicketState,
    TicketType,
)
from ispstack.tickets.models.teams import Team

S = TicketState


class Ticket(TenantScopedModel):
    """A customer's request or fault, numbered per tenant (default
    ``TCK-YYYYMMDD-XXXX``), owned by a team and worked by an assignee.

    SLA fields (aware UTC datetimes; minutes are business minutes of the
    tenant's calendar, see ``tickets.sla``): ``first_response_due_at`` and
    ``sla_due_at`` are when the first public reply and the resolution are due;
    ``sla_warn_at`` when the team lead is warned; all three move later by the
    business time the ticket spends waiting on the customer
    (``sla_paused_minutes``). ``resolution_time_minutes`` is the business time
    from opening to resolution, pauses excluded. ``sla_breached`` is set by the
    periodic scan once ``sla_due_at`` passes on a ticket still being worked;
    ``first_response_breached`` once ``first_response_due_at`` passes with no
    public reply (``first_response_warn_at``/``first_response_warned``: the
    warning before it, at the policy's warn percent of the target).

    ``outage``: the outage this fault report was grouped under (see
    ``tickets.outages``); such a ticket has no SLA due times (the outage is
    what is worked) and is resolved with the outage.
    """

    number = models.CharField(max_length=50, editable=False)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    ticket_type = models.CharField(
        max_length=32, choices=TicketType.choices, default=TicketType.GENERAL_INQUIRY
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = FSMField(max_length=20, choices=TicketState.choices, default=TicketState.NEW)
    source = models.CharField(
        max_length=10, choices=TicketSource.choices, default=TicketSource.CONSOLE
    )

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_email = models.EmailField(
        blank=True, help_text=_("Who asked, when not the customer's own address.")
    )
    service_address = models.CharField(max_length=400, blank=True)
    affected_services = models.JSONField(
        default=list, blank=True, help_text=_('Services hit, e.g. ["internet", "voip"].')
    )
    device_serials = models.JSONField(
        default=list, blank=True, help_text=_("Serial numbers of the devices concerned.")
    )

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text=_("The earlier ticket a reply came to after its reopen window."),
    )

    outage = models.ForeignKey(
        "tickets.Outage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        help_text=_("The outage this report was grouped under."),
    )

    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_warned = models.BooleanField(default=False)
    first_response_breached = models.BooleanField(default=False)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_warned = models.BooleanField(default=False)
    sla_breached = models.BooleanField(default=False)
    sla_paused_minutes = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_time_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="tickets_ticket_number_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="tickets_created_idx"),
            models.Index(fields=["tenant", "customer"], name="tickets_customer_idx"),
            models.Index(fields=["tenant", "team", "state"], name="tickets_team_state_idx"),
            models.Index(fields=["tenant", "assignee", "state"], name="tickets_assignee_state_idx"),
            # The SLA scan reads the few open tickets by due time; resolved
            # and closed tickets (nearly all of them) stay out of the index.
            # sla_breached is in no index, so flagging a breach is a
            # heap-only (HOT) update, in place in the room the table's
            # fillfactor (80, migration 0001) leaves in each page. A ticket is
            # warned once in its life: the warning index holds the unwarned
            # ones only, so the scan does not walk those it warned before.
            models.Index(
                fields=["sla_due_at"],
                name="tickets_open_sla_due_idx",
                condition=models.Q(state__in=["new", "in_progress"]),
            ),
            models.Index(
                fields=["sla_warn_at"],
                name="tickets_open_sla_warn_idx",
                condition=models.Q(state__in=["new", "in_progress"], sla_warned=False),
            ),
            # The first-response scan: open tickets nobody has answered yet
            # and not flagged yet, so the scan does not walk again, every five
            # minutes, those breached before (often most of the open tickets
            # past that due time). Flagging is then not heap-only, once per
            # ticket. The resolution breach stays out of the indexes: its
            # scan reads the open tickets past due, as few as the tickets the
            # helpdesk is late on, and a backlog of them is flagged in place.
            models.Index(
                fields=["first_response_due_at"],
                name="tickets_open_first_due_idx",
                condition=models.Q(
                    state__in=["new", "in_progress"],
                    first_response_at__isnull=True,
                    first_response_breached=False,
                ),
            ),
            models.Index(
                fields=["first_response_warn_at"],
                name="tickets_open_first_warn_idx",
                condition=models.Q(
                    state__in=["new", "in_progress"],
                    first_response_at__isnull=True,
                    first_response_warned=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @transition(field=state, source=[S.NEW, S.WAITING_ON_CUSTOMER], target=S.IN_PROGRESS)
    def start(self) -> None:
        """Work starts, or resumes after the customer answered."""

    @transition(field=state, source=[S.NEW, S.IN_PROGRESS], target=S.WAITING_ON_CUSTOMER)
    def wait(self) -> None:
        """The next step is the customer's; the SLA clock pauses."""

    @transition(
        field=state, source=[S.NEW, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER], target=S.RESOLVED
    )
    def resolve(self) -> None:
        """The fault is fixed or the question answered."""

    @transition(field=state, source=[S.RESOLVED], target=S.CLOSED)
    def close(self) -> None:
        """Nothing more to do; only a follow-up ticket continues it."""

    @transition(field=state, source=[S.RESOLVED, S.CLOSED], target=S.IN_PROGRESS)
    def reopen(self) -> None:
        """The customer says it is not fixed (within the reopen window)."""


def attachment_path(instance: Attachment, filename: str) -> str:
    """Where an attachment is stored under MEDIA_ROOT: per tenant, a random
    name (the original name is kept in the row, never trusted as a path)."""
    return f"tickets/{instance.tenant_id}/{uuid.uuid4().hex}"


class TicketMessage(TenantScopedModel):
    """A public reply or an internal note on a ticket. The author is a staff
    ``author`` or, for a customer's message, ``author_email``."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.REPLY)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind == MessageKind.REPLY

    @property
    def author_label(self) -> str:
        if self.author_id:
            return str(self.author)
        return self.author_email or "customer"


class Attachment(TenantScopedModel):
    """A file on a ticket (optionally on one of its messages), stored under
    MEDIA_ROOT, which is not served: staff download it through the console.
    ``size`` in bytes; ``content_type`` as read from the content."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class CannedResponse(TenantScopedModel):
    """A reply text staff insert instead of typing it again; ``team`` limits
    it to one team's queue (blank: every team)."""

    title = models.CharField(max_length=100)
    body = models.TextField()
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses"
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "title"], name="tickets_canned_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title
