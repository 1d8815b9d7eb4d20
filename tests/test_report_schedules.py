"""Scheduled reports: a due schedule mails its report as an XLSX file to each
recipient once, through the outbox; next-run times on the tenant's wall clock
(month ends, time zones, DST); bad input refused naming the field; tenancy
and permissions in the API and the console; the marketing spend form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from ispstack.core import clock, outbox
from ispstack.core.models import JobExecution
from ispstack.reports import registry, selectors
from ispstack.reports.models import MarketingSpend, ReportDelivery, ReportSchedule
from ispstack.reports.services import (
    create_schedule,
    delete_schedule,
    next_run,
    send_due_report,
    update_schedule,
)
from ispstack.reports.tasks import send_scheduled_reports_task
from tests import test_reports

# The reports' small world (Jan-May 2026) and their MRR reading.
world = test_reports.world
report = test_reports.report

pytestmark = pytest.mark.django_db

D = dt.date
UTC = dt.UTC
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: 2026-05-31 12:00 UTC: the evening before the first of June in Berlin.
BEFORE = dt.datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
#: 07:00 in Berlin (CEST, UTC+2) on 2026-06-01 is 05:00 UTC.
DUE = dt.datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def monthly_mrr(tenant: Any, **extra: Any) -> ReportSchedule:
    values: dict[str, Any] = {
        "report": "mrr",
        "period": "last_3_months",
        "frequency": "monthly",
        "day_of_month": 1,
        "send_time": "07:00",
        "recipients": ["owner@isp.example", "finance@isp.example"],
    }
    values.update(extra)
    with clock.simulated(BEFORE):
        return create_schedule(tenant=tenant, **values)


def xlsx_of(message: Any) -> list[tuple[Any, ...]]:
    [part] = [p for p in message.walk() if p.get_content_type() == XLSX]
    book = load_workbook(io.BytesIO(part.get_payload(decode=True)))
    return list(book.active.iter_rows(values_only=True))


# --- sending --------------------------------------------------------------------


def test_a_due_schedule_mails_every_recipient_the_reports_figures_once(tenant, world, smtp_server):
    schedule = monthly_mrr(tenant)
    assert schedule.next_run_at == DUE
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        assert send_scheduled_reports_task() == {"sent": 1, "failed": 0}
        assert outbox.drain() == 2
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "finance@isp.example",
        "owner@isp.example",
    ]
    months = report(tenant, D(2026, 3, 1), D(2026, 5, 1))
    for message in smtp_server.messages:
        assert message["Subject"] == f"MRR and churn from {tenant.name}"
        rows = xlsx_of(message)
        assert rows[0][0] == "Month" and rows[0][7] == "Closing MRR (EUR)"
        assert [r[0] for r in rows[1:]] == ["2026-03", "2026-04", "2026-05"]
        assert [Decimal(str(r[7])) for r in rows[1:]] == [m.closing for m in months]
        assert [Decimal(str(r[2])) for r in rows[1:]] == [m.new for m in months]

    # The next run is the first of July, 07:00 in Berlin; a second run sends nothing.
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    assert schedule.last_status == "sent" and schedule.last_error == ""
    with clock.simulated(DUE + dt.timedelta(minutes=2)):
        assert send_scheduled_reports_task() == {"sent": 0, "failed": 0}
        assert send_due_report(schedule_id=schedule.pk) is None
        assert outbox.drain() == 0
    assert len(smtp_server.messages) == 2
    assert ReportDelivery.objects.filter(schedule=schedule).count() == 1
    logged = JobExecution.objects.filter(job="ispstack.reports.send_scheduled", tenant=tenant)
    assert [run.status for run in logged] == ["done"]


def test_a_schedule_deleted_before_its_mails_go_sends_nothing(tenant, world, smtp_server):
    schedule = monthly_mrr(tenant)
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        assert send_scheduled_reports_task() == {"sent": 1, "failed": 0}
        delete_schedule(schedule=schedule)
        assert outbox.drain() == 2
    assert smtp_server.messages == []
    assert not ReportDelivery.objects.filter(tenant=tenant).exists()


def test_a_due_time_delivered_already_is_not_sent_again(tenant, world, smtp_server):
    schedule = monthly_mrr(tenant)
    # Another worker delivered this due time and died before moving the schedule on.
    ReportDelivery.objects.create(
        tenant=tenant,
        schedule=schedule,
        due_at=DUE,
        period_start=D(2026, 3, 1),
        period_end=D(2026, 5, 31),
        recipients=schedule.recipients,
        filename="mrr.xlsx",
        content=b"",
    )
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        assert send_due_report(schedule_id=schedule.pk) is None
        assert outbox.drain() == 0
    assert smtp_server.messages == []
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2026, 7, 1, 5, 0, tzinfo=UTC)


def test_sending_deletes_the_schedules_files_past_retention(tenant, world, smtp_server, settings):
    settings.REPORT_DELIVERY_RETENTION_DAYS = 400
    schedule = monthly_mrr(tenant)
    other = monthly_mrr(tenant, recipients=["noc@isp.example"])
    for owner, days in ((schedule, 401), (schedule, 399), (other, 500)):
        ReportDelivery.objects.create(
            tenant=tenant,
            schedule=owner,
            due_at=DUE - dt.timedelta(days=days),
            period_start=D(2025, 1, 1),
            period_end=D(2025, 3, 31),
            recipients=owner.recipients,
            filename=f"mrr-{days}.xlsx",
            content=b"old",
        )
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        assert send_due_report(schedule_id=schedule.pk) is not None
    assert sorted(
        ReportDelivery.objects.filter(tenant=tenant).values_list("due_at", flat=True)
    ) == [
        DUE - dt.timedelta(days=500),
        DUE - dt.timedelta(days=399),
        DUE,
    ]


def test_an_edit_keeps_the_due_run_unless_the_timing_changes(tenant, world, smtp_server):
    schedule = monthly_mrr(tenant)
    # A recipient added a minute after the run fell due, before the beat ran it.
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        schedule = update_schedule(
            schedule=schedule, recipients=[*schedule.recipients, "ceo@isp.example"]
        )
        assert schedule.next_run_at == DUE
        assert send_scheduled_reports_task() == {"sent": 1, "failed": 0}
        outbox.drain()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "ceo@isp.example",
        "finance@isp.example",
        "owner@isp.example",
    ]
    with clock.simulated(DUE + dt.timedelta(days=1)):
        schedule = update_schedule(schedule=schedule, send_time="08:00")
    # 08:00 in Berlin on the first of July is 06:00 UTC.
    assert schedule.next_run_at == dt.datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_a_failing_report_is_recorded_and_the_others_still_go(
    tenant, world, smtp_server, monkeypatch
):
    def broken(tenant: Any, query: Any) -> Any:
        raise RuntimeError("exchange rate feed down")

    good = monthly_mrr(tenant)
    bad = monthly_mrr(tenant, report="plans", recipients=["plans@isp.example"])
    spec = registry.REPORTS["plans"]
    monkeypatch.setitem(registry.REPORTS, "plans", dataclasses.replace(spec, build=broken))
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        assert send_scheduled_reports_task() == {"sent": 1, "failed": 1}
        assert outbox.drain() == 2
    assert {m["To"] for m in smtp_server.messages} == set(good.recipients)
    bad.refresh_from_db()
    assert bad.last_status == "failed"
    assert bad.last_error == "RuntimeError: exchange rate feed down"
    assert bad.next_run_at == dt.datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    assert not ReportDelivery.objects.filter(schedule=bad).exists()
    failed = JobExecution.objects.get(job="ispstack.reports.send_scheduled", status="failed")
    assert failed.tenant == tenant and "exchange rate feed down" in failed.error
    assert failed.arguments["schedule"] == bad.pk


def test_the_aging_is_sent_for_the_last_day_of_the_period(tenant, smtp_server):
    schedule = monthly_mrr(tenant, report="aging", period="last_month")
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        send_scheduled_reports_task()
        outbox.drain()
    delivery = ReportDelivery.objects.get(schedule=schedule)
    assert (delivery.period_start, delivery.period_end) == (D(2026, 5, 1), D(2026, 5, 31))
    rows = xlsx_of(smtp_server.messages[0])
    assert [r[0] for r in rows[1:]] == ["0-30", "31-60", "61-90", "90+"]
    aging = selectors.aging(tenant, as_of=D(2026, 5, 31))
    assert [Decimal(str(r[2])) for r in rows[1:]] == [b.amount for b in aging]


# --- next run -------------------------------------------------------------------


def test_monthly_on_the_31st_is_the_last_day_of_shorter_months():
    after = dt.datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
    common = {"frequency": "monthly", "day_of_month": 31, "send_time": dt.time(7, 0)}
    feb = next_run(**common, timezone="Europe/Berlin", after=after)
    assert feb == dt.datetime(2026, 2, 28, 6, 0, tzinfo=UTC)  # CET, UTC+1
    march = next_run(**common, timezone="Europe/Berlin", after=feb)
    assert march == dt.datetime(2026, 3, 31, 5, 0, tzinfo=UTC)  # CEST since 29 March
    april = next_run(**common, timezone="Europe/Berlin", after=march)
    assert april == dt.datetime(2026, 4, 30, 5, 0, tzinfo=UTC)
    leap = next_run(**common, timezone="Europe/Berlin", after=dt.datetime(2028, 2, 1, tzinfo=UTC))
    assert leap == dt.datetime(2028, 2, 29, 6, 0, tzinfo=UTC)


def test_weekly_runs_on_the_tenants_weekday_and_wall_clock():
    # Monday 30 Nov 2026, 15:00 UTC is 10:00 in New York: Monday 09:00 has passed.
    after = dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    common = {"frequency": "weekly", "weekday": 0, "send_time": dt.time(9, 0)}
    assert next_run(**common, timezone="America/New_York", after=after) == dt.datetime(
        2026, 12, 7, 14, 0, tzinfo=UTC
    )
    # In Auckland (UTC+13 in summer) it is already Tuesday 04:00.
    assert next_run(**common, timezone="Pacific/Auckland", after=after) == dt.datetime(
        2026, 12, 6, 20, 0, tzinfo=UTC
    )
    # Daily, a minute before the time: today.
    daily = next_run(
        frequency="daily",
        send_time=dt.time(10, 1),
        timezone="America/New_York",
        after=after,
    )
    assert daily == dt.datetime(2026, 11, 30, 15, 1, tzinfo=UTC)


def test_dst_keeps_the_wall_clock_a_skipped_time_goes_an_hour_later():
    daily = {"frequency": "daily", "timezone": "Europe/Berlin"}
    before_spring = dt.datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    first = next_run(**daily, send_time=dt.time(7, 0), after=before_spring)
    assert first == dt.datetime(2026, 3, 28, 6, 0, tzinfo=UTC)  # 07:00 CET
    second = next_run(**daily, send_time=dt.time(7, 0), after=first)
    assert second == dt.datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    # 02:30 does not exist on 29 March 2026 in Berlin: 01:30 UTC is 03:30 CEST.
    skipped = next_run(
        **daily, send_time=dt.time(2, 30), after=dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    )
    assert skipped == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: the first time, 00:30 UTC (CEST).
    twice = next_run(
        **daily, send_time=dt.time(2, 30), after=dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    )
    assert twice == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    after_twice = next_run(**daily, send_time=dt.time(2, 30), after=twice)
    assert after_twice == dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # CET again


# --- the API --------------------------------------------------------------------

GOOD = {
    "report": "mrr",
    "period": "last_month",
    "frequency": "weekly",
    "weekday": 0,
    "send_time": "08:30",
    "recipients": ["cfo@isp.example"],
}


def test_finance_schedules_a_report_through_the_api(tenant, make_plan, api_client_for):
    plan = make_plan(tenant)
    finance = api_client_for(tenant, "billing")
    with clock.simulated(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)):
        answer = finance.post(
            "/api/v1/report-schedules/",
            {**GOOD, "params": {"plan": str(plan.pk), "tag": "business"}},
            format="json",
        )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["params"] == {"plan": str(plan.pk), "tag": "business"}
    # Monday 7 December 08:30 in Berlin (CET) is 07:30 UTC.
    assert body["next_run_at"] == "2026-12-07T07:30:00Z"
    schedule = ReportSchedule.objects.get(pk=body["id"])
    assert schedule.tenant == tenant and schedule.created_by == finance.user
    changed = finance.patch(
        f"/api/v1/report-schedules/{schedule.pk}/",
        {"frequency": "monthly", "day_of_month": 31},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["day_of_month"] == 31 and changed.json()["weekday"] is None
    assert finance.get("/api/v1/report-schedules/").json()["count"] == 1
    assert finance.delete(f"/api/v1/report-schedules/{schedule.pk}/").status_code == 204
    assert not ReportSchedule.objects.exists()


def test_finance_sends_a_schedule_now_through_the_api(tenant, world, api_client_for, smtp_server):
    schedule = monthly_mrr(tenant)
    finance = api_client_for(tenant, "billing")
    sent_at = dt.datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    with clock.simulated(sent_at):
        answer = finance.post(f"/api/v1/report-schedules/{schedule.pk}/send/")
        assert answer.status_code == 201, answer.json()
        assert outbox.drain() == 2
    body = answer.json()
    assert body["schedule"] == schedule.pk and body["due_at"] == "2026-05-20T09:00:00Z"
    # The last three full months before 20 May: February to April.
    assert (body["period_start"], body["period_end"]) == ("2026-02-01", "2026-04-30")
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(schedule.recipients)
    months = report(tenant, D(2026, 2, 1), D(2026, 4, 1))
    rows = xlsx_of(smtp_server.messages[0])
    assert [Decimal(str(r[7])) for r in rows[1:]] == [m.closing for m in months]
    schedule.refresh_from_db()
    assert schedule.next_run_at == DUE and schedule.last_run_at == sent_at


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"report": "nope"}, "report"),
        ({"recipients": ["cfo@isp.example", "not-an-address"]}, "recipients[1]"),
        ({"recipients": []}, "recipients"),
        ({"params": {"plan": "999999"}}, "params.plan"),
        ({"params": {"plan": "x"}}, "params.plan"),
        ({"params": {"colour": "red"}}, "params.colour"),
        ({"report": "aging", "params": {"plan": "1"}}, "params.plan"),
        ({"weekday": None}, "weekday"),
        ({"frequency": "monthly"}, "day_of_month"),
        ({"frequency": "hourly"}, "frequency"),
        ({"send_time": "25:00"}, "send_time"),
        ({"period": "forever"}, "period"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    tenant, api_client_for, change, field
):
    answer = api_client_for(tenant, "admin").post(
        "/api/v1/report-schedules/", {**GOOD, **change}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not ReportSchedule.objects.exists()


def test_another_tenants_schedule_is_not_found(tenant, make_tenant, api_client_for):
    theirs = monthly_mrr(make_tenant())
    mine = api_client_for(tenant, "admin")
    url = f"/api/v1/report-schedules/{theirs.pk}/"
    assert mine.get(url).status_code == 404
    assert mine.patch(url, {"send_time": "09:00"}, format="json").status_code == 404
    assert mine.delete(url).status_code == 404
    assert mine.post(f"{url}send/").status_code == 404
    assert not ReportDelivery.objects.exists()
    assert mine.get("/api/v1/report-schedules/").json()["count"] == 0
    assert ReportSchedule.objects.get(pk=theirs.pk).send_time == dt.time(7, 0)


@pytest.mark.parametrize("role", ["support", "noc", "technician"])
def test_roles_without_the_reports_are_refused(tenant, api_client_for, role):
    mine = monthly_mrr(tenant)
    client = api_client_for(tenant, role)
    assert client.get("/api/v1/report-schedules/").status_code == 403
    assert client.post("/api/v1/report-schedules/", GOOD, format="json").status_code == 403
    assert client.delete(f"/api/v1/report-schedules/{mine.pk}/").status_code == 403
    assert client.post(f"/api/v1/report-schedules/{mine.pk}/send/").status_code == 403
    assert ReportSchedule.objects.count() == 1
    assert not ReportDelivery.objects.exists()


# --- the console ----------------------------------------------------------------

FORM = {
    "report": "mrr",
    "period": "last_12_months",
    "plan": "",
    "tag": "",
    "frequency": "monthly",
    "weekday": "",
    "day_of_month": "1",
    "send_time": "07:00",
    "recipients": "owner@isp.example,\nfinance@isp.example",
    "is_active": "on",
}


def test_finance_schedules_edits_sends_and_deletes_in_the_console(
    client: Client, tenant, world, make_staff, smtp_server, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(tenant, "billing"))
    assert client.get("/staff/reports/schedules/").status_code == 200
    assert client.get("/staff/reports/schedules/new/").status_code == 200
    answer = client.post("/staff/reports/schedules/new/", FORM)
    assert answer.status_code == 302 and answer.url == "/staff/reports/schedules/"
    schedule = ReportSchedule.objects.get(tenant=tenant)
    assert schedule.recipients == ["owner@isp.example", "finance@isp.example"]
    assert schedule.params == {}
    page = client.get("/staff/reports/schedules/").content.decode()
    assert "MRR and churn" in page and "owner@isp.example" in page

    edit = client.post(
        f"/staff/reports/schedules/{schedule.pk}/",
        {**FORM, "tag": "business", "frequency": "weekly", "weekday": "4"},
    )
    assert edit.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.weekday, schedule.day_of_month) == ("weekly", 4, None)
    assert schedule.params == {"tag": "business"}

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/staff/reports/schedules/{schedule.pk}/send/")
    assert sent.status_code == 302
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "finance@isp.example",
        "owner@isp.example",
    ]
    schedule.refresh_from_db()
    assert schedule.last_status == "sent"

    assert client.post(f"/staff/reports/schedules/{schedule.pk}/delete/").status_code == 302
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipients": "owner@isp.example, nobody"}, "recipients"),
        ({"plan": "999999"}, "plan"),
        ({"frequency": "weekly", "weekday": ""}, "weekday"),
        ({"send_time": "7 o'clock"}, "send_time"),
    ],
)
def test_the_form_names_the_field_at_fault(client: Client, tenant, make_staff, change, field):
    client.force_login(make_staff(tenant, "admin"))
    answer = client.post("/staff/reports/schedules/new/", {**FORM, **change})
    assert answer.status_code == 400
    assert f'data-error-field="{field}"' in answer.content.decode()
    assert not ReportSchedule.objects.exists()


def test_console_schedules_keep_to_the_tenant_and_the_roles(
    client: Client, tenant, make_tenant, make_staff
):
    theirs = monthly_mrr(make_tenant())
    client.force_login(make_staff(tenant, "admin"))
    assert client.get(f"/staff/reports/schedules/{theirs.pk}/").status_code == 404
    assert client.post(f"/staff/reports/schedules/{theirs.pk}/delete/").status_code == 404
    assert "owner@isp.example" not in client.get("/staff/reports/schedules/").content.decode()
    assert ReportSchedule.objects.filter(pk=theirs.pk).exists()

    client.force_login(make_staff(tenant, "support"))
    assert client.get("/staff/reports/schedules/").status_code == 403
    assert client.post("/staff/reports/schedules/new/", FORM).status_code == 403
    assert client.get("/staff/reports/marketing-spend/").status_code == 403
    assert not ReportSchedule.objects.filter(tenant=tenant).exists()


def test_marketing_spend_is_entered_once_per_month_and_corrected(
    client: Client, tenant, make_staff
):
    client.force_login(make_staff(tenant, "billing"))
    assert (
        'href="/staff/reports/marketing-spend/"' in client.get("/staff/reports/").content.decode()
    )
    answer = client.post(
        "/staff/reports/marketing-spend/", {"month": "2026-03", "amount": "1250.50", "note": "ads"}
    )
    assert answer.status_code == 302
    spend = MarketingSpend.objects.get(tenant=tenant)
    assert (spend.month, spend.amount) == (D(2026, 3, 1), Decimal("1250.50"))
    assert "€1,250.50" in client.get("/staff/reports/marketing-spend/").content.decode()

    negative = client.post("/staff/reports/marketing-spend/", {"month": "2026-04", "amount": "-5"})
    assert negative.status_code == 400 and 'data-error-field="amount"' in negative.content.decode()
    twice = client.post("/staff/reports/marketing-spend/", {"month": "2026-03", "amount": "9"})
    assert twice.status_code == 400 and 'data-error-field="month"' in twice.content.decode()
    bad_month = client.post("/staff/reports/marketing-spend/", {"month": "2026-13", "amount": "9"})
    assert bad_month.status_code == 400 and 'data-error-field="month"' in bad_month.content.decode()
    assert MarketingSpend.objects.filter(tenant=tenant).count() == 1

    fixed = client.post(
        f"/staff/reports/marketing-spend/{spend.pk}/", {"month": "2026-03", "amount": "1300"}
    )
    assert fixed.status_code == 302
    spend.refresh_from_db()
    assert spend.amount == Decimal("1300")


def test_marketing_spend_of_another_tenant_is_not_found(
    client: Client, tenant, make_tenant, make_staff
):
    theirs = MarketingSpend.objects.create(tenant=make_tenant(), month=D(2026, 1, 1), amount=5)
    client.force_login(make_staff(tenant, "admin"))
    url = f"/staff/reports/marketing-spend/{theirs.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"month": "2026-01", "amount": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.amount == 5


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_schedule_and_spend_pages_pass_axe(
    live_server, chromium, make_tenant, make_staff
):
    from tests.console_browser import log_in, serious_violations

    tenant = make_tenant()
    monthly_mrr(tenant)
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, make_staff(tenant, "billing"))
        page.goto(f"{live_server.url}/staff/reports/schedules/")
        assert page.locator("tr[data-schedule]").count() == 1
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/staff/reports/schedules/new/")
        page.fill("#id_recipients", "not an address")
        page.fill("#id_send_time", "07:00")
        page.click("form.panel button[type=submit]")
        assert page.locator('[data-error-field="recipients"]').count() == 1
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/staff/reports/marketing-spend/")
        assert serious_violations(page) == []
    finally:
        page.close()


def test_the_cli_and_celery_beat_run_the_task_as_logged_jobs(tenant, world, smtp_server):
    from django.conf import settings
    from django.core.management import call_command

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ispstack.reports.send_scheduled" in tasks
    monthly_mrr(tenant)
    out = io.StringIO()
    with clock.simulated(DUE + dt.timedelta(minutes=1)):
        call_command("jobs", "reports", stdout=out)
        outbox.drain()
    assert out.getvalue().strip() == "1 reports sent, 0 failed"
    assert len(smtp_server.messages) == 2
    platform = JobExecution.objects.get(job="ispstack.reports.send_scheduled", tenant=None)
    assert platform.status == "done" and platform.counts == {"sent": 1, "failed": 0}
