"""Reads of outages: the subscriptions a site, sector, NAS or device serves,
the open outage a customer is hit by, and a subscription's uptime."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.network.models import Device, Nas, Sector, Site
from ispstack.radius.models import RadAcct
from ispstack.subscriptions.models import OnuAssignment, Subscription, SubscriptionStatus
from ispstack.tickets.models import Outage, OutageImpact, OutageState

#: Subscriptions an outage can hit: those with service (pending ones have
#: none yet, terminated ones no more).
SERVED = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)

#: The window of ``uptime_percent``.
UPTIME_WINDOW_DAYS = 30

OPEN = (OutageState.PLANNED, OutageState.ACTIVE)


def _sessions_on(nas: Nas) -> Q:
    """Subscriptions with an open RADIUS session on ``nas`` (radacct's
    ``nasipaddress``: a NAS known by hostname has none to match). Reads the
    partial index of open sessions by NAS address (``radacct_bulk_close``)."""
    try:
        address = str(ipaddress.ip_address(nas.nasname))
    except ValueError:
        return Q(pk__in=[])
    users = (
        RadAcct.objects.filter(nasipaddress=address, acctstoptime__isnull=True)
        .annotate(name=Lower("username"))
        .values("name")
    )
    # Matched on lower(username), the subscriptions' unique index.
    online = (
        Subscription.objects.annotate(name=Lower("username")).filter(name__in=users).values("pk")
    )
    return Q(pk__in=online)


def _device_q(device: Device) -> Q:
    """What hangs off a device: its CPE's subscriber, the NAS it is, the
    sectors it is the access point of, the ONUs installed on its PON ports
    (an OLT)."""
    onus = OnuAssignment.objects.filter(onu__pon_port__olt=device, released_at__isnull=True).values(
        "subscription"
    )
    return Q(cpe=device) | Q(nas__device=device) | Q(sector__access_point=device) | Q(pk__in=onus)


def affected_subscriptions(
    tenant: Tenant,
    *,
    site: Site | None = None,
    sector: Sector | None = None,
    nas: Nas | None = None,
    device: Device | None = None,
) -> QuerySet[Subscription]:
    """The active and suspended subscriptions of ``tenant`` served by the one
    scope given:

    - a site: those whose sector, NAS (or the NAS's device) or CPE is on it,
      or whose ONU hangs off an OLT on it;
    - a sector: those it serves;
    - a NAS: those set to connect through it, and those with an open RADIUS
      session on it;
    - a device: as ``_device_q`` (CPE, NAS, access point, OLT).

    Raises ValueError when not exactly one scope is given (the services
    check their input first).
    """
    given = [s for s in (site, sector, nas, device) if s is not None]
    if len(given) != 1:
        raise ValueError("exactly one of site, sector, nas, device")
    rows = Subscription.objects.filter(tenant=tenant, status__in=SERVED)
    if site is not None:
        olts = Device.objects.filter(tenant=tenant, site=site)
        onus = OnuAssignment.objects.filter(
            onu__pon_port__olt__in=olts, released_at__isnull=True
        ).values("subscription")
        where = (
            Q(sector__site=site)
            | Q(nas__site=site)
            | Q(nas__device__site=site)
            | Q(cpe__site=site)
            | Q(pk__in=onus)
        )
    elif sector is not None:
        where = Q(sector=sector)
    elif nas is not None:
        where = Q(nas=nas) | _sessions_on(nas)
    else:
        assert device is not None
        where = _device_q(device)
    return rows.filter(where).distinct()


def outage_list(tenant: Tenant) -> QuerySet[Outage]:
    """The tenant's outages, open ones first, newest first."""
    return (
        Outage.objects.filter(tenant=tenant)
        .select_related("site", "sector__site", "nas", "device")
        .order_by("state", "-started_at", "-id")
    )


def open_outages(tenant: Tenant) -> QuerySet[Outage]:
    """The tenant's planned and active outages, the latest started first."""
    return (
        Outage.objects.filter(tenant=tenant, state__in=OPEN)
        .select_related("site", "sector__site", "nas", "device")
        .order_by("-started_at", "-id")
    )


def open_outages_of_customer(tenant: Tenant, customer_id: int) -> list[Outage]:
    """The planned and active outages hitting one of the customer's
    subscriptions (the banner on their 360 page and tickets)."""
    # Two steps: the common answer (no outage) costs one small indexed read,
    # and the page's full read is planned without a DISTINCT over every
    # joined column (that plan alone took milliseconds).
    return open_outages_by_id(
        tenant,
        OutageImpact.objects.filter(tenant=tenant, customer_id=customer_id, outage__state__in=OPEN)
        .order_by()
        .values_list("outage_id", flat=True),
    )


def open_outages_by_id(tenant: Tenant, ids: Iterable[int]) -> list[Outage]:
    """The tenant's outages of ``ids`` (the second step of
    ``open_outages_of_customer``, for a page that found the ids with its
    other figures), the latest started first; no query when there are none."""
    hit = set(ids)
    if not hit:
        return []
    return list(
        Outage.objects.filter(tenant=tenant, pk__in=hit)
        .select_related("site", "sector__site", "nas", "device")
        .order_by("-started_at")
    )


def active_outage_for(
    tenant: Tenant, *, customer_id: int | None, subscription_id: int | None = None
) -> Outage | None:
    """The active outage (the latest started) hitting ``subscription_id``,
    or any of the customer's subscriptions when no subscription is named;
    None when none does. A planned outage that has not begun groups nothing."""
    impacts = OutageImpact.objects.filter(tenant=tenant, outage__state=OutageState.ACTIVE)
    if subscription_id is not None:
        impacts = impacts.filter(subscription_id=subscription_id)
    elif customer_id is not None:
        impacts = impacts.filter(customer_id=customer_id)
    else:
        return None
    impact = impacts.select_related("outage").order_by("-outage__started_at").first()
    return impact.outage if impact else None


def uptime_percent(
    subscription: Subscription,
    *,
    now: dt.datetime | None = None,
    days: int = UPTIME_WINDOW_DAYS,
) -> Decimal:
    """The subscription's uptime over the trailing ``days`` (default 30) up
    to ``now``, in percent with two decimals (the subscriber's
    ``avg_uptime_percent``): 100 x (1 - outage time in the window / window
    length). Outage time is each recorded outage's span (``OutageImpact``,
    from the outage's start to its resolution, or to ``now`` while it lasts)
    clipped to the window; overlapping outages count once. Time before the
    subscription started counts as up.
    """
    return uptime_percents([subscription.pk], now=now, days=days)[subscription.pk]


def uptime_percents(
    subscription_ids: list[int],
    *,
    now: dt.datetime | None = None,
    days: int = UPTIME_WINDOW_DAYS,
) -> dict[int, Decimal]:
    """``uptime_percent`` of several subscriptions, in one query, by id."""
    end = now or clock.now()
    start = end - dt.timedelta(days=days)
    rows = (
        OutageImpact.objects.filter(subscription_id__in=subscription_ids, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list("subscription_id", "started_at", "ended_at")
    )
    return uptime_from_spans(subscription_ids, rows, start=start, end=end)


#: The ids of the planned or active outages hitting a customer, as one
#: array: its parameters are the tenant id, the customer id and ``OPEN``.
OPEN_OUTAGE_IDS_SQL = (
    "(SELECT COALESCE(array_agg(DISTINCT i.outage_id), '{}')"
    f" FROM {OutageImpact._meta.db_table} i"
    f" JOIN {Outage._meta.db_table} o ON o.id = i.outage_id"
    " WHERE i.tenant_id = %s AND i.customer_id = %s AND o.state = ANY(%s))"
)


#: The outage spans ``uptime_from_spans`` needs, as SQL over ``OutageImpact``'s
#: table: its parameters are the subscription ids (an array), the window's
#: end and its start (aware datetimes); each row is (subscription id, start, end).
UPTIME_SPANS_SQL = (
    f"SELECT subscription_id, started_at, ended_at FROM {OutageImpact._meta.db_table}"
    " WHERE subscription_id = ANY(%s) AND started_at < %s"
    " AND (ended_at IS NULL OR ended_at > %s)"
)


def uptime_from_spans(
    subscription_ids: list[int],
    rows: Iterable[tuple[int, dt.datetime, dt.datetime | None]],
    *,
    start: dt.datetime,
    end: dt.datetime,
) -> dict[int, Decimal]:
    """``uptime_percents`` from the outage spans already read (``rows`` of
    subscription id, start, end or None while it lasts, those overlapping
    ``start``..``end``), for a page that read them with its other figures."""
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {pk: [] for pk in subscription_ids}
    for pk, a, b in rows:
        spans[pk].append((max(a, start), min(b or end, end)))
    window = Decimal((end - start).total_seconds())
    result = {}
    for pk, own in spans.items():
        down = dt.timedelta(0)
        cursor = start
        for a, b in sorted(own):
            a = max(a, cursor)
            if b > a:
                down += b - a
                cursor = b
        share = Decimal(1) - Decimal(down.total_seconds()) / window
        result[pk] = (share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return result
