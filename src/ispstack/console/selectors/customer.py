"""Reads of the Customer 360 page: the header and one function per panel.

Each function runs a fixed number of queries whatever the number of
subscriptions, invoices or payments (prefetches and grouped reads, never a
query per row), so the page costs the same for a customer of five years as
for one of a month. Callers pass a customer they already scoped to the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast

from ispstack.billing.credit_notes import CREDITABLE
from ispstack.billing.models import OPEN_STATUSES, CreditNote, Invoice
from ispstack.billing.periods import anchor_on_or_before, next_anchor
from ispstack.billing.selectors import (
    UNINVOICED_CHARGES_SQL,
    estimate_list_sql,
    estimate_rows,
)
from ispstack.collections.models import (
    DunningAction,
    DunningActionLog,
    DunningExecution,
    Reminder,
)
from ispstack.core import clock, json_rows, prepared
from ispstack.core.models import AuditLog, Tenant
from ispstack.core.paging import Page, page_of
from ispstack.core.tenancy import visible_tenant
from ispstack.customers.models import Customer
from ispstack.network.models import Nas
from ispstack.notifications.models import EmailLog
from ispstack.payments.models import Allocation, CustomerPaymentMethod, Payment
from ispstack.payments.selectors import balance_sql
from ispstack.radius.models import RadAcct, RadAcctArchive
from ispstack.subscriptions.models import ServiceAction, Subscription, SubscriptionStatus
from ispstack.tickets.outages import selectors as outage_selectors
from ispstack.usage.models import DailyUsage, TopUp

SESSION_HISTORY = 20
PAGE_SIZE = 12
AUDIT_PAGE_SIZE = 25
REMINDER_LIMIT = 20


@dataclass
class Head:
    """The head of the Customer 360: the customer with its tenant, its
    balance (``payments.selectors.balance``; None when not asked for) and
    its subscriptions with plan, tax rate, billing state, address and NAS
    (what ``billing.selectors.next_invoice`` reads), active first."""

    customer: Customer
    balance: Decimal | None
    subscriptions: list[Subscription]


def customer_head(pk: int, user: Any, *, balance: bool) -> Head | None:
    """The ``Head`` of customer ``pk`` if ``user`` may see it
    (``core.tenancy.visible_tenant``, the rule ``scope`` applies),
    the balance only when ``balance``, in 1 prepared statement
    (``core.prepared``): on the page clerks open most, compiling the
    customer's and the subscriptions' queries cost more than running them.
    None when there is no such customer for the user."""
    params: list[Any] = []
    owed = "NULL"
    if balance:
        owed = balance_sql("c.id")
        params.append([str(status) for status in OPEN_STATUSES])
    params.append(pk)
    where = "c.id = %s"
    tenant_id = visible_tenant(user)
    if tenant_id is not None:
        where += " AND c.tenant_id = %s"
        params.append(tenant_id)
    sql = (
        "SELECT json_build_array(row_to_json(c), row_to_json(t))::text, "
        f"{owed}, {estimate_list_sql(True, 'c.id', 'c.tenant_id')}"
        f" FROM {Customer._meta.db_table} c JOIN {Tenant._meta.db_table} t ON t.id = c.tenant_id"
        f" WHERE {where}"
    )
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    rows, owed_value, services = found
    customer_row, tenant_row = json_rows.loads(rows)
    customer = json_rows.instance(Customer, customer_row)
    json_rows.attach(customer, "tenant", json_rows.instance(Tenant, tenant_row))
    return Head(
        customer=customer,
        balance=None if owed_value is None else Decimal(owed_value),
        subscriptions=_active_first(estimate_rows(services, with_nas=True)),
    )


def subscriptions_with_customer(subscriptions: QuerySet[Subscription]) -> list[Subscription]:
    """``subscriptions`` (one customer's, scoped to the user) as
    ``customer_head`` reads them, each with its customer and the
    customer's tenant: a panel that needs the customer only beside its
    subscriptions reads both in 1 query."""
    return _active_first(
        subscriptions.select_related(
            "plan__tax_rate", "billing_state", "ip_address", "nas", "customer__tenant"
        )
    )


def _active_first(subscriptions: QuerySet[Subscription] | list[Subscription]) -> list[Subscription]:
    order = {SubscriptionStatus.ACTIVE: 0, SubscriptionStatus.SUSPENDED: 1}
    subs = list(subscriptions)
    subs.sort(key=lambda s: (order.get(s.status, 2), s.pk))
    return subs


def online_session(usernames: list[str]) -> RadAcct | None:
    """The newest open accounting session of these usernames, if any (1 query)."""
    if not usernames:
        return None
    return (
        RadAcct.objects.filter(username__in=usernames, acctstoptime__isnull=True)
        .order_by("-acctstarttime")
        .first()
    )


def cycle_bounds(sub: Subscription, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the subscription's monthly usage cycle holding ``today``."""
    return (
        anchor_on_or_before(today, sub.billing_day),
        next_anchor(today, sub.billing_day) - dt.timedelta(days=1),
    )


@dataclass
class CycleUsage:
    """A subscription's use of its current cycle: bytes used and allowed (None: no cap)."""

    start: dt.date
    end: dt.date
    used_bytes: int = 0
    allowance_bytes: int | None = None
    days: list[DailyUsage] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        if not self.allowance_bytes:
            return None
        return min(self.used_bytes * 100 // self.allowance_bytes, 999)


def cycle_usage(subs: list[Subscription], today: dt.date) -> dict[int, CycleUsage]:
    """Each subscription's usage of its current cycle, by subscription id
    (2 queries: the days since the earliest cycle start, and the top-ups of
    capped plans when there is one)."""
    if not subs:
        return {}
    earliest = min(cycle_bounds(sub, today)[0] for sub in subs)
    rows = DailyUsage.objects.filter(
        subscription__in=[s.pk for s in subs], day__gte=earliest, day__lte=today
    ).order_by("day")
    capped = [s.pk for s in subs if s.plan.data_cap_bytes is not None]
    topups = TopUp.objects.filter(subscription__in=capped, cycle_start__gte=earliest).values_list(
        "subscription_id", "cycle_start", "extra_bytes"
    )
    return _cycle_usage_of(subs, today, rows, topups if capped else [])


def _cycle_usage_of(
    subs: list[Subscription],
    today: dt.date,
    rows: Iterable[DailyUsage],
    topups: Iterable[tuple[int, dt.date, int]],
) -> dict[int, CycleUsage]:
    """``cycle_usage`` from the daily rows (oldest first) and the top-ups
    (subscription id, cycle start, bytes) read since the earliest cycle start."""
    result = {}
    for sub in subs:
        start, end = cycle_bounds(sub, today)
        result[sub.pk] = CycleUsage(start=start, end=end)
    for row in rows:
        usage = result[row.subscription_id]
        if usage.start <= row.day <= usage.end:
            usage.days.append(row)
            usage.used_bytes += row.input_octets + row.output_octets
    extra: dict[int, int] = {}
    for sub_id, cycle_start, extra_bytes in topups:
        if cycle_start == result[sub_id].start:
            extra[sub_id] = extra.get(sub_id, 0) + extra_bytes
    for sub in subs:
        if sub.plan.data_cap_bytes is not None:
            result[sub.pk].allowance_bytes = int(sub.plan.data_cap_bytes) + extra.get(sub.pk, 0)
    return result


@dataclass
class Overview:
    """What the page reads in one statement after the customer and its
    subscriptions (see ``overview``); a figure not asked for is None."""

    online: RadAcct | None = None
    charges: list[tuple[int, Decimal, Decimal]] | None = None
    outage_ids: list[int] | None = None
    usage: dict[int, CycleUsage] | None = None
    uptime: dict[int, Decimal] | None = None


def overview(
    customer: Customer,
    subs: list[Subscription],
    today: dt.date,
    *,
    online: bool = False,
    charges: bool = False,
    outages: bool = False,
    usage: bool = False,
    uptime: bool = False,
) -> Overview:
    """The figures asked for, in one statement (none: no query): ``online``
    as ``online_session``, the uninvoiced ``charges`` of the active
    subscriptions for ``billing.selectors.next_invoice`` (subscription id,
    amount, tax rate in percent), the ids of the planned or active
    ``outages`` hitting the customer (``open_outages_of_customer`` reads
    them), ``usage`` as ``cycle_usage`` and ``uptime`` as
    ``tickets.outages.selectors.uptime_percents`` of ``subs``. One statement
    because on the page clerks open most, compiling a query per figure and
    building its rows cost more than reading them."""
    parts: list[str] = []
    params: list[Any] = []
    ids = [s.pk for s in subs]
    if online:
        parts.append(
            json_rows.json_list(
                f"SELECT * FROM {RadAcct._meta.db_table} WHERE username = ANY(%s)"
                " AND acctstoptime IS NULL ORDER BY acctstarttime DESC LIMIT 1"
            )
        )
        params.append([s.username for s in subs])
    if charges:
        parts.append(json_rows.json_list(UNINVOICED_CHARGES_SQL))
        params.append([s.pk for s in subs if s.status == SubscriptionStatus.ACTIVE])
    if outages:
        parts.append(outage_selectors.OPEN_OUTAGE_IDS_SQL)
        params += [customer.tenant_id, customer.pk, [str(s) for s in outage_selectors.OPEN]]
    earliest = min((cycle_bounds(s, today)[0] for s in subs), default=today)
    capped = [s.pk for s in subs if s.plan.data_cap_bytes is not None]
    if usage:
        parts.append(
            json_rows.json_list(
                f"SELECT * FROM {DailyUsage._meta.db_table} WHERE subscription_id = ANY(%s)"
                " AND day >= %s AND day <= %s ORDER BY day"
            )
        )
        parts.append(
            json_rows.json_list(
                f"SELECT subscription_id, cycle_start, extra_bytes FROM {TopUp._meta.db_table}"
                " WHERE subscription_id = ANY(%s) AND cycle_start >= %s"
            )
        )
        params += [ids, earliest, today, capped, earliest]
    end = clock.now()
    start = end - dt.timedelta(days=outage_selectors.UPTIME_WINDOW_DAYS)
    if uptime:
        parts.append(json_rows.json_list(outage_selectors.UPTIME_SPANS_SQL))
        params += [ids, end, start]
    found = Overview()
    if not parts:
        return found
    with prepared.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        values = list(cursor.fetchone())
    if online:
        found.online = next(iter(json_rows.instances(RadAcct, values.pop(0))), None)
    if charges:
        found.charges = [
            (row["subscription_id"], Decimal(row["amount"]), Decimal(row["tax_rate"]))
            for row in json_rows.loads(values.pop(0))
        ]
    if outages:
        found.outage_ids = sorted(values.pop(0))
    if usage:
        days = json_rows.instances(DailyUsage, values.pop(0))
        topups = [
            (row["subscription_id"], dt.date.fromisoformat(row["cycle_start"]), row["extra_bytes"])
            for row in json_rows.loads(values.pop(0))
        ]
        found.usage = _cycle_usage_of(subs, today, days, topups if capped else [])
    if uptime:
        spans = [
            (
                row["subscription_id"],
                dt.datetime.fromisoformat(row["started_at"]),
                dt.datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
            )
            for row in json_rows.loads(values.pop(0))
        ]
        found.uptime = outage_selectors.uptime_from_spans(ids, spans, start=start, end=end)
    return found


@dataclass(frozen=True)
class Bar:
    """One day of the usage chart, in SVG user units."""

    day: dt.date
    total: int
    cumulative: int
    x: float
    y: float
    height: float


@dataclass
class UsageChart:
    """The daily usage chart of a cycle: bars per day, the cap line, the scale."""

    usage: CycleUsage
    bars: list[Bar]
    width: int
    height: int
    bar_width: float
    cap_y: float | None
    cumulative_points: str


CHART_WIDTH, CHART_HEIGHT = 620, 200


def usage_chart(usage: CycleUsage) -> UsageChart:
    """Bars of each day's bytes and the running total against the allowance,
    scaled to the larger of the allowance and the total (no queries)."""
    days = (usage.end - usage.start).days + 1
    by_day = {row.day: row.input_octets + row.output_octets for row in usage.days}
    scale_top = max(usage.allowance_bytes or 0, usage.used_bytes, 1)
    slot = CHART_WIDTH / days
    bars, points, running = [], [], 0
    for i in range(days):
        day = usage.start + dt.timedelta(days=i)
        total = by_day.get(day, 0)
        running += total
        height = total * CHART_HEIGHT / scale_top
        x = round(i * slot, 2)
        bars.append(
            Bar(
                day=day,
                total=total,
                cumulative=running,
                x=x,
                y=round(CHART_HEIGHT - height, 2),
                height=round(height, 2),
            )
        )
        if day in by_day or i == 0:
            top = round(CHART_HEIGHT - running * CHART_HEIGHT / scale_top, 2)
            points.append(f"{round(x + slot / 2, 2)},{top}")
    cap_y = (
        round(CHART_HEIGHT - usage.allowance_bytes * CHART_HEIGHT / scale_top, 2)
        if usage.allowance_bytes
        else None
    )
    return UsageChart(
        usage=usage,
        bars=bars,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bar_width=round(max(slot - 2, 1), 2),
        cap_y=cap_y,
        cumulative_points=" ".join(points),
    )


def invoices(customer: Customer, page: int = 1) -> Page:
    """A page of the customer's invoices, newest first, each with the
    reminders sent for it as ``invoice.reminders_sent`` (``InvoiceReminder``
    rows, first sent first; see ``invoice_reminders``): 1 query, 4 when the
    page has reminders."""
    rows = page_of(
        Invoice.objects.filter(customer=customer).order_by("-issue_date", "-pk"), page, PAGE_SIZE
    )
    sent = invoice_reminders(customer, rows.rows)
    for invoice in rows.rows:
        invoice.reminders_sent = sent.get(invoice.pk, [])
    return rows


@dataclass(frozen=True)
class InvoiceReminder:
    """A payment reminder sent for one invoice: ``level`` (1 for the first),
    ``sent_on`` (business date), ``days_past_due`` then; ``channel`` (email,
    the only one reminders use) and ``delivery``: ``sent``, ``failed`` (the
    mail server refused it: ``error``) or ``queued`` (the outbox has not
    sent it yet); ``campaign`` and ``step`` (position) of the dunning step
    that sent it, when one did."""

    level: int
    sent_on: dt.date
    days_past_due: int
    channel: str
    delivery: str
    error: str = ""
    to: str = ""
    campaign: str = ""
    step: int | None = None


def invoice_reminders(
    customer: Customer, invoice_rows: list[Invoice]
) -> dict[int, list[InvoiceReminder]]:
    """The reminders sent for ``invoice_rows`` (a page of ``customer``'s
    invoices) by invoice id, with their delivery (``EmailLog`` of reference
    ``reminder:<invoice id>``, the latest per invoice) and the dunning step
    that sent them (the customer's executions' reminder steps, by day).
    3 queries; none when the page has no invoice."""
    ids = [invoice.pk for invoice in invoice_rows]
    if not ids:
        return {}
    reminders = list(
        Reminder.objects.filter(invoice_id__in=ids).order_by("invoice_id", "level", "sent_on")
    )
    if not reminders:
        return {}
    emails: dict[str, EmailLog] = {}
    for email in (
        EmailLog.objects.filter(
            tenant_id=customer.tenant_id,
            reference__in=[f"reminder:{reminder.invoice_id}" for reminder in reminders],
        )
        .only("reference", "status", "error", "to", "created_at")
        .order_by("created_at", "pk")
    ):
        emails[email.reference] = email  # the latest wins
    steps = {
        log.executed_on: (log.execution.campaign.name, log.position)
        for log in DunningActionLog.objects.filter(
            execution__customer=customer,
            action=DunningAction.REMINDER,
            executed_on__in={reminder.sent_on for reminder in reminders},
        )
        .select_related("execution__campaign")
        .order_by("executed_on", "pk")
    }
    found: dict[int, list[InvoiceReminder]] = {}
    for reminder in reminders:
        sent = emails.get(f"reminder:{reminder.invoice_id}")
        campaign, step = steps.get(reminder.sent_on, ("", None))
        found.setdefault(reminder.invoice_id, []).append(
            InvoiceReminder(
                level=reminder.level,
                sent_on=reminder.sent_on,
                days_past_due=reminder.days_past_due,
                channel="email",
                delivery=sent.status if sent is not None else "queued",
                error=sent.error if sent is not None else "",
                to=sent.to if sent is not None else "",
                campaign=campaign,
                step=step,
            )
        )
    return found


def credit_notes(customer: Customer) -> list[CreditNote]:
    """The customer's latest credit notes with their invoice's number, newest first (1 query)."""
    return list(
        CreditNote.objects.filter(customer=customer)
        .select_related("invoice")
        .order_by("-issue_date", "-pk")[:PAGE_SIZE]
    )


def payments(customer: Customer, page: int = 1) -> Page:
    """A page of the customer's payments with their allocations and invoice
    numbers, newest first (2 queries)."""
    return page_of(
        Payment.objects.filter(customer=customer)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("invoice").order_by("pk"),
            )
        )
        .order_by("-received_on", "-pk"),
        page,
        PAGE_SIZE,
    )


def payment_methods(customer: Customer) -> list[CustomerPaymentMethod]:
    """The customer's saved cards and bank accounts, primary first (1 query)."""
    return list(
        CustomerPaymentMethod.objects.filter(customer=customer).order_by("-is_primary", "pk")
    )


def masked_iban(iban: str) -> str:
    """An IBAN with only its country and last four characters: ``DE•• •••• 3000``."""
    compact = iban.replace(" ", "")
    if len(compact) <= 4:
        return compact
    return f"{compact[:2]}•• … {compact[-4:]}"


@dataclass(frozen=True)
class SessionRow:
    """One accounting session as the sessions panel shows it."""

    username: str
    start: dt.datetime | None
    stop: dt.datetime | None
    seconds: int | None
    input_octets: int
    output_octets: int
    ip: str
    nas: str
    cause: str

    @property
    def is_open(self) -> bool:
        return self.stop is None


def sessions(customer: Customer, subs: list[Subscription]) -> list[SessionRow]:
    """The customer's open sessions and the latest ``SESSION_HISTORY`` closed
    ones, newest first, from radacct and then its archive, with the NAS's name
    (at most 3 queries)."""
    usernames = [s.username for s in subs]
    if not usernames:
        return []
    found: list[Any] = list(
        RadAcct.objects.filter(username__in=usernames).order_by("-acctstarttime")[
            : SESSION_HISTORY + 5
        ]
    )
    if len(found) < SESSION_HISTORY:
        found.extend(
            RadAcctArchive.objects.filter(username__in=usernames).order_by("-acctstarttime")[
                : SESSION_HISTORY - len(found)
            ]
        )
    names = dict(
        Nas.objects.filter(tenant_id=customer.tenant_id).values_list("nasname", "shortname")
    )
    now = clock.now()
    rows = []
    for acct in found:
        seconds = acct.acctsessiontime
        if acct.acctstoptime is None and acct.acctstarttime is not None:
            seconds = int((now - acct.acctstarttime).total_seconds())
        nas_ip = str(acct.nasipaddress)
        rows.append(
            SessionRow(
                username=acct.username or "",
                start=acct.acctstarttime,
                stop=acct.acctstoptime,
                seconds=seconds,
                input_octets=acct.acctinputoctets or 0,
                output_octets=acct.acctoutputoctets or 0,
                ip=str(acct.framedipaddress or ""),
                nas=f"{names[nas_ip]} ({nas_ip})" if nas_ip in names else nas_ip,
                cause=acct.acctterminatecause or "",
            )
        )
    open_rows = [r for r in rows if r.is_open]
    closed = [r for r in rows if not r.is_open][:SESSION_HISTORY]
    return open_rows + closed


def dunning(customer: Customer) -> dict[str, Any]:
    """The customer's dunning executions (campaign, step log) and the latest
    reminders sent for its invoices (3 queries)."""
    executions = list(
        DunningExecution.objects.filter(customer=customer)
        .select_related("campaign")
        .prefetch_related("log")
        .order_by("-started_on", "-pk")[:10]
    )
    reminders = list(
        Reminder.objects.filter(invoice__customer=customer)
        .select_related("invoice")
        .order_by("-sent_on", "-pk")[:REMINDER_LIMIT]
    )
    return {"executions": executions, "reminders": reminders}


def _ids_as_text(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.annotate(key=Cast("pk", CharField())).values("key")


def audit_trail(customer: Customer, *, include: set[str], page: int = 1) -> Page:
    """The audit records of the customer and of its subscriptions, invoices,
    credit notes and payments, newest first (1 query). ``include`` names the
    object kinds the reader may see (``subscription``, ``invoice``,
    ``credit_note``, ``payment``); the customer's own are always in."""
    match = Q(object_type="customers.customer", object_id=str(customer.pk))
    kinds: dict[str, tuple[str, QuerySet[Any]]] = {
        "subscription": (
            "subscriptions.subscription",
            Subscription.objects.filter(customer=customer),
        ),
        "invoice": ("billing.invoice", Invoice.objects.filter(customer=customer)),
        "credit_note": ("billing.creditnote", CreditNote.objects.filter(customer=customer)),
        "payment": ("payments.payment", Payment.objects.filter(customer=customer)),
    }
    for kind, (label, queryset) in kinds.items():
        if kind in include:
            match |= Q(object_type=label, object_id__in=_ids_as_text(queryset))
    return page_of(
        AuditLog.objects.filter(match, tenant_id=customer.tenant_id).order_by("-created_at", "-pk"),
        page,
        AUDIT_PAGE_SIZE,
    )


def service_actions(customer: Customer, page: int = 1) -> Page:
    """The service action log of the customer's subscriptions, newest first
    (1 query): activate, suspend, reconnect, terminate, plan changes, CoA and
    Disconnect, with who, why and the result."""
    return page_of(
        ServiceAction.objects.filter(tenant_id=customer.tenant_id, subscription__customer=customer)
        .select_related("subscription")
        .order_by("-created_at", "-pk"),
        page,
        AUDIT_PAGE_SIZE,
    )


def open_invoices_for_credit(customer: Customer) -> QuerySet[Invoice]:
    """Invoices a credit note may correct (issued, partly paid or paid), newest first."""
    return Invoice.objects.filter(customer=customer, status__in=CREDITABLE).order_by(
        "-issue_date", "-pk"
    )
