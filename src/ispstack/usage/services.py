"""The usage rollup: radacct sessions -> per-subscription daily usage.

Incremental: each run reads only sessions whose ``acctupdatetime`` is past
the watermark, less an overlap (``USAGE_ROLLUP_OVERLAP_MINUTES``, default
60) that catches packets committed after the last run with an older
Event-Timestamp. What was already counted of a session that can be read
again is kept in ``CountedSession``, so re-reading a row adds only its
growth: replays and the overlap never count twice. A counter that went
backwards (a NAS that restarted its counters under the same session) is
taken as a new count from zero. Growth is booked on the tenant's local date
of the update. Octets include gigawords: the stock queries store
``Acct-*-Gigawords << 32 | Acct-*-Octets``.

The whole fold is one SQL statement (a join, a GROUP BY and two upserts in
index order, so the unique-index probes walk the index instead of jumping
around it), so a run costs about what one ``GROUP BY`` writing the same
daily rows costs (``bench/usage_rollup.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from ispstack.core import clock
from ispstack.usage.models import RollupState

_FOLD = """
WITH src AS MATERIALIZED (
    SELECT r.radacctid, r.acctupdatetime, r.acctstoptime IS NOT NULL AS closed,
           COALESCE(r.acctinputoctets, 0) AS i, COALESCE(r.acctoutputoctets, 0) AS o,
           c.input_octets AS ci, c.output_octets AS co,
           s.id AS sub_id, s.tenant_id, t.timezone
    FROM radacct r
    JOIN subscriptions_subscription s ON s.username = r.username
    JOIN core_tenant t ON t.id = s.tenant_id
    LEFT JOIN usage_countedsession c ON c.radacctid = r.radacctid
    WHERE r.acctupdatetime > %(since)s
),
newest AS (SELECT max(acctupdatetime) AS at, count(*) AS n FROM src),
daily AS (
    INSERT INTO usage_dailyusage AS d
        (tenant_id, subscription_id, day, input_octets, output_octets, created_at, updated_at)
    SELECT tenant_id, sub_id, (acctupdatetime AT TIME ZONE timezone)::date,
           sum(CASE WHEN ci IS NULL OR i < ci THEN i ELSE i - ci END),
           sum(CASE WHEN co IS NULL OR o < co THEN o ELSE o - co END),
           %(now)s, %(now)s
    FROM src
    WHERE (ci IS NULL AND (i > 0 OR o > 0)) OR i <> ci OR o <> co
    GROUP BY 1, 2, 3
    ORDER BY 2, 3
    ON CONFLICT (subscription_id, day) DO UPDATE
    SET input_octets = d.input_octets + EXCLUDED.input_octets,
        output_octets = d.output_octets + EXCLUDED.output_octets,
        updated_at = %(now)s
    RETURNING 1
),
counted AS (
    INSERT INTO usage_countedsession AS c
        (radacctid, input_octets, output_octets, acctupdatetime, closed)
    SELECT radacctid, i, o, acctupdatetime, closed
    FROM src, newest
    WHERE NOT closed OR acctupdatetime > newest.at - %(overlap)s
    ORDER BY radacctid
    ON CONFLICT (radacctid) DO UPDATE
    SET input_octets = EXCLUDED.input_octets, output_octets = EXCLUDED.output_octets,
        acctupdatetime = EXCLUDED.acctupdatetime, closed = EXCLUDED.closed
    RETURNING 1
)
SELECT newest.n, newest.at, (SELECT count(*) FROM daily), (SELECT count(*) FROM counted)
FROM newest
"""

_PRUNE = "DELETE FROM usage_countedsession WHERE closed AND acctupdatetime <= %s"


def overlap() -> dt.timedelta:
    """How far behind the watermark each run re-reads."""
    return dt.timedelta(minutes=settings.USAGE_ROLLUP_OVERLAP_MINUTES)


def hold_archive() -> dt.datetime | None:
    """Keep in radacct what the next rollup may re-read: sessions updated after
    the watermark less the overlap (all of them before the first rollup, None).
    Registered with ``radius.retention.register_reader``."""
    watermark = (
        RollupState.objects.filter(name="radacct").values_list("last_update", flat=True).first()
    )
    return None if watermark is None else watermark - overlap()


def rollup() -> int:
    """Fold new accounting into daily usage; returns how many radacct rows were read.

    Serialised by a row lock on the watermark, so two runs never interleave.
    """
    return rollup_stats()["rows"]


def rollup_stats() -> dict[str, Any]:
    """``rollup`` with its figures: ``rows`` read, ``days`` (daily rows
    written), ``counted`` (session counters kept), ``pruned`` and the new
    ``watermark``."""
    with transaction.atomic():
        state, _ = RollupState.objects.get_or_create(name="radacct")
        state = RollupState.objects.select_for_update().get(pk=state.pk)
        window = overlap()
        since = (
            state.last_update - window
            if state.last_update
            else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # The business clock's instant, not the database's now(): a
            # simulation's rows carry the simulated time.
            cursor.execute(
                _FOLD,
                {"since": since, "overlap": window, "now": clock.now()},  # type: ignore[dict-item]
            )
            rows, newest, days, counted = cursor.fetchone()
            pruned = 0
            if newest is not None and (state.last_update is None or newest > state.last_update):
                state.last_update = newest
            state.last_run_at = clock.now()
            state.save(update_fields=["last_update", "last_run_at"])
            if state.last_update is not None:
                cursor.execute(_PRUNE, [state.last_update - window])
                pruned = cursor.rowcount
    return {
        "rows": rows,
        "days": days,
        "counted": counted,
        "pruned": pruned,
        "watermark": state.last_update,
    }
