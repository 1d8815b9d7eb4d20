"""Helpdesk and field work: tickets with SLA, teams, technicians and field
appointments, outages, email to ticket."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ispstack.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.tickets.models import TicketSettings

        tenant_settings.register(TicketSettings)
