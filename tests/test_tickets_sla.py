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
from ispstack.core.models import AuditLog, Job
from ispstack.tickets import services
from ispstack.tickets.models import Holiday, Team, Ticket
from ispstack.tickets.scan import JOB_KIND, ScanResult, scan_sla
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


BREACH_ACTIONS = ("ticket.sla_breached", "ticket.first_response_breached")


def _due(ticket: Ticket, **times: str) -> None:
    """Set the ticket's SLA times (Berlin local) directly, as stamped."""
    Ticket.objects.filter(pk=ticket.pk).update(**{k: local(v) for k, v in times.items()})


def _alert_kinds(tenant: Any) -> list[tuple[str, int]]:
    return sorted(
        (job.payload["kind"], job.payload["count"])
        for job in Job.objects.filter(tenant=tenant, kind=JOB_KIND)
    )


def test_scan_leaves_a_ticket_paused_on_the_customer_alone(tenant: Any) -> None:
    team = Team.objects.create(tenant=tenant, name="Support")
    paused = services.open_ticket(tenant=tenant, subject="paused", priority="low", team=team)
    services.change_state(ticket=paused, state="waiting_on_customer")
    _due(
        paused,
        first_response_warn_at="2026-01-12 09:00",
        first_response_due_at="2026-01-12 10:00",
        sla_warn_at="2026-01-12 11:00",
        sla_due_at="2026-01-12 12:00",
    )

    result = scan_sla(now=local("2026-01-14 15:00"))

    assert result == ScanResult()
    paused.refresh_from_db()
    assert (paused.sla_warned, paused.sla_breached, paused.priority) == (False, False, "low")
    assert (paused.first_response_warned, paused.first_response_breached) == (False, False)
    assert not AuditLog.objects.filter(object_id=str(paused.pk), action__in=BREACH_ACTIONS).exists()
    assert _alert_kinds(tenant) == []


def test_scan_warns_once_then_breaches_once(tenant: Any) -> None:
    team = Team.objects.create(tenant=tenant, name="Support")
    ticket = services.open_ticket(tenant=tenant, subject="slow", priority="normal", team=team)
    services.change_state(ticket=ticket, state="in_progress")
    _due(
        ticket,
        first_response_warn_at="2026-01-12 09:00",
        first_response_due_at="2026-01-12 10:00",
        sla_warn_at="2026-01-12 11:00",
        sla_due_at="2026-01-12 12:00",
    )

    scans = [
        scan_sla(now=local(at))
        for at in (
            "2026-01-12 09:00",  # first-response warning
            "2026-01-12 09:30",
            "2026-01-12 10:00",  # first-response breach
            "2026-01-12 11:30",  # resolution warning
            "2026-01-12 11:45",
            "2026-01-12 12:00",  # resolution breach
            "2026-01-13 12:00",
        )
    ]

    me = [ticket.pk]
    assert [s.first_response_warned for s in scans] == [me, [], [], [], [], [], []]
    assert [s.first_response_breached for s in scans] == [[], [], me, [], [], [], []]
    assert [s.warned for s in scans] == [[], [], [], me, [], [], []]
    assert [s.breached for s in scans] == [[], [], [], [], [], me, []]
    ticket.refresh_from_db()
    assert (ticket.sla_warned, ticket.sla_breached, ticket.priority) == (True, True, "high")
    assert (ticket.first_response_warned, ticket.first_response_breached) == (True, True)
    actions = AuditLog.objects.filter(object_id=str(ticket.pk), action__in=BREACH_ACTIONS)
    assert sorted(actions.values_list("action", flat=True)) == [
        "ticket.first_response_breached",
        "ticket.sla_breached",
    ]
    assert _alert_kinds(tenant) == [
        ("breach", 1),
        ("first_response_breach", 1),
        ("first_response_warning", 1),
        ("warning", 1),
    ]


def test_scan_records_both_breaches_of_one_ticket_and_no_late_warning(tenant: Any) -> None:
    team = Team.objects.create(tenant=tenant, name="Support")
    both = services.open_ticket(tenant=tenant, subject="both", priority="urgent", team=team)
    answered = services.open_ticket(tenant=tenant, subject="answered", priority="low", team=team)
    unrouted = services.open_ticket(tenant=tenant, subject="no team", priority="low")
    for ticket in (both, answered, unrouted):
        _due(
            ticket,
            first_response_warn_at="2026-01-12 09:00",
            first_response_due_at="2026-01-12 10:00",
            sla_warn_at="2026-01-12 11:00",
            sla_due_at="2026-01-12 12:00",
        )
    Ticket.objects.filter(pk=answered.pk).update(first_response_at=local("2026-01-12 08:30"))

    # The scheduler was down: both targets and both warnings passed since the last scan.
    result = scan_sla(now=local("2026-01-13 09:00"))

    assert result.breached == sorted([both.pk, answered.pk, unrouted.pk])
    assert result.first_response_breached == sorted([both.pk, unrouted.pk])
    assert result.warned == [] and result.first_response_warned == []
    assert result.alerts == 2  # the team's two kinds; the ticket with no team alerts nobody
    both.refresh_from_db()
    answered.refresh_from_db()
    assert (both.sla_breached, both.first_response_breached, both.priority) == (
        True,
        True,
        "urgent",
    )
    assert not both.sla_warned and not both.first_response_warned
    assert (answered.sla_breached, answered.first_response_breached, answered.priority) == (
        True,
        False,
        "normal",
    )
    audit = AuditLog.objects.filter(object_id=str(both.pk), action__in=BREACH_ACTIONS)
    assert {(a.action, tuple(sorted(a.after))) for a in audit} == {
        ("ticket.sla_breached", ("priority", "sla_breached")),
        ("ticket.first_response_breached", ("first_response_breached",)),
    }
    assert _alert_kinds(tenant) == [("breach", 2), ("first_response_breach", 1)]
    assert scan_sla(now=local("2026-01-13 09:00")) == ScanResult()
