"""Events of collections (see ``core.events``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class DunningStepExecuted(Event):
    """A dunning campaign's step ran for a customer on ``executed_on``;
    ``ok`` False with ``detail`` when it could not (no phone number, say)."""

    name = "dunning.step_executed"
    execution_id: int
    customer_id: int
    position: int
    action: str
    ok: bool
    detail: str
    executed_on: dt.date
