"""radacct keeps open and recent sessions; older closed ones move to the
archive once counted; history past retention is purged."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.radius.models import RadAcct, RadAcctArchive, RadPostAuth
from ispstack.radius.retention import archive_sessions, purge_history
from ispstack.radius.selectors import session_history
from ispstack.usage.models import DailyUsage
from ispstack.usage.services import rollup

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def _session(sub, name: str, updated: dt.datetime, *, stopped: bool, octets: int = 100):
    return RadAcct.objects.create(
        acctsessionid=name,
        acctuniqueid=name,
        username=sub.username,
        nasipaddress="127.0.0.1",
        acctstarttime=updated - dt.timedelta(hours=5),
        acctupdatetime=updated,
        acctstoptime=updated if stopped else None,
        acctinputoctets=octets,
        acctoutputoctets=octets,
    )


def _total(sub) -> int:
    return sum(d.total_octets for d in DailyUsage.objects.filter(subscription=sub))


def test_only_counted_old_closed_sessions_move_and_history_still_shows_them(
    tenant, make_subscription, settings
):
    settings.RADIUS_ACCT_HOT_DAYS = 3
    sub = make_subscription(tenant)
    old = _session(sub, "old", NOW - dt.timedelta(days=10), stopped=True)
    _session(sub, "recent", NOW - dt.timedelta(days=1), stopped=True)
    _session(sub, "open", NOW - dt.timedelta(days=10), stopped=False)
    assert archive_sessions(NOW) == 0  # the rollup has not counted anything yet

    rollup()
    before = _total(sub)
    assert archive_sessions(NOW, batch=1) == 1
    assert set(RadAcct.objects.values_list("acctsessionid", flat=True)) == {"recent", "open"}
    moved = RadAcctArchive.objects.get()
    assert (moved.radacctid, moved.acctinputoctets) == (old.radacctid, 100)

    rollup()
    assert _total(sub) == before  # nothing counted twice, nothing lost
    assert [s.acctsessionid for s in session_history(sub)] == ["recent", "open", "old"]
    assert archive_sessions(NOW) == 0


def test_history_past_retention_is_purged(tenant, make_subscription, settings):
    settings.RADIUS_ACCT_RETENTION_MONTHS = 12
    settings.RADIUS_POSTAUTH_RETENTION_DAYS = 90
    sub = make_subscription(tenant)
    for name, age in (("ancient", 400), ("kept", 300)):
        at = NOW - dt.timedelta(days=age)
        RadAcctArchive.objects.create(
            radacctid=age,
            acctsessionid=name,
            acctuniqueid=name,
            username=sub.username,
            nasipaddress="127.0.0.1",
            acctstarttime=at,
            acctstoptime=at,
        )
    for age in (100, 10):
        RadPostAuth.objects.create(
            username=sub.username, reply="Access-Accept", authdate=NOW - dt.timedelta(days=age)
        )
    assert purge_history(NOW) == {"sessions": 1, "auth_log": 1}
    assert list(RadAcctArchive.objects.values_list("acctsessionid", flat=True)) == ["kept"]
    assert RadPostAuth.objects.count() == 1
