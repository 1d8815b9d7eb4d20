"""Events of the network app (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class NasTypeChanged(Event):
    """A NAS changed vendor family: its subscribers need that vendor's rate
    attributes. ``previous_type`` is a ``network.models.NasType`` value."""

    name = "nas.type_changed"
    nas_id: int
    previous_type: str
