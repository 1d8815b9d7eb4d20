"""Helpdesk models, one module per concept; import them from here."""

from ispstack.tickets.models.field import (
    Appointment,
    AppointmentKind,
    AppointmentPhoto,
    AppointmentState,
    Skill,
    Technician,
    TimeOff,
)
from ispstack.tickets.models.mail import MailDirection, MailSecurity, SupportMailbox, TicketEmail
from ispstack.tickets.models.outages import (
    Outage,
    OutageCause,
    OutageImpact,
    OutageState,
)
from ispstack.tickets.models.settings import TicketSettings
from ispstack.tickets.models.sla import Holiday, SlaPolicy
from ispstack.tickets.models.teams import Team, TeamMember, TicketRouting
from ispstack.tickets.models.tickets import Attachment, CannedResponse, Ticket, TicketMessage

__all__ = [
    "Appointment",
    "AppointmentKind",
    "AppointmentPhoto",
    "AppointmentState",
    "Attachment",
    "CannedResponse",
    "Holiday",
    "MailDirection",
    "MailSecurity",
    "Outage",
    "OutageCause",
    "OutageImpact",
    "OutageState",
    "SlaPolicy",
    "SupportMailbox",
    "Skill",
    "Team",
    "TeamMember",
    "Technician",
    "Ticket",
    "TicketEmail",
    "TicketMessage",
    "TicketRouting",
    "TicketSettings",
    "TimeOff",
]
