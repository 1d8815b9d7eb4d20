"""Reads of the portal: everything a page shows, scoped to one customer.

Every function takes the signed-in user's customer and reads nothing of
another customer: the querysets filter by the customer (and its tenant), so
an id of another customer or tenant is simply not found (the views answer
404). Each page costs a fixed number of queries whatever the number of
invoices, payments or services (grouped reads and prefetches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from ispstack.billing.models import OPEN_STATUSES, CreditNote, Invoice, InvoiceStatus
from ispstack.billing.periods import anchor_on_or_before, next_anchor
from ispstack.billing.selectors import (
    UNINVOICED_CHARGES_SQL,
    NextInvoice,
    estimate_list,
    estimate_queryset,
    next_invoice,
)
from ispstack.core import clock, json_rows, prepared, tenant_settings
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.payments.models import (
    Allocation,
    BankTransfer,
    CardPayment,
    CustomerPaymentMethod,
    Payment,
)
from ispstack.payments.selectors import balance_sql
from ispstack.portal.models import PortalBranding, PortalHost
from ispstack.radius.models import RadAcct
from ispstack.radius.selectors import session_history
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.tickets.choices import MessageKind
from ispstack.tickets.models import (
    Attachment,
    Outage,
    OutageImpact,
    OutageState,
    Ticket,
    TicketMessage,
)
from ispstack.tickets.outages.selectors import OPEN_OUTAGE_IDS_SQL
from ispstack.usage.models import DailyUsage, TopUp

PAGE_SIZE = 20
SESSION_HISTORY = 20
#: The data cap marks the usage bars show, in percent of the allowance.
CAP_MARKS = (80, 95, 100)


# The scoped querysets every view reads through.


def subscriptions_of(customer: Customer) -> QuerySet[Subscription]:
    """The customer's services (terminated ones included), with plan, tax rate,
    billing state and IP address."""
    return (
        estimate_queryset(customer)
        .filter(tenant_id=customer.tenant_id)
        .select_related("ip_address")
    )


def invoices_of(customer: Customer) -> QuerySet[Invoice]:
    """The customer's invoices (void ones left out), newest first."""
    return (
        Invoice.objects.filter(customer=customer, tenant_id=customer.tenant_id)
        .exclude(status=InvoiceStatus.VOID)
        .select_related("customer", "tenant")
        .order_by("-issue_date", "-pk")
    )


def credit_notes_of(customer: Customer) -> QuerySet[CreditNote]:
    """The customer's credit notes with their invoice, newest first."""
    return (
        CreditNote.objects.filter(customer=customer, tenant_id=customer.tenant_id)
        .select_related("invoice", "customer", "tenant")
        .order_by("-issue_date", "-pk")
    )


def payments_of(customer: Customer) -> QuerySet[Payment]:
    """The customer's payments with what each paid (allocations and their
    invoice numbers), newest first."""
    return (
        Payment.objects.filter(customer=customer, tenant_id=customer.tenant_id)
        .select_related("customer", "tenant")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("invoice").order_by("pk"),
            )
        )
        .order_by("-received_on", "-pk")
    )


def payable_invoices_of(customer: Customer) -> QuerySet[Invoice]:
    """The customer's open invoices (issued or partly paid): what the portal lets them pay."""
    return invoices_of(customer).filter(status__in=OPEN_STATUSES)


def methods_of(customer: Customer) -> QuerySet[CustomerPaymentMethod]:
    """The customer's saved payment methods (removed ones left out), primary first."""
    return CustomerPaymentMethod.objects.filter(
        customer=customer, tenant_id=customer.tenant_id, removed_at__isnull=True
    ).order_by("-is_primary", "pk")


def cards_of(customer: Customer) -> QuerySet[CustomerPaymentMethod]:
    """The customer's saved cards the gateway can charge, primary first."""
    return (
        methods_of(customer)
        .filter(kind=CustomerPaymentMethod.Kind.CARD)
        .exclude(gateway_customer="")
    )


def card_payments_of(customer: Customer) -> QuerySet[CardPayment]:
    """The customer's card payment attempts with their invoice, newest first."""
    return CardPayment.objects.filter(
        customer=customer, tenant_id=customer.tenant_id
    ).select_related("invoice", "method", "tenant")


def transfers_of(customer: Customer) -> QuerySet[BankTransfer]:
    """The bank transfers the customer reported, newest first."""
    return BankTransfer.objects.filter(customer=customer, tenant_id=customer.tenant_id).order_by(
        "-created_at", "-pk"
    )


# The dashboard and the service page.


@dataclass
class CycleUsage:
    """A service's use of its current cycle (``start``..``end``, tenant-local
    dates): bytes used, and allowed with top-ups (None: no cap)."""

    start: dt.date
    end: dt.date
    used_bytes: int = 0
    allowance_bytes: int | None = None

    @property
    def percent(self) -> int | None:
        """Whole percent of the allowance used (may pass 100), None without a cap."""
        if not self.allowance_bytes:
            return None
        return self.used_bytes * 100 // self.allowance_bytes

    @property
    def bar(self) -> dict[str, Any] | None:
        """The usage bar on a 0..100 scale (stretched when use passes 100 %):
        the filled width, each mark's position and the level reached
        (``ok``, ``80``, ``95``, ``100``); None without a cap."""
        percent = self.percent
        if percent is None:
            return None
        top = max(100, percent)
        reached = [mark for mark in CAP_MARKS if percent >= mark]
        return {
            "width": round(percent * 100 / top, 2),
            "marks": [{"percent": m, "x": round(m * 100 / top, 2)} for m in CAP_MARKS],
            "level": str(reached[-1]) if reached else "ok",
        }


def cycle_usage(subs: list[Subscription], today: dt.date) -> dict[int, CycleUsage]:
    """Each service's usage of its cycle holding ``today``, by subscription id
    (2 queries: the daily rows since the earliest cycle start, and the
    top-ups of capped plans when there is one)."""
    if not subs:
        return {}
    result = {
        sub.pk: CycleUsage(
            start=anchor_on_or_before(today, sub.billing_day),
            end=next_anchor(today, sub.billing_day) - dt.timedelta(days=1),
        )
        for sub in subs
    }
    earliest = min(u.start for u in result.values())
    rows = DailyUsage.objects.filter(
        subscription__in=[s.pk for s in subs], day__gte=earliest, day__lte=today
    ).values_list("subscription_id", "day", "input_octets", "output_octets")
    for sub_id, day, octets_in, octets_out in rows:
        usage = result[sub_id]
        if usage.start <= day <= usage.end:
            usage.used_bytes += octets_in + octets_out
    capped = [s.pk for s in subs if s.plan.data_cap_bytes is not None]
    extra: dict[int, int] = {}
    if capped:
        topups = TopUp.objects.filter(
            subscription__in=capped, cycle_start__gte=earliest
        ).values_list("subscription_id", "cycle_start", "extra_bytes")
        for sub_id, cycle_start, extra_bytes in topups:
            if cycle_start == result[sub_id].start:
                extra[sub_id] = extra.get(sub_id, 0) + extra_bytes
    for sub in subs:
        if sub.plan.data_cap_bytes is not None:
            result[sub.pk].allowance_bytes = int(sub.plan.data_cap_bytes) + extra.get(sub.pk, 0)
    return result


def open_sessions(subs: list[Subscription]) -> dict[str, RadAcct]:
    """The newest open accounting session of each service, by username (1 query)."""
    usernames = [s.username for s in subs]
    if not usernames:
        return {}
    found: dict[str, RadAcct] = {}
    for acct in RadAcct.objects.filter(username__in=usernames, acctstoptime__isnull=True).order_by(
        "-acctstarttime"
    ):
        found.setdefault(acct.username or "", acct)
    return found


@dataclass
class Service:
    """One service as the portal shows it: the subscription, its open session
    (None: offline) and its usage this cycle."""

    subscription: Subscription
    session: RadAcct | None
    usage: CycleUsage

    @property
    def online(self) -> bool:
        return self.session is not None

    @property
    def online_seconds(self) -> int | None:
        """Seconds since the open session started (None: offline)."""
        if self.session is None or self.session.acctstarttime is None:
            return None
        return int((clock.now() - self.session.acctstarttime).total_seconds())


@dataclass
class Dashboard:
    """The dashboard: ``balance`` in the customer's currency (positive owed,
    negative in credit), the next invoice estimate, the services, the
    customer's ``recent_invoices`` (newest first, as many as asked) and the
    ids of the planned or active outages hitting its services."""

    customer: Customer
    balance: Decimal
    next_invoice: NextInvoice | None
    services: list[Service] = field(default_factory=list)
    recent_invoices: list[Invoice] = field(default_factory=list)
    outage_ids: list[int] = field(default_factory=list)

    @property
    def credit(self) -> Decimal:
        """What the customer has in credit (0 when they owe)."""
        return -self.balance if self.balance < 0 else Decimal(0)


def _dashboard_sql() -> str:
    """The dashboard's one statement after the services (see ``dashboard``,
    which lists its parameters in order)."""
    charges = json_rows.json_list(UNINVOICED_CHARGES_SQL)
    used = json_rows.json_list(
        "SELECT d.subscription_id, SUM(d.input_octets + d.output_octets) AS used"
        " FROM unnest(%s::bigint[], %s::date[]) AS c(id, start)"
        f" JOIN {DailyUsage._meta.db_table} d ON d.subscription_id = c.id"
        " AND d.day >= c.start AND d.day <= %s GROUP BY d.subscription_id"
    )
    topups = json_rows.json_list(
        "SELECT t.subscription_id, SUM(t.extra_bytes) AS extra"
        " FROM unnest(%s::bigint[], %s::date[]) AS c(id, start)"
        f" JOIN {TopUp._meta.db_table} t ON t.subscription_id = c.id"
        " AND t.cycle_start = c.start GROUP BY t.subscription_id"
    )
    sessions = json_rows.json_list(
        f"SELECT DISTINCT ON (username) * FROM {RadAcct._meta.db_table}"
        " WHERE username = ANY(%s) AND acctstoptime IS NULL"
        " ORDER BY username, acctstarttime DESC"
    )
    invoices = json_rows.json_list(
        f"SELECT * FROM {Invoice._meta.db_table}"
        " WHERE customer_id = %s AND tenant_id = %s AND status <> %s"
        " ORDER BY issue_date DESC, id DESC LIMIT %s"
    )
    return (
        f"SELECT {balance_sql('%s')}, {charges}, {OPEN_OUTAGE_IDS_SQL}, {used}, {topups},"
        f" {sessions}, {invoices}"
    )


def dashboard(customer: Customer, today: dt.date, recent_invoices: int = 0) -> Dashboard:
    """Everything the dashboard shows, with the customer's ``recent_invoices``
    newest invoices (void ones left out), in 2 queries whatever the number
    of services or documents: the services, then one statement for the
    balance (``payments.selectors.balance``), the uninvoiced charges of the
    next invoice, the outages hitting the customer (``outages_of``), each
    service's usage this cycle with its top-ups (``cycle_usage``), its open
    session (``open_sessions``) and the invoices. One statement because on
    this page, the portal's most visited, compiling a query per figure and
    building its rows cost more than reading them."""
    subs = estimate_list(customer)
    shown = [s for s in subs if s.status != SubscriptionStatus.TERMINATED]
    usage = {
        sub.pk: CycleUsage(
            start=anchor_on_or_before(today, sub.billing_day),
            end=next_anchor(today, sub.billing_day) - dt.timedelta(days=1),
        )
        for sub in shown
    }
    capped = [s for s in shown if s.plan.data_cap_bytes is not None]
    params: list[Any] = [
        customer.pk,
        [str(status) for status in OPEN_STATUSES],
        customer.pk,
        customer.pk,
        [s.pk for s in subs if s.status == SubscriptionStatus.ACTIVE],
        customer.tenant_id,
        customer.pk,
        [str(OutageState.PLANNED), str(OutageState.ACTIVE)],
        [s.pk for s in shown],
        [usage[s.pk].start for s in shown],
        today,
        [s.pk for s in capped],
        [usage[s.pk].start for s in capped],
        [s.username for s in shown],
        customer.pk,
        customer.tenant_id,
        str(InvoiceStatus.VOID),
        recent_invoices,
    ]
    with prepared.cursor() as cursor:
        cursor.execute(_dashboard_sql(), params)
        owed, charges, outage_ids, used, topups, sessions, invoices = cursor.fetchone()
    for row in json_rows.loads(used):
        usage[row["subscription_id"]].used_bytes = int(row["used"])
    extra = {row["subscription_id"]: int(row["extra"]) for row in json_rows.loads(topups)}
    for sub in capped:
        usage[sub.pk].allowance_bytes = int(sub.plan.data_cap_bytes or 0) + extra.get(sub.pk, 0)
    online = {acct.username or "": acct for acct in json_rows.instances(RadAcct, sessions)}
    pending = [
        (row["subscription_id"], Decimal(row["amount"]), Decimal(row["tax_rate"]))
        for row in json_rows.loads(charges)
    ]
    return Dashboard(
        customer=customer,
        balance=Decimal(owed),
        next_invoice=next_invoice(customer, today, subscriptions=subs, charges=pending),
        services=[
            Service(subscription=s, session=online.get(s.username), usage=usage[s.pk])
            for s in shown
        ],
        recent_invoices=json_rows.instances(Invoice, invoices),
        outage_ids=sorted(outage_ids),
    )


@dataclass(frozen=True)
class SessionRow:
    """One session of the service page: start and stop (None: still open),
    seconds online, bytes both directions, the address it had."""

    start: dt.datetime | None
    stop: dt.datetime | None
    seconds: int | None
    total_bytes: int
    ip: str


@dataclass
class ServiceDetail:
    """The service page: the service and its latest sessions (newest first)."""

    service: Service
    sessions: list[SessionRow]


def service_detail(customer: Customer, pk: int, today: dt.date) -> ServiceDetail | None:
    """The customer's service ``pk`` with its latest ``SESSION_HISTORY``
    sessions (radacct, then the archive); None when the customer has no such
    service (another customer's id included)."""
    sub = subscriptions_of(customer).filter(pk=pk).first()
    if sub is None:
        return None
    session = open_sessions([sub]).get(sub.username)
    service = Service(subscription=sub, session=session, usage=cycle_usage([sub], today)[sub.pk])
    now = clock.now()
    rows = []
    for acct in session_history(sub, SESSION_HISTORY):
        seconds = acct.acctsessiontime
        if acct.acctstoptime is None and acct.acctstarttime is not None:
            seconds = int((now - acct.acctstarttime).total_seconds())
        rows.append(
            SessionRow(
                start=acct.acctstarttime,
                stop=acct.acctstoptime,
                seconds=seconds,
                total_bytes=(acct.acctinputoctets or 0) + (acct.acctoutputoctets or 0),
                ip=str(acct.framedipaddress or ""),
            )
        )
    return ServiceDetail(service=service, sessions=rows)


# White label: the tenant's branding and the tenant of a portal host name.


@dataclass(frozen=True)
class Brand:
    """What the portal layout shows of a tenant's branding, fallbacks applied:
    ``name`` (display name or the tenant's name), ``logo_url`` and
    ``css_url`` (None: no logo, no colours of its own; both carry a version
    so a change is seen at once), the contact details, ``footer_text``
    (plain text) and ``locale`` (Babel's name, ``""``: the interface's)."""

    name: str
    logo_url: str | None
    css_url: str | None
    support_email: str
    support_phone: str
    website: str
    footer_text: str
    locale: str


def branding_for(tenant: Tenant) -> PortalBranding:
    """The tenant's branding row (created with its defaults when missing),
    cached on the tenant instance: one query per page however often read."""
    return tenant_settings.settings_of(tenant, PortalBranding)


def brand_of(tenant: Tenant) -> Brand:
    """The tenant's ``Brand`` for the portal's layout."""
    row = branding_for(tenant)
    version = f"?v={row.version}"
    colours = bool(row.primary_color or row.accent_color)
    return Brand(
        name=row.display_name or tenant.name,
        logo_url=reverse("portal:logo", kwargs={"tenant": tenant.slug}) + version
        if row.logo
        else None,
        css_url=reverse("portal:brand-css", kwargs={"tenant": tenant.slug}) + version
        if colours
        else None,
        support_email=row.support_email or tenant.email,
        support_phone=row.support_phone,
        website=row.website,
        footer_text=row.footer_text,
        locale=row.locale,
    )


def _host_key(host: str) -> str:
    return f"portal:host:{host.lower()}"


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant whose portal answers at ``host`` (a host name without port),
    None for any other host. The answer (the miss included) is cached for
    ``PORTAL_HOST_CACHE_SECONDS``, so the other sites' requests cost no query."""
    key = _host_key(host)
    tenant_id = cache.get(key)
    if tenant_id is None:
        tenant_id = (
            PortalHost.objects.filter(host=host.lower()).values_list("tenant_id", flat=True).first()
            or 0
        )
        cache.set(key, tenant_id, settings.PORTAL_HOST_CACHE_SECONDS)
    if not tenant_id:
        return None
    return Tenant.objects.filter(pk=tenant_id).first()


def forget_host(sender: Any, instance: PortalHost, **_: Any) -> None:
    """Signal receiver: drop the cached answer for ``instance``'s host."""
    cache.delete(_host_key(instance.host))


def forget_old_host(sender: Any, instance: PortalHost, **_: Any) -> None:
    """Signal receiver (``pre_save``): drop the cached answer for the host a
    row had before it was renamed."""
    if instance.pk:
        old = PortalHost.objects.filter(pk=instance.pk).values_list("host", flat=True).first()
        if old:
            cache.delete(_host_key(old))


# Tickets: the customer's own, and only what staff wrote for them.


def tickets_of(customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets, the latest updated first, each annotated with
    ``last_update``: the later of its own last change and its last public
    reply (an internal note moves nothing the customer sees)."""
    return (
        Ticket.objects.filter(customer=customer, tenant_id=customer.tenant_id)
        .annotate(
            last_reply=Max("messages__created_at", filter=Q(messages__kind=MessageKind.REPLY))
        )
        .annotate(last_update=Greatest("updated_at", Coalesce("last_reply", "updated_at")))
        .select_related("subscription__plan")
        .order_by("-last_update", "-pk")
    )


@dataclass
class TicketDetail:
    """A ticket as the customer sees it: the ticket, its public replies
    oldest first (internal notes never), and the files of those replies
    and of the customer's own uploads by message id (None: the ticket's)."""

    ticket: Ticket
    messages: list[TicketMessage]
    files: dict[int | None, list[Attachment]]

    @property
    def opening_files(self) -> list[Attachment]:
        """The files sent with the ticket itself."""
        return self.files.get(None, [])


def ticket_detail(customer: Customer, pk: int) -> TicketDetail | None:
    """The customer's ticket ``pk`` with its public replies only and their
    files (3 queries); None when the customer has no such ticket (another
    customer's or tenant's id included)."""
    ticket = (
        Ticket.objects.filter(customer=customer, tenant_id=customer.tenant_id, pk=pk)
        .select_related("subscription__plan", "follow_up_of")
        .first()
    )
    if ticket is None:
        return None
    messages = list(
        TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    shown = Q(message__in=[m.pk for m in messages]) | Q(
        message__isnull=True, uploaded_by__isnull=True
    )
    files: dict[int | None, list[Attachment]] = {}
    for item in Attachment.objects.filter(ticket=ticket).filter(shown).order_by("pk"):
        files.setdefault(item.message_id, []).append(item)
    return TicketDetail(ticket=ticket, messages=messages, files=files)


def outages_of(customer: Customer, subscription_id: int | None = None) -> list[Outage]:
    """The planned and active outages hitting the customer's services (only
    ``subscription_id`` when given), the latest started first. Which
    services an outage hits is frozen when it is declared
    (``tickets.outages``: its ``OutageImpact`` rows)."""
    # Two steps, as the console's banner: the common answer (no outage)
    # costs one small indexed read, and the outages are read without a
    # DISTINCT over the join.
    impacts = OutageImpact.objects.filter(
        tenant_id=customer.tenant_id,
        customer_id=customer.pk,
        outage__state__in=(OutageState.PLANNED, OutageState.ACTIVE),
    )
    if subscription_id is not None:
        impacts = impacts.filter(subscription_id=subscription_id)
    return outages_by_id(customer, impacts.order_by().values_list("outage_id", flat=True))


def outages_by_id(customer: Customer, ids: Iterable[int]) -> list[Outage]:
    """The customer's tenant's outages of ``ids`` (as ``outages_of`` or
    ``dashboard`` found them), the latest started first; no query when
    there are none (the common answer)."""
    hit = set(ids)
    if not hit:
        return []
    return list(
        Outage.objects.filter(tenant_id=customer.tenant_id, pk__in=hit).order_by(
            "-started_at", "-pk"
        )
    )


@dataclass(frozen=True)
class UsageDay:
    """One day of a service's data, tenant-local: ``upload_bytes`` what the
    customer sent (RADIUS input octets), ``download_bytes`` what they received."""

    day: dt.date
    upload_bytes: int
    download_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.upload_bytes + self.download_bytes


@dataclass
class ServiceUsage:
    """A service's usage this cycle (the dashboard's bar) and its days so far."""

    service: Service
    days: list[UsageDay]


def service_usage(customer: Customer, pk: int, today: dt.date) -> ServiceUsage | None:
    """The customer's service ``pk`` with its usage of the cycle holding
    ``today`` (against the cap and its marks) and each day's bytes from the
    cycle start to ``today``; None when the customer has no such service
    (another customer's id included). A fixed number of queries."""
    sub = subscriptions_of(customer).filter(pk=pk).first()
    if sub is None:
        return None
    usage = cycle_usage([sub], today)[sub.pk]
    session = open_sessions([sub]).get(sub.username)
    days = usage_days(sub, usage.start, today)
    return ServiceUsage(service=Service(subscription=sub, session=session, usage=usage), days=days)


def usage_days(sub: Subscription, start: dt.date, end: dt.date) -> list[UsageDay]:
    """The subscription's days with data from ``start`` to ``end`` (inclusive,
    tenant-local), oldest first (1 query)."""
    rows = (
        DailyUsage.objects.filter(subscription=sub, day__gte=start, day__lte=end)
        .order_by("day")
        .values_list("day", "input_octets", "output_octets")
    )
    return [UsageDay(day=day, upload_bytes=up, download_bytes=down) for day, up, down in rows]
