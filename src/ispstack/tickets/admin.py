"""Back-office screens of the tickets app."""

from ispstack.tickets.field.admin import AppointmentAdmin, TechnicianAdmin

__all__ = ["AppointmentAdmin", "TechnicianAdmin"]
