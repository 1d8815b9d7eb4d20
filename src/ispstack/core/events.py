"""Explicit in-process events between floors.

A lower floor (subscriptions) announces what happened; a higher floor
(radius, collections) subscribes in its ``AppConfig.ready``. Handlers run
synchronously in the publisher's transaction, so the RADIUS rows change in
the same commit as the subscription. External calls do not belong in a
handler: a handler that must reach the network enqueues an outbox job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

SUBSCRIPTION_CHANGED = "subscription.changed"
PLAN_SWITCHED = "subscription.plan_switched"
PLAN_CHANGED = "plan.changed"
INVOICES_ISSUED = "invoices.issued"
CREDIT_NOTE_ISSUED = "credit_note.issued"
BALANCE_REDUCED = "balance.reduced"


def subscribe(event: str, handler: Handler) -> None:
    """Register ``handler`` for ``event`` (idempotent)."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, **payload: Any) -> None:
    """Call every handler of ``event`` with ``payload`` as keyword arguments."""
    for handler in list(_handlers[event]):
        handler(**payload)
