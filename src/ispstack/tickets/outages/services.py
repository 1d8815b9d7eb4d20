"""Writes of outages: declare one on a site, sector, NAS or device, change
its expected end, begin a planned one, resolve or cancel it, and group fault
tickets under it.

Rules (a product decision, documented in the README):

- The subscriptions hit are recorded (``OutageImpact``) when the outage is
  declared and not recomputed: what the customers were told and the minutes
  they are credited stay consistent with each other.
- Customers are told at the start (a planned outage: when it is declared)
  and at the end, by email and, when the tenant sends SMS and the customer
  has a mobile number, by text. The notices go through the outbox after the
  declaring transaction commits, one job per phase that works through the
  customers in batches, so a request never sends thousands of messages.
- A fault report (``GROUPED_TYPES``) from a customer hit by an active outage
  is still opened as a ticket (the customer's words are kept) but grouped
  under the outage: no SLA due times (the outage is what is worked), no
  assignee taken from the team's rotation, an acknowledgement email naming
  the outage. Open fault tickets of the hit customers are grouped the same
  way when the outage is declared. Resolving the outage resolves them.
- On resolution every impact gets its ``minutes`` (whole minutes, rounded
  up, from the outage's start to its resolution) and each subscription its
  ``total_outages``, ``total_downtime_minutes`` and ``last_outage_date``.
- Declaring again on a scope that has an open outage returns that outage
  (a double submit declares once); resolving a resolved outage changes
  nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Model, Q
from django.utils.dateparse import parse_datetime
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import Tenant
from ispstack.core.numbering import next_number
from ispstack.network.models import Device, Nas, Sector, Site
from ispstack.subscriptions.models import Subscription
from ispstack.tickets import services as tickets
from ispstack.tickets.choices import OPEN_STATES, TicketState
from ispstack.tickets.models import Outage, OutageCause, OutageImpact, OutageState, Ticket
from ispstack.tickets.outages import selectors
from ispstack.tickets.outages.grouping import GROUPED_TYPES

NOTICE_JOB = "tickets.outage_notice"

#: How far back an outage may be declared (one noticed late).
MAX_BACKDATE = dt.timedelta(days=7)
#: How far ahead a planned outage may be announced.
MAX_AHEAD = dt.timedelta(days=366)

AUDITED = ["number", "state", "cause", "started_at", "expected_end_at", "resolved_at"]

_SCOPE_MODELS: dict[str, type[Model]] = {
    "site": Site,
    "sector": Sector,
    "nas": Nas,
    "device": Device,
}


def _moment(value: Any, field: str) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string with an
    offset; None for None or an empty string."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise InvalidInput("is not an ISO 8601 date and time", field=field)
        value = parsed
    if not isinstance(value, dt.datetime):
        raise InvalidInput("must be a date and time", field=field)
    if value.tzinfo is None:
        raise InvalidInput("needs a UTC offset (e.g. 2026-05-01T10:00:00Z)", field=field)
    return value.astimezone(dt.UTC)


def _scope(tenant: Tenant, values: dict[str, Any]) -> tuple[str, Model]:
    """The one scope row named (a row or an id of the tenant), locked so two
    declarations on it queue."""
    given = {k: v for k, v in values.items() if v not in (None, "")}
    if not given:
        raise InvalidInput("name the site, sector, NAS or device that is down", field="scope")
    if len(given) > 1:
        names = ", ".join(sorted(given))
        raise InvalidInput(
            f"give exactly one of site, sector, nas, device, not {names}", field=sorted(given)[1]
        )
    field, value = next(iter(given.items()))
    model = _SCOPE_MODELS[field]
    pk = value.pk if isinstance(value, model) else inputs.whole_number(value, field)
    row = model.objects.select_for_update().filter(pk=pk, tenant=tenant).first()  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no such {field} in this tenant", field=field)
    return field, row


def _cause(value: Any) -> str:
    text = inputs.text(value, "cause", required=True, max_length=40)
    if text not in OutageCause.values:
        raise InvalidInput(f"'{text}' is not one of {', '.join(OutageCause.values)}", field="cause")
    return text


def _check_end(started: dt.datetime, end: dt.datetime | None) -> None:
    if end is not None and end <= started:
        raise InvalidInput("must be after the start", field="expected_end_at")


def _new_number(tenant: Tenant) -> str:
    day = clock.today(tenant)
    seq = next_number(tenant, "outage", day.year, "{seq}")
    return f"OUT-{day:%Y%m%d}-{int(seq):04d}"


def _notify(outage: Outage, phase: str) -> None:
    if outage.notify_customers and outage.affected_count:
        outbox.enqueue(
            tenant=outage.tenant_id,
            kind=NOTICE_JOB,
            payload={"outage_id": outage.pk, "phase": phase},
        )


def _group_open_tickets(outage: Outage) -> int:
    """Group the hit customers' open fault tickets under ``outage`` and take
    their SLA due times away. Returns how many."""
    customers = OutageImpact.objects.filter(outage=outage).values("customer_id")
    return Ticket.objects.filter(
        tenant=outage.tenant_id,
        outage__isnull=True,
        state__in=OPEN_STATES,
        ticket_type__in=GROUPED_TYPES,
        customer_id__in=customers,
    ).update(
        outage=outage,
        first_response_due_at=None,
        first_response_warn_at=None,
        sla_due_at=None,
        sla_warn_at=None,
        updated_at=clock.now(),
    )


@transaction.atomic
def declare_outage(
    *,
    tenant: Tenant,
    cause: Any,
    site: Any = None,
    sector: Any = None,
    nas: Any = None,
    device: Any = None,
    description: Any = "",
    started_at: Any = None,
    expected_end_at: Any = None,
    notify_customers: Any = True,
    actor: Any = None,
) -> Outage:
    """Declare an outage on exactly one of ``site``, ``sector``, ``nas``,
    ``device`` (a row or id of the tenant), record the subscriptions it hits
    (``selectors.affected_subscriptions``), group their open fault tickets
    under it and queue the customers' notice.

    ``started_at`` (aware datetime or ISO 8601 with offset; default now): a
    time in the future makes a planned outage (state ``planned``, customers
    told now that service will stop then); now or up to ``MAX_BACKDATE`` ago
    an active one. ``expected_end_at`` must be after the start.
    Returns the open outage already on the scope when there is one.
    Audited as ``outage.declare``.

    Raises InvalidInput naming the field (no scope or two: ``scope`` / the
    second one; unknown ``cause``; a malformed or out-of-range time),
    NotFound naming the scope field for an id not of the tenant.
    """
    clean_cause = _cause(cause)
    text = inputs.text(description, "description", max_length=inputs.TEXT_MAX_LENGTH)
    notify = inputs.flag(notify_customers, "notify_customers")
    now = clock.now()
    start = _moment(started_at, "started_at") or now
    if start < now - MAX_BACKDATE:
        raise InvalidInput(f"may be at most {MAX_BACKDATE.days} days ago", field="started_at")
    if start > now + MAX_AHEAD:
        raise InvalidInput("may be at most a year ahead", field="started_at")
    end = _moment(expected_end_at, "expected_end_at")
    _check_end(start, end)
    field, row = _scope(tenant, {"site": site, "sector": sector, "nas": nas, "device": device})

    # A repeated declaration returns the outage already under way (or, for
    # planned work, the one planned at the same start): planned maintenance
    # next month must not swallow a failure now.
    same = Outage.objects.filter(tenant=tenant, state__in=selectors.OPEN, **{field: row})
    if start > now:
        same = same.filter(state=OutageState.PLANNED, started_at=start)
    else:
        same = same.filter(Q(state=OutageState.ACTIVE) | Q(started_at__lte=now))
    existing = same.order_by("-started_at").first()
    if existing is not None:
        return existing

    outage = Outage(
        tenant=tenant,
        number=_new_number(tenant),
        state=OutageState.PLANNED if start > now else OutageState.ACTIVE,
        cause=clean_cause,
        description=text,
        started_at=start,
        expected_end_at=end,
        notify_customers=notify,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{field: row},
    )
    outage.save()
    scope: dict[str, Any] = {field: row}
    hit = selectors.affected_subscriptions(tenant, **scope).values_list("pk", "customer_id")
    impacts = [
        OutageImpact(
            tenant=tenant, outage=outage, subscription_id=sub, customer_id=cust, started_at=start
        )
        for sub, cust in hit
    ]
    OutageImpact.objects.bulk_create(impacts, batch_size=1000)
    outage.affected_count = len(impacts)
    outage.save(update_fields=["affected_count", "updated_at"])
    grouped = _group_open_tickets(outage) if outage.state == OutageState.ACTIVE else 0
    audit.record(
        tenant=tenant,
        actor=actor,
        action="outage.declare",
        obj=outage,
        after={**audit.snapshot(outage, AUDITED), "affected": len(impacts), "grouped": grouped},
    )
    _notify(outage, "start")
    return outage


def _lock(outage: Outage) -> Outage:
    return Outage.objects.select_for_update().select_related("tenant").get(pk=outage.pk)


@transaction.atomic
def update_outage(
    *, outage: Outage, actor: Any = None, notify: Any = False, **changes: Any
) -> Outage:
    """Change an open outage's ``expected_end_at``, ``description`` or
    ``cause``; ``notify`` tells the hit customers again (a new expected end).
    Audited as ``outage.update``.

    Raises InvalidInput naming the field, InvalidTransition for a resolved or
    cancelled outage."""
    inputs.unknown_fields(changes, ("expected_end_at", "description", "cause"))
    again = inputs.flag(notify, "notify")
    locked = _lock(outage)
    if not locked.is_open:
        raise InvalidTransition(f"the outage is {locked.state}", field="state")
    before = audit.snapshot(locked, AUDITED)
    if "expected_end_at" in changes:
        end = _moment(changes["expected_end_at"], "expected_end_at")
        _check_end(locked.started_at, end)
        locked.expected_end_at = end
    if "description" in changes:
        locked.description = inputs.text(
            changes["description"], "description", max_length=inputs.TEXT_MAX_LENGTH
        )
    if "cause" in changes:
        locked.cause = _cause(changes["cause"])
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="outage.update",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, AUDITED),
    )
    if again and locked.notify_customers and locked.affected_count:
        outbox.enqueue(
            tenant=locked.tenant_id,
            kind=NOTICE_JOB,
            payload={"outage_id": locked.pk, "phase": "update", "at": clock.now().isoformat()},
        )
    return locked


@transaction.atomic
def begin_outage(*, outage: Outage, actor: Any = None) -> Outage:
    """A planned outage's window opens: it becomes active and groups the hit
    customers' fault tickets. An active one is returned as it is.

    Raises InvalidTransition for a resolved or cancelled one, or one whose
    start is still ahead."""
    locked = _lock(outage)
    if locked.state == OutageState.ACTIVE:
        return locked
    if locked.state != OutageState.PLANNED:
        raise InvalidTransition(f"the outage is {locked.state}", field="state")
    if locked.started_at > clock.now():
        raise InvalidTransition("its start is still ahead", field="started_at")
    locked.begin()
    locked.save()
    _group_open_tickets(locked)
    audit.record(tenant=locked.tenant, actor=actor, action="outage.begin", obj=locked)
    return locked


def begin_due_outages(*, now: dt.datetime | None = None) -> list[int]:
    """Begin every planned outage whose start has come (the periodic task).
    Returns their ids."""
    moment = now or clock.now()
    due = Outage.objects.filter(state=OutageState.PLANNED, started_at__lte=moment)
    begun = []
    for outage in due:
        try:
            begin_outage(outage=outage)
        except InvalidTransition:
            continue  # cancelled since the query: the others still begin
        begun.append(outage.pk)
    return begun


@transaction.atomic
def resolve_outage(
    *, outage: Outage, resolved_at: Any = None, actor: Any = None, note: Any = ""
) -> Outage:
    """Service is back: the outage is resolved at ``resolved_at`` (default
    now; not before its start nor in the future), each impact gets its
    ``minutes`` and each hit subscription its counters, the grouped open
    tickets are resolved and the customers' notice is queued. A planned
    outage whose start has come is begun first. Resolving a resolved outage
    returns it unchanged. Audited as ``outage.resolve``.

    Raises InvalidInput naming ``resolved_at``, InvalidTransition for a
    cancelled outage or a planned one not yet begun (cancel it instead)."""
    why = inputs.text(note, "note", max_length=1000)
    now = clock.now()
    end = _moment(resolved_at, "resolved_at") or now
    locked = _lock(outage)
    if locked.state == OutageState.RESOLVED:
        return locked
    if locked.state == OutageState.PLANNED and locked.started_at > now:
        raise InvalidTransition("it has not begun: cancel it instead", field="state")
    if end > now:
        raise InvalidInput("may not be in the future", field="resolved_at")
    if end < locked.started_at:
        raise InvalidInput("may not be before the outage started", field="resolved_at")
    try:
        locked.resolve()
    except TransitionNotAllowed:
        raise InvalidTransition(f"the outage is {locked.state}", field="state") from None
    locked.resolved_at = end
    locked.resolved_by = actor if getattr(actor, "pk", None) else None
    locked.save()

    minutes = math.ceil((end - locked.started_at).total_seconds() / 60)
    impacts = OutageImpact.objects.filter(outage=locked)
    impacts.update(ended_at=end, minutes=minutes, updated_at=now)
    day = locked.started_at.astimezone(ZoneInfo(locked.tenant.timezone)).date()
    Subscription.objects.filter(pk__in=impacts.values("subscription_id")).update(
        total_outages=F("total_outages") + 1,
        total_downtime_minutes=F("total_downtime_minutes") + minutes,
        last_outage_date=day,
    )
    resolved = []
    for ticket in Ticket.objects.filter(outage=locked, state__in=OPEN_STATES):
        tickets.change_state(
            ticket=ticket,
            state=TicketState.RESOLVED,
            actor=actor,
            reason=f"outage {locked.number} resolved",
        )
        resolved.append(ticket.pk)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="outage.resolve",
        obj=locked,
        after={**audit.snapshot(locked, AUDITED), "minutes": minutes, "tickets": resolved},
        reason=why,
    )
    _notify(locked, "end")
    return locked


@transaction.atomic
def cancel_outage(*, outage: Outage, actor: Any = None, note: Any = "") -> Outage:
    """Call off a planned outage before it begins; customers told of it are
    told it is off. A cancelled outage is returned as it is. Audited as
    ``outage.cancel``.

    Raises InvalidTransition for an active or resolved outage."""
    why = inputs.text(note, "note", max_length=1000)
    locked = _lock(outage)
    if locked.state == OutageState.CANCELLED:
        return locked
    try:
        locked.cancel()
    except TransitionNotAllowed:
        raise InvalidTransition(
            f"only a planned outage is cancelled; this one is {locked.state}", field="state"
        ) from None
    locked.save()
    # Called off before it began: no subscriber was down, so no downtime.
    locked.impacts.update(ended_at=F("started_at"), minutes=0)
    audit.record(tenant=locked.tenant, actor=actor, action="outage.cancel", obj=locked, reason=why)
    _notify(locked, "end")
    return locked
