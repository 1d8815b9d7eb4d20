"""Writes of the reports app: the marketing spend per month, report
schedules, and the sending of a scheduled report.

A due schedule is sent by ``send_due_report``: under the schedule's row lock
it builds the report's table (``reports.registry``) for the period the
schedule names, relative to the local day it is due, writes the XLSX file
into a ``ReportDelivery`` (unique per schedule and due instant) with one
outbox job per recipient (``reports.send_report``, ``jobs.py``), and moves
``next_run_at`` on, all in one transaction: a second run or a second worker
finds the schedule locked or no longer due, and a rolled-back run sends
nothing. A report that fails to build records its error on the schedule,
moves ``next_run_at`` on all the same (a retry every minute would fail the
same way until someone fixes the cause), and raises ``ReportFailed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.clock import month_end
from ispstack.core.errors import Conflict, InvalidInput, ServiceError
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.job_log import error_text
from ispstack.core.models import Tenant
from ispstack.reports import exports, registry
from ispstack.reports.models import (
    Frequency,
    MarketingSpend,
    RelativeRange,
    ReportDelivery,
    ReportSchedule,
)
from ispstack.reports.selectors import months_before

SEND_JOB = "reports.send_report"
#: Fields a schedule's input may hold (API body, console form).
SCHEDULE_FIELDS = (
    "report",
    "params",
    "period",
    "frequency",
    "weekday",
    "day_of_month",
    "send_time",
    "recipients",
    "is_active",
)
#: At most this many addresses per schedule: a report goes to a team, not a
#: mailing list (a product default; a list belongs on the mail server).
MAX_RECIPIENTS = 20
#: Longest filter value a schedule keeps (filters are ids and short tags).
PARAM_MAX = 100
#: Days looked ahead for the next run: a monthly schedule recurs within 31
#: days, plus a day either side for the time zone.
LOOKAHEAD_DAYS = 33
#: Fields that decide when a schedule runs next.
TIMING = ("frequency", "weekday", "day_of_month", "send_time", "is_active")
AUDITED = ["report", "params", "period", "frequency", "weekday", "day_of_month", "recipients"]


class ReportFailed(Exception):
    """A scheduled report could not be built; the error is on the schedule."""


# --- periods and due times ------------------------------------------------


def period_of(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day ``period`` (a ``RelativeRange``) covers when
    due on the local date ``day``. Full-month ranges end with the month
    before ``day``'s; "to date" ranges end on ``day``.

    Raises InvalidInput (field ``period``) for an unknown period.
    """
    this_month = day.replace(day=1)
    last_month = months_before(this_month, 1)
    if period == RelativeRange.MONTH_TO_DATE:
        return this_month, day
    if period == RelativeRange.LAST_MONTH:
        return last_month, month_end(last_month)
    if period == RelativeRange.LAST_3_MONTHS:
        return months_before(this_month, 3), month_end(last_month)
    if period == RelativeRange.LAST_12_MONTHS:
        return months_before(this_month, 12), month_end(last_month)
    if period == RelativeRange.YEAR_TO_DATE:
        return day.replace(month=1, day=1), day
    raise InvalidInput(
        f"'{period}' is not a period; one of {', '.join(RelativeRange.values)}", field="period"
    )


def _runs_on(day: dt.date, frequency: str, weekday: int | None, day_of_month: int | None) -> bool:
    if frequency == Frequency.WEEKLY:
        return day.weekday() == weekday
    if frequency == Frequency.MONTHLY:
        assert day_of_month is not None
        return day == clock.clamp_day(day.year, day.month, day_of_month)
    return True


def next_run(
    *,
    frequency: str,
    send_time: dt.time,
    timezone: str,
    after: dt.datetime,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> dt.datetime:
    """The first instant strictly after ``after`` (aware) at which a schedule
    runs, as aware UTC: ``send_time`` on the tenant's wall clock
    (``timezone``, an IANA name) every day, on ``weekday`` (0 Monday) or on
    ``day_of_month``, clamped to the month's last day (31 is the 30th in
    April, the 28th or 29th in February).

    Across a DST change the wall-clock time holds: a time the clocks skip
    (02:30 on the spring-forward night in Europe) is read with the offset
    before the change, so it is sent an hour later on the wall clock
    (03:30); a time that occurs twice (the autumn night) is sent at its
    first occurrence (``fold=0``, PEP 495).
    """
    zone = ZoneInfo(timezone)
    day = after.astimezone(zone).date()
    for offset in range(LOOKAHEAD_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if not _runs_on(candidate, frequency, weekday, day_of_month):
            continue
        moment = dt.datetime.combine(candidate, send_time.replace(tzinfo=None), tzinfo=zone)
        if moment.astimezone(dt.UTC) > after:
            return moment.astimezone(dt.UTC)
    raise AssertionError(f"no run of a {frequency} schedule within {LOOKAHEAD_DAYS} days")


def schedule_next_run(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    """``next_run`` of ``schedule`` (its tenant's time zone) after ``after``."""
    return next_run(
        frequency=schedule.frequency,
        send_time=schedule.send_time,
        timezone=schedule.tenant.timezone,
        after=after,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
    )


# --- schedule input -----------------------------------------------------------


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None, microsecond=0)
    text = inputs.text(value, "send_time", required=True)
    try:
        return dt.time.fromisoformat(text).replace(tzinfo=None, microsecond=0)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a time (HH:MM)", field="send_time") from None


def _choice(value: Any, field: str, choices: list[str]) -> str:
    text = inputs.text(value, field, required=True)
    if text not in choices:
        raise InvalidInput(f"'{text}' is not one of {', '.join(choices)}", field=field)
    return text


def _recipients(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").replace("\n", ",").split(",")
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list of email addresses", field="recipients")
    addresses: list[str] = []
    for item in value:
        address = inputs.text(item, "recipients", max_length=254)
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(f"'{address}' is not an email address", field="recipients") from None
        if address.lower() not in (a.lower() for a in addresses):
            addresses.append(address)
    if not addresses:
        raise InvalidInput("give at least one email address", field="recipients")
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidInput(f"at most {MAX_RECIPIENTS} addresses", field="recipients")
    return addresses


def _params(tenant: Tenant, spec: registry.ReportSpec, value: Any, period: str) -> dict[str, str]:
    if value in (None, ""):
        value = {}
    if not isinstance(value, Mapping):
        raise InvalidInput("must be an object of filter names and values", field="params")
    clean: dict[str, str] = {}
    for name, raw in value.items():
        if name not in spec.filters:
            allowed = ", ".join(spec.filters) or "none"
            raise InvalidInput(
                f"'{name}' is not a filter of this report; it takes: {allowed}",
                field=f"params.{name}",
            )
        if raw is None or isinstance(raw, bool):
            raise InvalidInput("must be a string or a number", field=f"params.{name}")
        text = inputs.text(
            str(raw) if isinstance(raw, int) else raw, f"params.{name}", max_length=PARAM_MAX
        )
        if text:
            clean[str(name)] = text
    # The report's own parser judges the values, on the period a run due
    # today would cover.
    dates = spec.period(*period_of(period, clock.today(tenant)))
    try:
        spec.validate(tenant, {**clean, **dates})
    except ServiceError as exc:
        field = exc.field if exc.field in dates or exc.field is None else f"params.{exc.field}"
        raise InvalidInput(exc.message, field=field) from None
    return clean


def check_schedule_input(
    tenant: Tenant, data: Mapping[str, Any], current: ReportSchedule | None = None
) -> dict[str, Any]:
    """A schedule's input checked whole: ``data`` (fields of
    ``SCHEDULE_FIELDS``) over the values of ``current`` (an update) or the
    defaults (a new schedule). Returns the model's values.

    Raises InvalidInput naming the field: an unknown field or report, a
    filter the report does not take or refuses (``params.<name>``), a
    weekly schedule without a weekday (0-6), a monthly one without a day of
    month (1-31), a bad time, a recipient that is not an email address.
    """
    inputs.unknown_fields(data, SCHEDULE_FIELDS)
    merged: dict[str, Any] = {
        "params": {},
        "period": RelativeRange.LAST_MONTH,
        "is_active": True,
        "weekday": None,
        "day_of_month": None,
    }
    if current is not None:
        merged.update({f: getattr(current, f) for f in SCHEDULE_FIELDS})
    merged.update(data)
    for required in ("report", "frequency", "send_time", "recipients"):
        if merged.get(required) in (None, "", [], ()):
            raise InvalidInput("is required", field=required)
    spec = registry.get(inputs.text(merged["report"], "report"))
    clean: dict[str, Any] = {
        "report": spec.slug,
        "period": _choice(merged["period"], "period", list(RelativeRange.values)),
        "frequency": _choice(merged["frequency"], "frequency", list(Frequency.values)),
        "send_time": _time(merged["send_time"]),
        "is_active": inputs.flag(merged["is_active"], "is_active"),
        "weekday": None,
        "day_of_month": None,
    }
    if clean["frequency"] == Frequency.WEEKLY:
        if merged["weekday"] in (None, ""):
            raise InvalidInput(
                "a weekly report needs its weekday (0 Monday to 6 Sunday)", field="weekday"
            )
        clean["weekday"] = inputs.whole_number(merged["weekday"], "weekday")
        if not 0 <= clean["weekday"] <= 6:
            raise InvalidInput("must be 0 (Monday) to 6 (Sunday)", field="weekday")
    if clean["frequency"] == Frequency.MONTHLY:
        if merged["day_of_month"] in (None, ""):
            raise InvalidInput(
                "a monthly report needs its day of month (1-31)", field="day_of_month"
            )
        clean["day_of_month"] = inputs.whole_number(merged["day_of_month"], "day_of_month")
        if not 1 <= clean["day_of_month"] <= 31:
            raise InvalidInput("must be 1 to 31", field="day_of_month")
    clean["recipients"] = _recipients(merged["recipients"])
    clean["params"] = _params(tenant, spec, merged["params"], clean["period"])
    return clean


# --- schedule writes ------------------------------------------------------------


@transaction.atomic
def create_schedule(*, tenant: Tenant, actor: Any = None, **data: Any) -> ReportSchedule:
    """Schedule a report (see ``check_schedule_input`` for the fields and
    errors); its first run is the next matching instant from now."""
    schedule = ReportSchedule(
        tenant=tenant,
        created_by=actor if getattr(actor, "pk", None) else None,
        **check_schedule_input(tenant, data),
    )
    schedule.next_run_at = schedule_next_run(schedule, clock.now())
    schedule.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="report_schedule.create",
        obj=schedule,
        after=audit.snapshot(schedule, AUDITED),
    )
    return schedule


@transaction.atomic
def update_schedule(*, schedule: ReportSchedule, actor: Any = None, **data: Any) -> ReportSchedule:
    """Change a schedule (any of ``SCHEDULE_FIELDS``; the others keep their
    values). Its next run is computed again from now only when a field of
    ``TIMING`` changes: adding a recipient must not skip a run due today."""
    schedule = (
        ReportSchedule.objects.select_for_update().select_related("tenant").get(pk=schedule.pk)
    )
    before = audit.snapshot(schedule, AUDITED)
    timing = [getattr(schedule, field) for field in TIMING]
    for field, value in check_schedule_input(schedule.tenant, data, schedule).items():
        setattr(schedule, field, value)
    if timing != [getattr(schedule, field) for field in TIMING]:
        schedule.next_run_at = schedule_next_run(schedule, clock.now())
    schedule.save()
    audit.record(
        tenant=schedule.tenant,
        actor=actor,
        action="report_schedule.update",
        obj=schedule,
        before=before,
        after=audit.snapshot(schedule, AUDITED),
    )
    return schedule


@transaction.atomic
def delete_schedule(*, schedule: ReportSchedule, actor: Any = None) -> None:
    """Delete a schedule and the files it sent; its mails still queued are
    dropped (the report is no longer wanted, and their file is gone)."""
    schedule = (
        ReportSchedule.objects.select_for_update().select_related("tenant").get(pk=schedule.pk)
    )
    audit.record(
        tenant=schedule.tenant,
        actor=actor,
        action="report_schedule.delete",
        obj=schedule,
        before=audit.snapshot(schedule, AUDITED),
    )
    schedule.delete()


def _deliver(schedule: ReportSchedule, due_at: dt.datetime) -> ReportDelivery:
    """Build the report due at ``due_at``, store the file and queue one mail
    per recipient (in the caller's transaction); the schedule's files due
    more than ``REPORT_DELIVERY_RETENTION_DAYS`` before it are deleted."""
    spec = registry.get(schedule.report)
    tenant = schedule.tenant
    day = due_at.astimezone(ZoneInfo(tenant.timezone)).date()
    first, last = period_of(schedule.period, day)
    table = spec.build(tenant, {**schedule.params, **spec.period(first, last)})
    delivery = ReportDelivery.objects.create(
        tenant=tenant,
        schedule=schedule,
        due_at=due_at,
        period_start=first,
        period_end=last,
        recipients=list(schedule.recipients),
        filename=f"{spec.slug}-{tenant.slug}-{day.isoformat()}.xlsx",
        content=exports.to_xlsx(table, str(spec.title)),
    )
    outbox.enqueue_many(
        [(tenant, SEND_JOB, {"delivery_id": delivery.pk, "to": to}) for to in delivery.recipients]
    )
    kept_from = due_at - dt.timedelta(days=settings.REPORT_DELIVERY_RETENTION_DAYS)
    ReportDelivery.objects.filter(schedule=schedule, due_at__lt=kept_from).delete()
    return delivery


def _run(schedule: ReportSchedule, due_at: dt.datetime) -> tuple[ReportDelivery | None, str]:
    """Deliver under a savepoint; returns the delivery (None: this due time
    was delivered already) and the error text ("" when it went)."""
    try:
        with transaction.atomic():
            return _deliver(schedule, due_at), ""
    except IntegrityError as exc:
        if ReportDelivery.objects.filter(schedule=schedule, due_at=due_at).exists():
            return None, ""
        return None, error_text(exc)
    except Exception as exc:  # noqa: BLE001 - any failure is the schedule's to show
        return None, error_text(exc)


def send_due_report(*, schedule_id: int, now: dt.datetime | None = None) -> ReportDelivery | None:
    """Send the schedule ``schedule_id`` if it is active and due at ``now``
    (aware UTC, default the clock's), and move its next run past ``now``
    (missed runs are not sent one by one). Returns the delivery, or None
    when the schedule was not due, is being sent by another worker, or this
    due time was sent already.

    Raises ReportFailed, after recording the error on the schedule, when
    the report could not be built.
    """
    now = now or clock.now()
    with transaction.atomic():
        schedule = (
            ReportSchedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("tenant")
            .filter(pk=schedule_id, is_active=True, next_run_at__lte=now)
            .first()
        )
        if schedule is None or schedule.next_run_at is None:
            return None
        due_at = schedule.next_run_at
        delivery, error = _run(schedule, due_at)
        schedule.last_run_at = now
        schedule.last_status = ReportSchedule.Status.FAILED if error else ReportSchedule.Status.SENT
        schedule.last_error = error
        schedule.next_run_at = schedule_next_run(schedule, max(now, due_at))
        schedule.save(
            update_fields=["last_run_at", "last_status", "last_error", "next_run_at", "updated_at"]
        )
    if error:
        raise ReportFailed(error)
    return delivery


@transaction.atomic
def send_now(*, schedule: ReportSchedule, actor: Any = None) -> ReportDelivery:
    """Send a schedule's report at once (a clerk checks it, or a failed run
    was fixed), for the period it would cover today; the next scheduled run
    stays as it is. Raises the report's own error (InvalidInput, NotFound)
    when it cannot be built, Conflict when it was sent this very instant."""
    schedule = (
        ReportSchedule.objects.select_for_update().select_related("tenant").get(pk=schedule.pk)
    )
    try:
        with transaction.atomic():
            delivery = _deliver(schedule, clock.now())
    except IntegrityError:
        raise Conflict("this report is being sent right now", field="schedule") from None
    schedule.last_run_at = delivery.due_at
    schedule.last_status = ReportSchedule.Status.SENT
    schedule.last_error = ""
    schedule.save(update_fields=["last_run_at", "last_status", "last_error", "updated_at"])
    audit.record(
        tenant=schedule.tenant,
        actor=actor,
        action="report_schedule.send_now",
        obj=schedule,
        after={"delivery": delivery.pk, "recipients": delivery.recipients},
    )
    return delivery


# --- marketing spend ------------------------------------------------------------


@integrity_conflicts()
@transaction.atomic
def save_marketing_spend(
    *,
    tenant: Tenant,
    month: Any,
    amount: Any,
    note: Any = "",
    spend: MarketingSpend | None = None,
    actor: Any = None,
) -> MarketingSpend:
    """Enter (``spend`` None) or correct the marketing spend of ``month``
    (any day of it, or ``YYYY-MM``; stored as its first day): ``amount`` in
    the tenant's currency, zero or more.

    Raises InvalidInput (``month``: not a month or in the future;
    ``amount``: not a number or negative), Conflict (``month``) when the
    month has its amount already: one row per month, as CAC divides each
    month's spend by its new customers (docs/metrics.md).
    """
    text = inputs.text(month if isinstance(month, str) else str(month or ""), "month")
    if not text:
        raise InvalidInput("is required", field="month")
    first = inputs.day(f"{text}-01" if len(text) == 7 else text, "month").replace(day=1)
    if first > clock.today(tenant):
        raise InvalidInput("must not be a month in the future", field="month")
    value = amount if isinstance(amount, Decimal) else inputs.decimal_number(amount, "amount")
    if value < 0:
        raise InvalidInput("must not be negative", field="amount")
    values = {"month": first, "amount": value, "note": inputs.text(note, "note", max_length=200)}
    inputs.check_values(MarketingSpend, values)
    before = None
    if spend is None:
        spend = MarketingSpend(tenant=tenant)
    else:
        spend = MarketingSpend.objects.select_for_update().get(pk=spend.pk, tenant=tenant)
        before = {"month": str(spend.month), "amount": str(spend.amount), "note": spend.note}
    for field, new in values.items():
        setattr(spend, field, new)
    spend.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="marketing_spend.save",
        obj=spend,
        before=before,
        after={"month": str(first), "amount": str(value), "note": spend.note},
    )
    return spend
