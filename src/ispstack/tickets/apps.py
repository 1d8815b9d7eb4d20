from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ispstack.tickets"
    label = "tickets"
    verbose_name = "Tickets"
