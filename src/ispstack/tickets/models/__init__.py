"""Models of the tickets app, one module per area."""

from ispstack.tickets.models.field import (
    Appointment,
    AppointmentKind,
    AppointmentPhoto,
    AppointmentState,
    Skill,
    Technician,
    TimeOff,
)

__all__ = [
    "Appointment",
    "AppointmentKind",
    "AppointmentPhoto",
    "AppointmentState",
    "Skill",
    "Technician",
    "TimeOff",
]
