"""Stored MRR facts (reports.mrr_facts): the reports read them, and every
change that reaches a stored day (a backdated event, price, rate, add-on,
promotion or bundle, written by a service or by any other writer) makes
PostgreSQL forget that day, so a report always equals a computation from
today's history (the naive reading of tests/test_reports.py)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from ispstack.catalog.models import Bundle, PlanPrice, Promotion
from ispstack.catalog.services import create_bundle, create_promotion
from ispstack.core import clock
from ispstack.core.models import ExchangeRate, JobExecution
from ispstack.reports import mrr_facts
from ispstack.reports.models import MrrFact, MrrFactDay, MrrMonthFact
from ispstack.reports.tasks import store_mrr_facts_task
from ispstack.subscriptions.models import PlanChange, Subscription, SubscriptionAddOn
from ispstack.subscriptions.services import (
    attach_addon,
    detach_addon,
    grant_promotion,
    terminate,
)
from tests.test_reports import as_dict, naive_movements, report, world  # noqa: F401

pytestmark = pytest.mark.django_db

D = dt.date
JAN, MAY = D(2026, 1, 1), D(2026, 5, 1)
#: The days a Jan-May report reads: the day before January and each month end.
DAYS = {D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)}
DAYS |= {D(2026, 5, 31)}


@pytest.fixture
def built(request):
    """tests/test_reports.py's ``world``: four customers, Jan-May 2026."""
    return request.getfixturevalue("world")


def _figures(tenant: Any) -> list[dict[str, Any]]:
    return [as_dict(row) for row in report(tenant, JAN, MAY)]


def _stored_days(tenant: Any) -> set[dt.date]:
    return set(MrrFactDay.objects.filter(tenant=tenant).values_list("day", flat=True))


def test_a_report_stores_its_days_and_months_once_and_then_reads_them(tenant, built):
    first = _figures(tenant)
    assert _stored_days(tenant) == DAYS
    assert MrrFact.objects.filter(tenant=tenant, day=D(2026, 4, 30)).count() == 2
    assert set(MrrMonthFact.objects.filter(tenant=tenant).values_list("day", flat=True)) == (
        DAYS - {D(2025, 12, 31)}
    )
    amounts = [row[name] for row in first for name in ("opening", "new", "closing")]
    assert {amount.as_tuple().exponent for amount in amounts if amount} == {-2}
    # Read from the stored rows: a month changed behind the report's back shows...
    MrrMonthFact.objects.filter(tenant=tenant, day=D(2026, 4, 30)).update(closing=Decimal("1"))
    again = _figures(tenant)
    assert again[3]["closing"] == Decimal("1.00") and again[:3] == first[:3]
    # ...and a plan's report adds up the stored subscriptions of that day.
    fast = built["fast"].pk
    MrrFact.objects.filter(tenant=tenant, day=D(2026, 4, 30), plan_id=fast).update(
        amount=Decimal("1000.00")
    )
    april = report(tenant, D(2026, 4, 1), D(2026, 4, 1), plan_id=fast)[0]
    assert april.closing == Decimal("1000.00")


def _terminate_a(w: dict[str, Any]) -> None:
    terminate(subscription=w["a"], reason="moved", on=D(2026, 3, 5))


def _upgrade_dated_earlier(w: dict[str, Any]) -> None:
    # a's upgrade to Fast, applied from April 15, corrected to February 15.
    PlanChange.objects.filter(subscription=w["a"]).update(effective_date=D(2026, 2, 15))


def _addon_from_march(w: dict[str, Any]) -> None:
    attach_addon(subscription=w["a"], addon=w["tv"], quantity=1, start_date=D(2026, 3, 3))


def _addon_ends_in_march(w: dict[str, Any]) -> None:
    attached = SubscriptionAddOn.objects.get(subscription__plan=w["basic"], addon=w["tv"])
    detach_addon(attached=attached, end_date=D(2026, 3, 15))


def _promotion_back_in_february(w: dict[str, Any]) -> None:
    promo = create_promotion(
        tenant=w["a"].tenant, code="late", name="Late", kind="fixed", value="5", cycles=None
    )
    b = Subscription.objects.get(tenant=w["a"].tenant, plan=w["basic"], status="suspended")
    grant_promotion(subscription=b, promotion=promo, start_date=D(2026, 2, 2))


def _rate_in_april(w: dict[str, Any]) -> None:
    ExchangeRate.objects.create(tenant=w["a"].tenant, currency="USD", day=D(2026, 2, 10), rate="2")


def _price_row_in_march(w: dict[str, Any]) -> None:
    PlanPrice.objects.create(
        tenant=w["a"].tenant,
        plan=w["fast"],
        effective_date=D(2026, 3, 1),
        monthly_price="50.00",
        currency=w["fast"].currency,
    )


def _first_price_corrected(w: dict[str, Any]) -> None:
    PlanPrice.objects.filter(plan=w["basic"]).update(monthly_price="31.00")


def _promotion_terms_edited(w: dict[str, Any]) -> None:
    Promotion.objects.filter(tenant=w["a"].tenant, code="half").update(value="25")


def _at_commit() -> None:
    """Run the deferred triggers now, as the commit would (a test never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _moved_to_another_customer(w: dict[str, Any]) -> None:
    Subscription.objects.filter(pk=w["a"].pk).update(customer=w["c_customer"])
    _at_commit()


def _plan_set_without_a_change(w: dict[str, Any]) -> None:
    c = Subscription.objects.get(tenant=w["a"].tenant, plan__currency="USD")
    Subscription.objects.filter(pk=c.pk).update(plan=w["fast"])
    _at_commit()


def _bundle_dated_back(w: dict[str, Any]) -> None:
    bundle = create_bundle(
        tenant=w["a"].tenant,
        code="duo",
        name="Duo",
        discount_kind="percent",
        discount_value="10",
        plans=[w["basic"].pk],
        addons=[w["tv"].pk],
    )
    Bundle.objects.filter(pk=bundle.pk).update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    "change",
    [
        _terminate_a,
        _upgrade_dated_earlier,
        _addon_from_march,
        _addon_ends_in_march,
        _promotion_back_in_february,
        _rate_in_april,
        _price_row_in_march,
        _first_price_corrected,
        _promotion_terms_edited,
        _moved_to_another_customer,
        _plan_set_without_a_change,
        _bundle_dated_back,
    ],
)
def test_a_change_reaching_stored_days_moves_them_as_history_says(tenant, built, change):
    before = _figures(tenant)
    change(built)
    after = _figures(tenant)
    assert after != before, "the change must reach the reported months"
    for row in report(tenant, JAN, MAY):
        assert as_dict(row) == naive_movements(tenant, row.month), row.month


def test_a_change_dated_in_march_keeps_the_months_before_stored(tenant, built):
    _figures(tenant)
    _terminate_a(built)
    assert _stored_days(tenant) == {D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28)}
    # Billing's bookkeeping on a promotion reaches no day.
    _figures(tenant)
    promotion = built["a"].promotions.get()
    promotion.cycles_used += 1
    promotion.save()
    assert _stored_days(tenant) == DAYS


def test_a_new_tenant_currency_forgets_every_stored_day(tenant, built):
    _figures(tenant)
    tenant.name = "Renamed ISP"
    tenant.save()
    assert _stored_days(tenant) == DAYS
    assert MrrMonthFact.objects.filter(tenant=tenant).exists()
    tenant.currency = "USD"
    tenant.save()
    assert _stored_days(tenant) == set()
    assert not MrrMonthFact.objects.filter(tenant=tenant).exists()


def test_the_lock_of_the_triggers_is_the_lock_of_the_storing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'reports_mrr_forget'")
        (source,) = cursor.fetchone()
    assert f"pg_advisory_xact_lock_shared({mrr_facts.LOCK_KEY}, tenant::int)" in source


def test_a_day_after_today_is_never_stored(tenant):
    with pytest.raises(ValueError, match="up to today"):
        mrr_facts.store_days(tenant, [clock.today(tenant) + dt.timedelta(days=1)])


def test_the_hourly_task_keeps_month_ends_and_today_and_drops_old_todays(tenant, built):
    today = clock.today(tenant)
    stale = today - dt.timedelta(days=today.day)  # a month end: kept
    mrr_facts.store_days(tenant, [stale - dt.timedelta(days=3)])  # a past "today"
    counts = store_mrr_facts_task()
    stored = _stored_days(tenant)
    assert today in stored and D(2025, 12, 31) in stored and D(2026, 4, 30) in stored
    assert stale - dt.timedelta(days=3) not in stored
    assert all(day == today or (day + dt.timedelta(days=1)).day == 1 for day in stored)
    assert counts["stored"] == len(stored) and counts["pruned"] == 1
    months = set(MrrMonthFact.objects.filter(tenant=tenant).values_list("day", flat=True))
    assert months == stored - {min(stored)}
    # Nothing to do the next hour: no day is computed again.
    assert store_mrr_facts_task()["stored"] == 0
    assert _figures(tenant)[3] == as_dict(report(tenant, D(2026, 4, 1), D(2026, 4, 1))[0])


def test_cron_runs_the_task_as_a_logged_job(tenant, built):
    from django.conf import settings
    from django.core.management import call_command

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ispstack.reports.store_mrr_facts" in tasks
    out = io.StringIO()
    call_command("jobs", "mrr-facts", stdout=out)
    stored = len(_stored_days(tenant))
    assert stored > 5
    assert out.getvalue().strip() == f"{stored} days stored, 0 dropped for 1 tenants"
    run = JobExecution.objects.get(job="ispstack.reports.store_mrr_facts")
    assert run.status == "done" and run.counts == {"tenants": 1, "stored": stored, "pruned": 0}


def test_a_report_leaves_the_transactions_planner_settings_as_they_were(tenant, built):
    """Storing plans without nested loops; a later statement of the same
    transaction (the movements' per-customer lookups) must not."""
    with transaction.atomic(), connection.cursor() as cursor:
        _figures(tenant)
        cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('jit')")
        assert cursor.fetchone() == ("on", "on")
