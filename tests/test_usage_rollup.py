"""The set-based usage rollup: growth per local day, replays and overlap
counted once, counter resets, and session counters that do not pile up."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.radius.models import RadAcct
from ispstack.usage.models import CountedSession, DailyUsage
from ispstack.usage.services import rollup, rollup_stats

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.UTC)


def _update(sub, session: str, at: dt.datetime, octets_in: int, octets_out: int, stop=False):
    RadAcct.objects.update_or_create(
        acctuniqueid=session,
        defaults={
            "acctsessionid": session,
            "username": sub.username,
            "nasipaddress": "127.0.0.1",
            "acctstarttime": T0,
            "acctupdatetime": at,
            "acctstoptime": at if stop else None,
            "acctinputoctets": octets_in,
            "acctoutputoctets": octets_out,
        },
    )


def _days(sub) -> dict[dt.date, tuple[int, int]]:
    return {
        d.day: (d.input_octets, d.output_octets)
        for d in DailyUsage.objects.filter(subscription=sub)
    }


def test_growth_lands_on_the_tenants_local_day_and_replays_count_once(
    make_tenant, make_subscription
):
    tenant = make_tenant(timezone="Africa/Johannesburg")  # UTC+2: 22:00 UTC is the next day
    sub = make_subscription(tenant)
    _update(sub, "r1", T0 - dt.timedelta(hours=1), 100, 1000)  # 23:00 local, 1 March
    assert rollup() == 1
    _update(sub, "r1", T0 + dt.timedelta(minutes=5), 150, 1600)  # 00:05 local, 2 March
    rollup()
    rollup()  # nothing new, the overlap re-reads the row: no growth
    assert _days(sub) == {dt.date(2026, 3, 1): (100, 1000), dt.date(2026, 3, 2): (50, 600)}

    _update(sub, "r1", T0 + dt.timedelta(minutes=10), 20, 30)  # the NAS restarted its counters
    rollup()
    assert _days(sub)[dt.date(2026, 3, 2)] == (70, 630)


def test_counters_are_kept_only_for_sessions_that_can_change(tenant, make_subscription):
    sub = make_subscription(tenant)
    _update(sub, "old", T0 - dt.timedelta(days=2), 10, 10, stop=True)
    _update(sub, "open", T0 - dt.timedelta(days=2), 5, 5)
    _update(sub, "recent", T0, 7, 7, stop=True)
    stats = rollup_stats()
    assert (stats["rows"], stats["watermark"]) == (3, T0)
    kept = set(CountedSession.objects.values_list("radacctid", flat=True))
    ids = dict(RadAcct.objects.values_list("acctuniqueid", "radacctid"))
    assert kept == {ids["open"], ids["recent"]}  # closed long ago: never read again

    _update(sub, "open", T0 + dt.timedelta(hours=3), 9, 9)
    stats = rollup_stats()
    # "recent" is re-read once more (the overlap), then leaves the window.
    assert (stats["rows"], stats["pruned"]) == (2, 1)
    assert sum(a + b for a, b in _days(sub).values()) == 10 + 10 + 9 + 9 + 7 + 7


def test_sessions_of_unknown_users_are_skipped(tenant, make_subscription):
    sub = make_subscription(tenant)
    RadAcct.objects.create(
        acctsessionid="x",
        acctuniqueid="x",
        username="nobody@isp.example",
        nasipaddress="127.0.0.1",
        acctupdatetime=T0,
        acctinputoctets=5,
        acctoutputoctets=5,
    )
    _update(sub, "y", T0, 1, 2)
    assert rollup() == 1
    assert DailyUsage.objects.count() == 1
