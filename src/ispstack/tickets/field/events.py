"""Events of field service (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event, publish

__all__ = ["InstallationCompleted", "publish"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstallationCompleted(Event):
    """A technician completed an installation visit: the equipment is in
    place, so the service order's installation step is done and activation
    may follow. ``subscription_id`` is None for a visit booked without one;
    ``serials`` are the serial numbers of the equipment installed."""

    name = "field.installation_completed"
    appointment_id: int
    customer_id: int
    subscription_id: int | None
    ticket_id: int | None = None
    serials: list[str] = dataclasses.field(default_factory=list)
