"""Typed in-process events between floors.

A lower floor announces what happened with an event dataclass declared in
its own ``events.py`` (``subscriptions.events.SubscriptionSuspended``); a
higher floor subscribes to the type in its ``AppConfig.ready``. A handler
subscribed to a class receives its subclasses too (``SubscriptionChanged``
covers every lifecycle event; ``Event`` covers all of them, which is how
webhooks see everything).

Two kinds of handler:

- ``in_transaction=True``: called by ``publish`` inside the publisher's
  transaction, for a reaction that must commit or roll back with the change
  (the RADIUS rows of a suspended subscription, the billing state of a new
  one, credit consumed by a new invoice);
- ``in_transaction=False``: a reaction that is a change of its own (a
  payment that clears the debt reconnects the subscriber). ``publish``
  queues one outbox job per handler (``core.outbox``), so it runs after the
  commit, in its own transaction, retried with backoff when it fails, and
  never runs at all when the publisher rolls back.

Handlers of one event run in the order of their ``order`` argument, then of
their dotted names: registration order (INSTALLED_APPS) never matters, and
``tests/test_events.py`` shuffles it to prove so.

Event fields are JSON-able values (ids, strings, dates, lists of ids), so an
event can be stored in a job and sent in a webhook; handlers load the rows
they need.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import types
import typing
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.db import transaction

from ispstack.core import clock

if TYPE_CHECKING:
    from ispstack.core.models import Job

E = TypeVar("E", bound="Event")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: the tenant it belongs to, a unique id and when it happened.

    Subclasses that are published set ``name`` (``"subscription.suspended"``):
    the event type of webhooks and of the outbox payload. A subclass without
    its own ``name`` is a family to subscribe to, not something to publish.
    """

    name: ClassVar[str] = ""
    tenant_id: int
    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: dt.datetime = dataclasses.field(default_factory=clock.now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and cls.name:
            if cls.name in _types and _types[cls.name] is not cls:
                raise ValueError(f"event name '{cls.name}' is declared twice")
            _types[cls.name] = cls

    def data(self) -> dict[str, Any]:
        """The event's own fields as JSON values (dates as ISO 8601 strings)."""
        return {
            f.name: _to_json(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("id", "occurred_at", "tenant_id")
        }

    def to_json(self) -> dict[str, Any]:
        """The whole event as JSON: ``{"id", "type", "tenant_id", "occurred_at", "data"}``."""
        return {
            "id": self.id,
            "type": self.name,
            "tenant_id": self.tenant_id,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data(),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Event:
        """The event ``to_json`` wrote, as an instance of its declared type."""
        event_type = _types[value["type"]]
        hints = typing.get_type_hints(event_type)
        fields = {
            name: _from_json(hints[name], raw) for name, raw in (value.get("data") or {}).items()
        }
        return event_type(
            tenant_id=value["tenant_id"],
            id=value["id"],
            occurred_at=dt.datetime.fromisoformat(value["occurred_at"]),
            **fields,
        )


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if dt.datetime in options:
        return dt.datetime.fromisoformat(raw)
    if dt.date in options:
        return dt.date.fromisoformat(raw)
    return raw


def names() -> list[str]:
    """The names of every declared event, sorted (what a webhook may subscribe to)."""
    return sorted(_types)


Handler = Callable[[Any], None]
BatchHandler = Callable[[Sequence[Any]], None]


@dataclasses.dataclass(frozen=True)
class Registration:
    """One handler subscribed to one event class; ``many``, when given, is
    its form for a list of events (``publish_many``)."""

    event_type: type[Event]
    handler: Handler
    in_transaction: bool
    order: int
    many: BatchHandler | None = None

    @property
    def key(self) -> str:
        """The handler's dotted name: how an outbox job finds it again."""
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


_types: dict[str, type[Event]] = {}
_subscriptions: list[Registration] = []


def subscribe(
    event_type: type[E],
    handler: Callable[[E], None],
    *,
    in_transaction: bool,
    order: int = 0,
    many: Callable[[Sequence[E]], None] | None = None,
) -> None:
    """Register ``handler`` for ``event_type`` and its subclasses (idempotent).

    ``in_transaction`` (required, so every subscriber decides): True runs it
    inside the publisher's transaction, False after commit through the outbox.
    ``order``: lower runs first among the handlers of one event; equal orders
    run by dotted name. ``many``: the same reaction for a list of events
    (one query for all of them), which ``publish_many`` calls instead of
    ``handler`` once per event; only an in-transaction handler has one.
    """
    if many is not None and not in_transaction:
        raise ValueError("only an in-transaction handler takes a batch form (many=)")
    entry = Registration(event_type, handler, in_transaction, order, many)
    if entry not in _subscriptions:
        _subscriptions.append(entry)


def handlers_of(event_type: type[Event], *, in_transaction: bool) -> list[Registration]:
    """The subscriptions an event of ``event_type`` reaches, in the order they run."""
    found = {
        s.key: s
        for s in _subscriptions
        if s.in_transaction == in_transaction and issubclass(event_type, s.event_type)
    }
    return sorted(found.values(), key=lambda s: (s.order, s.key))


def publish(event: Event) -> None:
    """Announce ``event``: run its in-transaction handlers now and queue one
    outbox job per after-commit handler.

    Raises ValueError for an event family without a ``name``. A handler's
    exception propagates, so the publisher's transaction rolls back.
    """
    publish_many([event])


def publish_many(batch: Sequence[Event]) -> None:
    """``publish`` each event of ``batch``, in one transaction, with a handful
    of queries for the whole list: an in-transaction handler with a batch
    form (``subscribe(many=)``) is called once for each run of consecutive
    events of one type, and the jobs of the after-commit handlers are
    written in one INSERT per run (``outbox.enqueue_many``).

    Within a run, each handler sees every event before the next handler
    runs. Raises ValueError (before anything runs) for an event family
    without a ``name``; a handler's exception rolls the whole batch back.
    """
    for event in batch:
        if not type(event).name:
            raise ValueError(f"{type(event).__name__} is an event family, not an event")
    with transaction.atomic():
        for event_type, run in itertools.groupby(batch, key=type):
            same = list(run)
            for entry in handlers_of(event_type, in_transaction=True):
                if entry.many is not None:
                    entry.many(same)
                else:
                    for event in same:
                        entry.handler(event)
            later = handlers_of(event_type, in_transaction=False)
            if later:
                from ispstack.core import outbox

                outbox.enqueue_many(
                    [
                        (event.tenant_id, HANDLE_JOB, {"handler": entry.key, "event": body})
                        for event in same
                        for body in [event.to_json()]
                        for entry in later
                    ]
                )


HANDLE_JOB = "events.handle"


def run_handler(job: Job) -> None:
    """Outbox handler of ``events.handle`` jobs: run one after-commit handler
    on its stored event, in a transaction of its own."""
    payload = job.payload
    event = Event.from_json(payload["event"])
    for entry in handlers_of(type(event), in_transaction=False):
        if entry.key == payload["handler"]:
            with transaction.atomic():
                entry.handler(event)
            return
    raise LookupError(f"no after-commit handler '{payload['handler']}' for {event.name}")
