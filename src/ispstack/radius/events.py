"""Events of radius (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoaFailed(Event):
    """A NAS refused a CoA or Disconnect-Request (RFC 5176 NAK, ``error`` is
    its Error-Cause), or kept the session open after every Disconnect-ACK."""

    name = "coa.failed"
    coa_request_id: int
    username: str
    kind: str
    acct_session_id: str
    error: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RadiusRowsRebuilt(Event):
    """``sync_all`` deleted and rewrote every radcheck / radreply row of the
    tenant from its subscriptions; apps above that write rows of their own
    (the hotspot's guests and devices) rewrite theirs, in the same transaction."""

    name = "radius.rows_rebuilt"
