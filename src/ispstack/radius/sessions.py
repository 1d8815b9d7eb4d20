"""Stale sessions closed (who is online and the history are in radius.selectors).

A NAS that reboots or loses its link never sends the Stop; its sessions
would stay "online" for ever and block ``Simultaneous-Use``. A session with
no accounting for three interim intervals (``Acct-Interval``, default five
minutes) is closed: its stop time is its last update and its terminate
cause ``Stale-Session``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from ispstack.core import clock

DEFAULT_INTERVAL = dt.timedelta(minutes=5)
STALE_AFTER_INTERVALS = 3


def close_stale_sessions(now: dt.datetime | None = None) -> int:
    """Close open sessions silent for three interim intervals; returns how many."""
    now = now or clock.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE radacct SET acctstoptime = COALESCE(acctupdatetime, acctstarttime),"
            " acctterminatecause = 'Stale-Session'"
            " WHERE acctstoptime IS NULL"
            " AND COALESCE(acctupdatetime, acctstarttime) < %s - make_interval(secs =>"
            " %s * COALESCE(NULLIF(acctinterval, 0), %s))",
            [now, STALE_AFTER_INTERVALS, DEFAULT_INTERVAL.total_seconds()],
        )
        return cursor.rowcount
