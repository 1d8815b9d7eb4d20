"""Helpdesk models, one module per concept; import them from here."""

from ispstack.tickets.models.mail import MailDirection, MailSecurity, SupportMailbox, TicketEmail
from ispstack.tickets.models.settings import TicketSettings
from ispstack.tickets.models.sla import Holiday, SlaPolicy
from ispstack.tickets.models.teams import Team, TeamMember, TicketRouting
from ispstack.tickets.models.tickets import Attachment, CannedResponse, Ticket, TicketMessage

__all__ = [
    "Attachment",
    "CannedResponse",
    "Holiday",
    "MailDirection",
    "MailSecurity",
    "SlaPolicy",
    "SupportMailbox",
    "Team",
    "TeamMember",
    "Ticket",
    "TicketEmail",
    "TicketMessage",
    "TicketRouting",
    "TicketSettings",
]
