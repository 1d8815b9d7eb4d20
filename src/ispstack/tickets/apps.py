"""Helpdesk and field work: tickets with SLA, teams, technicians and field
appointments, outages, email to ticket."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ispstack.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from ispstack.core import events, tenant_settings
        from ispstack.tickets import jobs  # noqa: F401  (registers outbox handlers)
        from ispstack.tickets.events import TicketMessageAdded
        from ispstack.tickets.mail import (  # noqa: F401  (outbox handler, periodic task)
            outbound,
            tasks,
        )
        from ispstack.tickets.models import TicketSettings
        from ispstack.tickets.outages import jobs as outage_jobs  # noqa: F401  (outbox handlers)

        tenant_settings.register(TicketSettings)
        events.subscribe(TicketMessageAdded, outbound.email_staff_reply, in_transaction=True)
