"""The stored months of usage by plan (``reports.usage``): a closed month is
computed once and read back as computed, the current month is computed at
each view, and every write that changes a stored month's usage by plan (a
daily row written late, edited or deleted, a backdated plan change, a plan
edited without one, a changed data cap) makes the next report compute it
again: the triggers of migration 0009 on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from ispstack.catalog.models import Plan
from ispstack.core import clock
from ispstack.core.models import JobExecution, Tenant
from ispstack.reports import usage
from ispstack.reports.models import UsageFact, UsageFactMonth
from ispstack.reports.selectors import make_filters, months_before
from ispstack.reports.tasks import store_usage_facts_task
from ispstack.subscriptions.models import PlanChange, Subscription
from ispstack.usage.models import DailyUsage
from tests.usage_world import GB, as_usage, naive_usage

pytestmark = pytest.mark.django_db

D = dt.date
JAN, FEB, MAR = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)


@contextmanager
def at(day: dt.date) -> Iterator[None]:
    with clock.simulated(dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC)):
        yield


def report(tenant: Tenant, **kw: Any) -> dict[tuple, dict]:
    """Usage by plan of January to March on 10 March (March still open)."""
    site = kw.pop("site_id", None)
    with at(D(2026, 3, 10)):
        filters = make_filters(tenant, start=JAN, end=MAR, **kw)
        return as_usage(usage.usage_by_plan(tenant, filters, site_id=site))


def stored(tenant: Tenant) -> list[dt.date]:
    return sorted(UsageFactMonth.objects.filter(tenant=tenant).values_list("month", flat=True))


def commit_checks() -> None:
    """Fire the triggers deferred to the commit (the test's transaction never
    commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_closed_months_are_stored_once_and_read_as_computed(tenant, traffic):
    first = report(tenant)
    assert first == naive_usage(tenant, [JAN, FEB, MAR])
    assert stored(tenant) == [JAN, FEB]
    # What is read is the stored month: a fact changed behind the report's
    # back (no trigger watches the facts) shows, and March is computed.
    UsageFact.objects.filter(tenant=tenant, month=JAN).update(
        download_bytes=F("download_bytes") + 1
    )
    again = report(tenant)
    assert again[(JAN, "Small")]["download_bytes"] == first[(JAN, "Small")]["download_bytes"] + 1
    assert again[(MAR, "Small")] == first[(MAR, "Small")]


def test_a_late_daily_row_forgets_its_month_only(tenant, traffic):
    report(tenant)
    unlimited = Subscription.objects.get(pk=traffic["c"].pk)
    DailyUsage.objects.create(
        tenant=tenant, subscription=unlimited, day=D(2026, 2, 3), output_octets=GB
    )
    assert stored(tenant) == [JAN]
    assert report(tenant) == naive_usage(tenant, [JAN, FEB, MAR])
    assert stored(tenant) == [JAN, FEB]


def test_a_script_edit_and_a_delete_are_read_again(tenant, traffic):
    report(tenant)
    DailyUsage.objects.filter(tenant=tenant, day=D(2026, 1, 3)).update(output_octets=7 * GB)
    assert stored(tenant) == [FEB]
    DailyUsage.objects.filter(tenant=tenant, day=D(2026, 2, 20)).delete()
    assert stored(tenant) == []
    assert report(tenant) == naive_usage(tenant, [JAN, FEB, MAR])


def test_a_backdated_plan_change_forgets_its_month_and_every_later_one(tenant, traffic):
    report(tenant)
    big = traffic["big"]
    e = Subscription.objects.get(pk=traffic["e"].pk)
    PlanChange.objects.create(
        tenant=tenant,
        subscription=e,
        from_plan=big,
        to_plan=Plan.objects.get(tenant=tenant, name="Small"),
        effective_date=D(2026, 2, 10),
        status="applied",
    )
    assert stored(tenant) == [JAN]
    assert report(tenant) == naive_usage(tenant, [JAN, FEB, MAR])


def test_a_plan_edited_without_a_change_forgets_every_month(tenant, traffic):
    report(tenant)
    # a's plan changes are applied ones: its days have their plans already.
    Subscription.objects.filter(pk=traffic["a"].pk).update(plan=traffic["big"])
    commit_checks()
    assert stored(tenant) == [JAN, FEB]
    Subscription.objects.filter(pk=traffic["c"].pk).update(plan=traffic["big"])
    commit_checks()
    assert stored(tenant) == []
    assert report(tenant) == naive_usage(tenant, [JAN, FEB, MAR])


def test_a_changed_data_cap_forgets_every_month(tenant, traffic):
    report(tenant)
    Plan.objects.filter(pk=traffic["small"].pk).update(data_cap_bytes=200 * GB)
    assert stored(tenant) == []
    assert report(tenant) == naive_usage(tenant, [JAN, FEB, MAR])
    assert report(tenant)[(JAN, "Small")]["reached_100"] == 0


def test_a_filtered_report_reads_the_daily_rows(tenant, traffic):
    north = report(tenant, site_id=traffic["north"].pk)
    assert north == naive_usage(tenant, [JAN, FEB, MAR], site=traffic["north"])
    assert stored(tenant) == []


def test_the_current_month_is_never_stored(tenant, traffic):
    with at(D(2026, 3, 10)), pytest.raises(ValueError):
        usage.store_months(tenant, [MAR])
    assert stored(tenant) == []


def test_the_hourly_task_keeps_the_closed_months_stored(tenant, traffic):
    from django.conf import settings
    from django.core.management import call_command

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ispstack.reports.store_usage_facts" in tasks
    out = io.StringIO()
    with at(D(2026, 3, 10)):
        counts = store_usage_facts_task()
        call_command("jobs", "usage-facts", stdout=out)
    # Nothing to do the next hour; the other tenant with usage has its months too.
    assert out.getvalue().strip() == "0 months stored for 2 tenants"
    assert counts == {"tenants": 2, "stored": 2 * usage.KEPT_MONTHS}
    assert stored(tenant) == [months_before(MAR, n) for n in range(usage.KEPT_MONTHS, 0, -1)]
    runs = JobExecution.objects.filter(job="ispstack.reports.store_usage_facts")
    assert [run.status for run in runs] == ["done", "done"]


def test_the_lock_key_is_the_migrations():
    migration = pathlib.Path(usage.__file__).parent / "migrations" / "0009_usage_fact_triggers.py"
    assert f"pg_advisory_xact_lock_shared({usage.LOCK_KEY}," in migration.read_text()
