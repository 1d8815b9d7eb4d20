"""Choice sets of the helpdesk: ticket types, priorities, states, sources."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    """What a ticket is about; each type is owned by a team (``TicketRouting``)."""

    GENERAL_INQUIRY = "general_inquiry", _("General inquiry")
    BILLING_ISSUE = "billing_issue", _("Billing issue")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    INSTALLATION_REQUEST = "installation_request", _("Installation request")
    OUTAGE_REPORT = "outage_report", _("Outage report")
    SERVICE_UPGRADE = "service_upgrade", _("Service upgrade")
    SERVICE_DOWNGRADE = "service_downgrade", _("Service downgrade")
    CANCELLATION_REQUEST = "cancellation_request", _("Cancellation request")
    EQUIPMENT_ISSUE = "equipment_issue", _("Equipment issue")
    SPEED_ISSUE = "speed_issue", _("Speed issue")


#: The types a customer may open themselves (the portal's form): changes
#: of plan have their own page, installations are sold, not asked for.
CUSTOMER_TYPES = (
    TicketType.GENERAL_INQUIRY,
    TicketType.BILLING_ISSUE,
    TicketType.TECHNICAL_SUPPORT,
    TicketType.SPEED_ISSUE,
    TicketType.EQUIPMENT_ISSUE,
    TicketType.OUTAGE_REPORT,
    TicketType.CANCELLATION_REQUEST,
)


class Priority(models.TextChoices):
    """How urgent a ticket is; picks its SLA policy."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# One step up, for escalation on an SLA breach (urgent stays urgent).
PRIORITY_RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


class TicketState(models.TextChoices):
    """Lifecycle: new -> in_progress -> waiting_on_customer -> resolved -> closed."""

    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# States whose SLA clock runs (waiting_on_customer pauses it).
SLA_RUNNING_STATES = (TicketState.NEW, TicketState.IN_PROGRESS)
# States of a ticket still to be worked on (queues, workload).
OPEN_STATES = (TicketState.NEW, TicketState.IN_PROGRESS, TicketState.WAITING_ON_CUSTOMER)


class TicketSource(models.TextChoices):
    """Where a ticket was opened."""

    CONSOLE = "console", _("Console")
    API = "api", _("API")
    PORTAL = "portal", _("Customer portal")
    EMAIL = "email", _("Email")


class MessageKind(models.TextChoices):
    """A public reply (the customer sees it) or an internal note (staff only)."""

    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class AssignmentMode(models.TextChoices):
    """How a team hands out its new tickets."""

    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    MANUAL = "manual", _("Manual")
