"""SLA arithmetic in business time (a scenario table across weekends and
public holidays) and the periodic breach scan."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core import mail

from ispstack.core import clock
from ispstack.core.models import AuditLog
from ispstack.tickets import services
from ispstack.tickets.models import Holiday, Team, Ticket
from ispstack.tickets.scan import scan_sla
from ispstack.tickets.selectors import calendar_for
from ispstack.tickets.sla import BusinessCalendar, add_business_minutes, business_minutes_between

BERLIN = ZoneInfo("Europe/Berlin")
# Monday to Friday 08:00-17:00 in Berlin, German public holidays.
CAL = BusinessCalendar(
    tz=BERLIN,
    weekdays=frozenset({1, 2, 3, 4, 5}),
    start=dt.time(8),
    end=dt.time(17),
    holidays=holidays.country_holidays("DE"),
)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "minutes", "due", "why"),
    [
        ("2026-01-12 09:00", 60, "2026-01-12 10:00", "inside one business day"),
        ("2026-01-12 16:00", 60, "2026-01-12 17:00", "ends exactly at closing time"),
        ("2026-01-09 16:00", 120, "2026-01-12 09:00", "Friday across the weekend"),
        ("2026-01-10 10:00", 60, "2026-01-12 09:00", "opened on a Saturday"),
        ("2026-01-12 06:30", 30, "2026-01-12 08:30", "opened before opening time"),
        ("2026-01-12 19:00", 30, "2026-01-13 08:30", "opened after closing time"),
        ("2025-12-31 16:00", 120, "2026-01-02 09:00", "New Year's Day (public holiday)"),
        ("2026-04-02 16:30", 60, "2026-04-07 08:30", "Good Friday, weekend, Easter Monday"),
        ("2026-01-12 08:00", 48 * 60, "2026-01-19 11:00", "48 business hours: a week and 3 h"),
        ("2026-01-12 07:00", 0, "2026-01-12 07:00", "no time at all"),
    ],
)
def test_add_business_minutes(start: str, minutes: int, due: str, why: str) -> None:
    got = add_business_minutes(local(start), minutes, CAL)
    assert got == local(due), why
    assert got.tzinfo == dt.UTC
    if minutes:
        assert business_minutes_between(local(start), got, CAL) == minutes, why


def test_daylight_saving_day_counts_real_minutes() -> None:
    # A 24/7 calendar: the night clocks go forward (2026-03-29) has 23 hours.
    always = BusinessCalendar(
        tz=BERLIN, weekdays=frozenset(range(1, 8)), start=dt.time(0), end=dt.time(23, 59)
    )
    start = local("2026-03-29 00:30")
    assert add_business_minutes(start, 120, always) == local("2026-03-29 03:30")


def test_bad_calendars_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(tz=BERLIN, weekdays=frozenset(), start=dt.time(8), end=dt.time(17))
    with pytest.raises(ValueError):
        BusinessCalendar(tz=BERLIN, weekdays=frozenset({1}), start=dt.time(17), end=dt.time(8))
    with pytest.raises(ValueError):
        add_business_minutes(dt.datetime(2026, 1, 12, 9), 10, CAL)  # noqa: DTZ001
    with pytest.raises(ValueError):
        add_business_minutes(local("2026-01-12 09:00"), -1, CAL)


def test_tenant_calendar_has_public_and_own_holidays(tenant: Any) -> None:
    Holiday.objects.create(tenant=tenant, day=dt.date(2026, 1, 13), name="Company day")
    calendar = calendar_for(tenant)
    assert dt.date(2026, 1, 1) in calendar.holidays  # German New Year's Day
    due = add_business_minutes(local("2026-01-12 16:00"), 120, calendar)
    assert due == local("2026-01-14 09:00")


def test_scan_flags_breach_once_raises_priority_and_emails_lead(
    tenant: Any, make_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lead = make_staff(tenant, "support", email="lead@isp.example")
    team = Team.objects.create(tenant=tenant, name="Support", lead=lead)
    with clock.simulated(local("2026-01-12 09:00")):
        late = services.open_ticket(tenant=tenant, subject="late", priority="high", team=team)
        waiting = services.open_ticket(tenant=tenant, subject="paused", priority="high", team=team)
        services.change_state(ticket=waiting, state="waiting_on_customer")
        fresh = services.open_ticket(tenant=tenant, subject="fresh", priority="low", team=team)
    # High: 24 business hours from Monday 09:00 = Wednesday 15:00 (two days of 9 h + 6 h);
    # the warning at 80 % (19.2 h -> 1152 min) is Wednesday 10:12.
    assert late.sla_due_at == local("2026-01-14 15:00")
    assert late.sla_warn_at == local("2026-01-14 10:12")

    with django_capture_on_commit_callbacks(execute=True):  # the alerts' outbox jobs
        warned = scan_sla(now=local("2026-01-14 11:00"))
        result = scan_sla(now=local("2026-01-14 15:00"))
        again = scan_sla(now=local("2026-01-15 15:00"))
    assert warned.warned == [late.pk] and warned.breached == []
    assert result.breached == [late.pk]
    assert again.breached == [] and again.warned == []

    late.refresh_from_db()
    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.sla_breached, late.priority) == (True, "urgent")
    assert not waiting.sla_breached
    assert not fresh.sla_breached
    assert AuditLog.objects.filter(
        action="ticket.sla_breached", object_id=str(late.pk), tenant=tenant
    ).exists()
    subjects = [m.subject for m in mail.outbox if m.to == ["lead@isp.example"]]
    assert any(s.startswith("SLA warning: 1 ticket") for s in subjects)
    assert any(s.startswith("SLA breached: 1 ticket") for s in subjects)
    assert Ticket.objects.filter(sla_breached=True).count() == 1
