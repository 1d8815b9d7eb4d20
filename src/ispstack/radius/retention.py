"""Keep radacct small and accounting history bounded.

Instead of partitioning radacct (a partitioned table cannot keep the unique
``acctuniqueid`` the stock queries' ``ON CONFLICT (AcctUniqueId)`` needs,
unless the partition key joins it), radacct holds the open sessions and
those closed in the last ``RADIUS_ACCT_HOT_DAYS`` days; ``archive_sessions``
moves older closed sessions to ``radacct_archive`` in batches. Every query
FreeRADIUS and ispstack run on live data stays on a table of a few days of
sessions, whatever the history. A session is moved only after every reader
of radacct has read it for good: before archiving, each reader registered
with ``register_reader`` (the usage rollup: its watermark less its overlap)
holds the cutoff back, so no usage is lost. A registry, because the readers
sit above radius.

``purge_history`` deletes archived sessions older than
``RADIUS_ACCT_RETENTION_MONTHS`` and radpostauth rows older than
``RADIUS_POSTAUTH_RETENTION_DAYS``, in batches, along BRIN indexes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction

from ispstack.core import clock
from ispstack.radius.models import RadAcct

#: A reader of radacct: returns the aware UTC instant before which it has read
#: every closed session for good, or None while it has read nothing (then
#: nothing is archived).
Reader = Callable[[], "dt.datetime | None"]
_readers: list[Reader] = []


def register_reader(reader: Reader) -> None:
    """Hold archiving back to what ``reader`` has read (called from a reader
    app's ``AppConfig.ready``; registering the same function twice is a no-op)."""
    if reader not in _readers:
        _readers.append(reader)


BATCH = 50_000
COLUMNS = ", ".join(str(f.column) for f in RadAcct._meta.concrete_fields)

_MOVE = f"""
WITH moved AS (
    DELETE FROM radacct WHERE radacctid IN (
        SELECT radacctid FROM radacct
        WHERE acctupdatetime < %(cutoff)s AND acctstoptime IS NOT NULL
        ORDER BY acctupdatetime, radacctid
        LIMIT %(batch)s
    )
    RETURNING {COLUMNS}
)
INSERT INTO radacct_archive ({COLUMNS}) SELECT {COLUMNS} FROM moved
ON CONFLICT (radacctid) DO NOTHING
"""


def archive_cutoff(now: dt.datetime | None = None) -> dt.datetime | None:
    """Closed sessions last updated before this (aware UTC) move to the archive:
    ``RADIUS_ACCT_HOT_DAYS`` ago, but never past what a reader of radacct
    holds back (``register_reader``; None while a reader has read nothing)."""
    now = now or clock.now()
    holds = [reader() for reader in _readers]
    cutoff = now - dt.timedelta(days=settings.RADIUS_ACCT_HOT_DAYS)
    for hold in holds:
        if hold is None:
            return None
        cutoff = min(cutoff, hold)
    return cutoff


def archive_sessions(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Move closed sessions past ``archive_cutoff`` to radacct_archive; returns how many.

    One transaction per batch: a crash leaves each session in one table or the other.
    """
    cutoff = archive_cutoff(now)
    if cutoff is None:
        return 0
    moved = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_MOVE, {"cutoff": cutoff, "batch": batch})
            count = cursor.rowcount
        moved += count
        if count < batch:
            return moved


def _delete_in_batches(sql: str, cutoff: dt.datetime, batch: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, batch])
            count = cursor.rowcount
        deleted += count
        if count < batch:
            return deleted


def purge_history(now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Delete history past retention; returns ``{"sessions": n, "auth_log": m}``."""
    now = now or clock.now()
    sessions_before = now - dt.timedelta(days=31 * settings.RADIUS_ACCT_RETENTION_MONTHS)
    auth_before = now - dt.timedelta(days=settings.RADIUS_POSTAUTH_RETENTION_DAYS)
    return {
        "sessions": _delete_in_batches(
            "DELETE FROM radacct_archive WHERE radacctid IN (SELECT radacctid FROM"
            " radacct_archive WHERE acctstarttime < %s LIMIT %s)",
            sessions_before,
            batch,
        ),
        "auth_log": _delete_in_batches(
            "DELETE FROM radpostauth WHERE id IN (SELECT id FROM radpostauth"
            " WHERE authdate < %s LIMIT %s)",
            auth_before,
            batch,
        ),
    }
