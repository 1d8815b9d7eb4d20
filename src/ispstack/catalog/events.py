"""Events of the catalog (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanChanged(Event):
    """A plan was created or changed; ``old_code`` is its code before the
    change when that changed (its RADIUS groups are named after it)."""

    name = "plan.changed"
    plan_id: int
    old_code: str | None = None
