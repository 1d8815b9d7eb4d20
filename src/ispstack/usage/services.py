"""The usage rollup: radacct sessions -> per-subscription daily usage.

Incremental: each run reads only sessions whose ``acctupdatetime`` is past
the watermark, less a one-hour overlap that catches late packets whose
Event-Timestamp is older than the last run. Each session's already counted
octets are kept in ``SessionCounter``, so re-reading a row adds only its
growth: replays and the overlap never count twice. A counter that went
backwards (a NAS that restarted its counters under the same session) is
taken as a new count from zero. Growth is booked on the tenant's local date
of the update.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import RollupState, SessionCounter

OVERLAP = dt.timedelta(hours=1)
BATCH = 5000

_UPSERT_DAILY = """
INSERT INTO usage_dailyusage (tenant_id, subscription_id, day, input_octets, output_octets,
                              created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, now(), now())
ON CONFLICT (subscription_id, day) DO UPDATE
SET input_octets = usage_dailyusage.input_octets + EXCLUDED.input_octets,
    output_octets = usage_dailyusage.output_octets + EXCLUDED.output_octets,
    updated_at = now()
"""


def _growth(current: int | None, counted: int) -> int:
    value = current or 0
    return value - counted if value >= counted else value


@transaction.atomic
def rollup() -> int:
    """Fold new accounting into daily usage; returns how many radacct rows were read.

    Serialised by a row lock on the watermark, so two runs never interleave.
    """
    state, _ = RollupState.objects.get_or_create(name="radacct")
    state = RollupState.objects.select_for_update().get(pk=state.pk)
    changed = RadAcct.objects.filter(acctupdatetime__isnull=False)
    if state.last_update is not None:
        changed = changed.filter(acctupdatetime__gt=state.last_update - OVERLAP)
    rows = changed.order_by("acctupdatetime", "radacctid").values_list(
        "radacctid", "username", "acctupdatetime", "acctinputoctets", "acctoutputoctets"
    )
    read = 0
    newest = state.last_update
    batch: list[tuple] = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            newest = _fold(batch, newest)
            read += len(batch)
            batch = []
    if batch:
        newest = _fold(batch, newest)
        read += len(batch)
    state.last_update = newest
    state.save(update_fields=["last_update"])
    return read


def _fold(batch: list[tuple], newest: dt.datetime | None) -> dt.datetime | None:
    usernames = {row[1] for row in batch if row[1]}
    subs = {
        s.username: s
        for s in Subscription.objects.filter(username__in=usernames).select_related("tenant")
    }
    counters = {
        c.radacctid: c
        for c in SessionCounter.objects.filter(radacctid__in=[row[0] for row in batch])
    }
    daily: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    changed: list[SessionCounter] = []
    created: list[SessionCounter] = []
    for radacctid, username, updated, octets_in, octets_out in batch:
        newest = updated if newest is None or updated > newest else newest
        sub = subs.get(username or "")
        if sub is None:
            continue
        counter = counters.get(radacctid)
        if counter is None:
            counter = SessionCounter(tenant_id=sub.tenant_id, radacctid=radacctid, subscription=sub)
            counters[radacctid] = counter
            created.append(counter)
        elif counter not in changed and counter.pk:
            changed.append(counter)
        grow_in = _growth(octets_in, counter.input_octets)
        grow_out = _growth(octets_out, counter.output_octets)
        counter.input_octets = octets_in or 0
        counter.output_octets = octets_out or 0
        if grow_in or grow_out:
            day = updated.astimezone(ZoneInfo(sub.tenant.timezone)).date()
            totals = daily[(sub.tenant_id, sub.pk, day)]
            totals[0] += grow_in
            totals[1] += grow_out
    SessionCounter.objects.bulk_create(created)
    SessionCounter.objects.bulk_update(changed, ["input_octets", "output_octets"])
    with connection.cursor() as cursor:
        cursor.executemany(
            _UPSERT_DAILY,
            [(t, s, d, v[0], v[1]) for (t, s, d), v in daily.items()],
        )
    return newest
