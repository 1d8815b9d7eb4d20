"""Events of the helpdesk (see ``core.events``), for reactions on other
floors or in other parts of the app (email replies, webhooks)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketOpened(Event):
    """A ticket was opened (any source)."""

    name = "ticket.opened"
    ticket_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketMessageAdded(Event):
    """A reply or note was added; ``kind`` is a ``choices.MessageKind``
    value, ``from_staff`` whether a staff user wrote it (a public staff reply
    is what goes out to the customer)."""

    name = "ticket.message_added"
    ticket_id: int
    message_id: int
    kind: str
    from_staff: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class TicketStateChanged(Event):
    """A ticket moved from ``previous_state`` to ``state`` (``choices.TicketState`` values)."""

    name = "ticket.state_changed"
    ticket_id: int
    previous_state: str
    state: str
