"""Grouping a new fault ticket under the active outage that explains it
(called by ``tickets.services.open_ticket``; the rule is in
``outages.services``)."""

from __future__ import annotations

from ispstack.core import outbox
from ispstack.tickets.choices import TicketType
from ispstack.tickets.models import Ticket

ACK_JOB = "tickets.outage_ticket_ack"

#: Ticket types that report a fault and are grouped under an outage.
GROUPED_TYPES = (
    TicketType.OUTAGE_REPORT,
    TicketType.TECHNICAL_SUPPORT,
    TicketType.SPEED_ISSUE,
    TicketType.EQUIPMENT_ISSUE,
)


def acknowledge(ticket: Ticket) -> None:
    """Queue the email telling the customer their report is grouped under
    an outage already being worked (after commit, through the outbox)."""
    outbox.enqueue(tenant=ticket.tenant_id, kind=ACK_JOB, payload={"ticket_id": ticket.pk})
