"""Operational and helpdesk reports (docs/metrics.md): usage by plan, top users,
overdue balance by site, ticket resolution times and SLA compliance, each
checked against a deliberately naive Python reading of the raw rows of a
small world, plus tenancy, permissions, bad filters, the exports and the
API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from ispstack.billing.models import Invoice, InvoiceStatus
from ispstack.core.errors import InvalidInput
from ispstack.network.inventory import Sector, Site
from ispstack.payments.models import Allocation
from ispstack.reports import helpdesk, operations, ops_tables, selectors
from ispstack.reports import usage as usage_report
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.models import Team, Ticket
from ispstack.usage.models import DailyUsage
from tests.usage_world import GB, as_usage, make_site, naive_usage, serve_from

pytestmark = pytest.mark.django_db

D = dt.date


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --- usage by plan and top users -------------------------------------------------


def usage(tenant: Any, start: dt.date, end: dt.date, **kw: Any) -> list[usage_report.UsageMonth]:
    site = kw.pop("site_id", None)
    return usage_report.usage_by_plan(
        tenant, selectors.make_filters(tenant, start=start, end=end, **kw), site_id=site
    )


def test_usage_by_plan_matches_a_naive_reading(tenant, traffic):
    rows = usage(tenant, D(2026, 1, 1), D(2026, 2, 1))
    months = [D(2026, 1, 1), D(2026, 2, 1)]
    assert as_usage(rows) == naive_usage(tenant, months)
    by_key = {(r.month, r.plan): r for r in rows}
    jan_small = by_key[(D(2026, 1, 1), "Small")]
    # a 87 GB, b 105 GB, d 33 GB on the 100 GB plan: two at 80 %, one at the cap.
    assert (jan_small.subscriptions, jan_small.reached_80, jan_small.reached_100) == (3, 2, 1)
    assert jan_small.download_bytes == 205 * GB and jan_small.upload_bytes == 20 * GB
    assert jan_small.average_bytes == 75 * GB and jan_small.p95_bytes == 105 * GB
    assert jan_small.reached_80_percent == Decimal(200) / 3
    # a's February is split by its plan change on the 15th; e's empty row counts nothing.
    assert by_key[(D(2026, 2, 1), "Small")].subscriptions == 2
    assert by_key[(D(2026, 2, 1), "Big")].download_bytes == 300 * GB
    unlimited = by_key[(D(2026, 1, 1), "Unlimited")]
    assert unlimited.reached_80 is None and unlimited.reached_100_percent is None


def test_usage_filters_by_plan_tag_and_site(tenant, traffic):
    months = [D(2026, 1, 1), D(2026, 2, 1)]
    big = usage(tenant, months[0], months[1], plan_id=traffic["big"].pk)
    assert as_usage(big) == naive_usage(tenant, months, plan=traffic["big"])
    tagged = usage(tenant, months[0], months[1], tag="business")
    assert as_usage(tagged) == naive_usage(tenant, months, tag="business")
    north = usage(tenant, months[0], months[1], site_id=traffic["north"].pk)
    assert as_usage(north) == naive_usage(tenant, months, site=traffic["north"])
    assert {r.plan for r in north} == {"Small"}


def test_usage_never_counts_another_tenants_rows(tenant, traffic, make_tenant):
    rows = usage(tenant, D(2026, 1, 1), D(2026, 1, 1))
    # January: a 87, b 105, c 750, d 33, e 270 GB; the other tenant's 9000 GB not.
    assert sum(r.total_bytes for r in rows) == 1245 * GB
    with pytest.raises(InvalidInput) as err:
        usage(tenant, D(2026, 1, 1), D(2026, 1, 1), site_id=make_site(make_tenant(), "X").site_id)
    assert err.value.field == "site"


def naive_top(tenant: Any, start: dt.date, end: dt.date) -> list[tuple[str, int, int]]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in DailyUsage.objects.filter(tenant=tenant, day__gte=start, day__lte=end):
        totals[row.subscription_id][0] += row.output_octets
        totals[row.subscription_id][1] += row.input_octets
    ranked = sorted(
        ((sid, d, u) for sid, (d, u) in totals.items() if d + u),
        key=lambda t: (-(t[1] + t[2]), t[0]),
    )
    return [(Subscription.objects.get(pk=sid).username, d, u) for sid, d, u in ranked]


def test_top_users_rank_by_bytes_with_plan_and_share_of_cap(tenant, traffic):
    days = operations.make_range(tenant, start=D(2026, 1, 1), end=D(2026, 2, 28))
    rows = operations.top_users(tenant, days)
    assert [(r.username, r.download_bytes, r.upload_bytes) for r in rows] == naive_top(
        tenant, D(2026, 1, 1), D(2026, 2, 28)
    )
    first = rows[0]
    assert first.username == traffic["c"].username and first.cap_percent is None
    a = next(r for r in rows if r.subscription_id == traffic["a"].pk)
    # a ended the range on Big (500 GB): 87 + 44 + 310 = 441 GB.
    assert (a.plan, a.total_bytes) == ("Big", 441 * GB)
    assert a.cap_percent == Decimal("88.2")
    two = operations.top_users(tenant, days, limit=2)
    assert [r.username for r in two] == [r.username for r in rows[:2]]
    on_small = operations.top_users(tenant, days, plan_id=traffic["small"].pk)
    assert {r.plan for r in on_small} == {"Small"}
    assert all(r.customer_id != 0 for r in rows)


def test_top_users_refuse_bad_limits_and_ranges(tenant):
    days = operations.make_range(tenant, start=D(2026, 1, 1), end=D(2026, 1, 31))
    for limit in (0, 501):
        with pytest.raises(InvalidInput) as err:
            operations.top_users(tenant, days, limit=limit)
        assert err.value.field == "limit"
    with pytest.raises(InvalidInput) as reversed_range:
        operations.make_range(tenant, start=D(2026, 2, 1), end=D(2026, 1, 1))
    assert reversed_range.value.field == "start"
    with pytest.raises(InvalidInput) as long_range:
        operations.make_range(tenant, start=D(2024, 1, 1), end=D(2026, 1, 1))
    assert long_range.value.field == "start"
    with pytest.raises(InvalidInput) as future:
        operations.make_range(tenant, start=None, end=D(2099, 1, 1))
    assert future.value.field == "end"


# --- overdue balance by site ------------------------------------------------------


@pytest.fixture
def overdue(tenant, make_tenant, make_plan, make_subscription):
    """Four months of invoices of three subscribers (North, South, no site)
    and one of another tenant; North's January invoice paid on 20 February."""
    from ispstack.billing.runner import run_billing
    from ispstack.core import clock
    from ispstack.payments.services import record_payment

    north, south = make_site(tenant, "North"), make_site(tenant, "South")
    subs = []
    for price, sector in (("30.00", north), ("45.50", south), ("19.99", None)):
        sub = make_subscription(
            tenant, plan=make_plan(tenant, monthly_price=price), start_date=D(2026, 1, 1)
        )
        serve_from(sub, sector)
        subs.append(sub)
    other = make_tenant()
    make_subscription(other, start_date=D(2026, 1, 1))
    for month in range(1, 5):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
        run_billing(tenant=other, as_of=D(2026, month, 1))
    first = Invoice.objects.filter(customer=subs[0].customer).order_by("issue_date").first()
    assert first is not None
    with clock.simulated(dt.datetime(2026, 2, 20, 10, tzinfo=dt.UTC)):
        record_payment(
            tenant=tenant, customer=subs[0].customer, amount=first.total, received_on=D(2026, 2, 20)
        )
    return subs


def naive_overdue(tenant: Any, as_of: dt.date) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for invoice in Invoice.objects.filter(tenant=tenant).exclude(status=InvoiceStatus.VOID):
        days = (as_of - invoice.due_date).days
        if invoice.issue_date > as_of or days < 1:
            continue
        paid = sum(
            a.amount
            for a in Allocation.objects.filter(invoice=invoice)
            if a.created_at.astimezone(ZoneInfo(tenant.timezone)).date() <= as_of
        )
        left = invoice.total - paid
        if left <= 0:
            continue
        lines = [line for line in invoice.lines.order_by("pk") if line.subscription_id]
        sector = lines[0].subscription.sector if lines else None
        site = sector.site.name if sector else ""
        entry = out.setdefault(
            site, {"customers": set(), "invoices": 0, "buckets": defaultdict(Decimal)}
        )
        entry["customers"].add(invoice.customer_id)
        entry["invoices"] += 1
        label = next(
            label
            for label, first, last in selectors.AGING_BUCKETS
            if days >= first and (last is None or days <= last)
        )
        entry["buckets"][label] += left
    return {
        site: {
            "customers": len(e["customers"]),
            "invoices": e["invoices"],
            "buckets": {label: e["buckets"][label] for label, _f, _l in selectors.AGING_BUCKETS},
        }
        for site, e in out.items()
    }


@pytest.mark.parametrize("as_of", [D(2026, 2, 19), D(2026, 4, 20)])
def test_overdue_by_site_matches_a_naive_reading_and_the_aging(tenant, overdue, as_of):
    rows = operations.overdue_by_site(tenant, as_of=as_of)
    found = {
        r.site: {"customers": r.customers, "invoices": r.invoices, "buckets": r.buckets}
        for r in rows
    }
    assert found == naive_overdue(tenant, as_of)
    # The sites split the aging: the same invoices, the same amounts.
    aging = {b.label: b.amount for b in selectors.aging(tenant, as_of=as_of)}
    for label in aging:
        assert sum(r.buckets[label] for r in rows) == aging[label]
    totals = [r.total for r in rows]
    assert totals == sorted(totals, reverse=True)


def test_overdue_by_site_leaves_out_paid_and_other_tenants_invoices(tenant, overdue):
    rows = {r.site: r for r in operations.overdue_by_site(tenant, as_of=D(2026, 4, 20))}
    # Net 14 days: on 20 April the invoices of 1 January to 1 April are 95, 64,
    # 36 and 5 days past due. North paid January's: three left, of 35.70 each
    # (30.00 and 19 % VAT).
    assert rows["North"].invoices == 3 and rows[""].invoices == 4
    assert rows["North"].buckets == {
        "0-30": Decimal("35.70"),
        "31-60": Decimal("35.70"),
        "61-90": Decimal("35.70"),
        "90+": Decimal("0"),
    }
    assert all(r.customers == 1 for r in rows.values())
    assert sum(r.invoices for r in rows.values()) == 11
    assert operations.overdue_by_site(tenant, as_of=D(2026, 4, 20), tag="vip") == []


def test_overdue_by_sector_splits_a_site(tenant, overdue):
    north = Site.objects.get(tenant=tenant, name="North")
    serve_from(overdue[1], Sector.objects.create(tenant=tenant, site=north, name="B", azimuth=90))
    as_of = D(2026, 4, 20)
    by_site = {r.site: r for r in operations.overdue_by_site(tenant, as_of=as_of)}
    by_sector = {
        (r.site, r.sector): r for r in operations.overdue_by_site(tenant, as_of=as_of, by="sector")
    }
    assert set(by_site) == {"North", ""}
    assert (by_site["North"].customers, by_site["North"].invoices) == (2, 7)
    assert set(by_sector) == {("North", "North A"), ("North", "B"), ("", "")}
    # The subscriber moved to sector B: four invoices of 45.50 and 19 % VAT.
    assert by_sector[("North", "B")].buckets == dict.fromkeys(
        ("0-30", "31-60", "61-90", "90+"), Decimal("54.15")
    )
    assert (
        by_sector[("North", "North A")].total + by_sector[("North", "B")].total
        == by_site["North"].total
    )
    with pytest.raises(InvalidInput) as err:
        operations.overdue_by_site(tenant, as_of=as_of, by="street")
    assert err.value.field == "by"


# --- tickets ----------------------------------------------------------------------


@pytest.fixture
def tickets(tenant, make_tenant, make_customer):
    """Resolved tickets of January and February 2026 (Europe/Berlin) in two
    teams, with their SLA due times and breach flags; open and another
    tenant's tickets too."""
    noc = Team.objects.create(tenant=tenant, name="NOC")
    desk = Team.objects.create(tenant=tenant, name="Desk")
    tagged = make_customer(tenant, tags=["vip"])
    n = iter(range(1, 100))

    def ticket(owner: Any = tenant, **values: Any) -> Ticket:
        return Ticket.objects.create(tenant=owner, number=f"T-{next(n)}", subject="Slow", **values)

    # priority, team, resolved_at, minutes, first response (due, at, breached),
    # resolution (due, breached)
    specs = [
        (
            "high",
            noc,
            utc(2026, 1, 10, 9),
            30,
            (utc(2026, 1, 10, 8), utc(2026, 1, 10, 7), False),
            (utc(2026, 1, 10, 12), False),
        ),
        (
            "high",
            noc,
            utc(2026, 1, 12, 9),
            90,
            (utc(2026, 1, 12, 8), utc(2026, 1, 12, 9), True),
            (utc(2026, 1, 12, 8), True),
        ),
        (
            "high",
            desk,
            utc(2026, 1, 20, 9),
            600,
            (utc(2026, 1, 20, 8), None, True),
            (utc(2026, 1, 20, 10), False),
        ),
        (
            "normal",
            desk,
            utc(2026, 1, 25, 9),
            245,
            (utc(2026, 1, 25, 8), None, False),
            (utc(2026, 1, 25, 8), False),
        ),
        # 23:30 UTC on 31 January is 1 February in Berlin.
        ("normal", None, utc(2026, 1, 31, 23, 30), 75, (None, None, False), (None, False)),
        (
            "normal",
            desk,
            utc(2026, 2, 3, 9),
            1000,
            (utc(2026, 2, 3, 8), utc(2026, 2, 3, 7), False),
            (utc(2026, 2, 3, 12), False),
        ),
    ]
    made = []
    for priority, team, resolved, minutes, (fr_due, fr_at, fr_late), (due, late) in specs:
        made.append(
            ticket(
                priority=priority,
                team=team,
                state="resolved",
                resolved_at=resolved,
                resolution_time_minutes=minutes,
                first_response_due_at=fr_due,
                first_response_at=fr_at,
                first_response_breached=fr_late,
                sla_due_at=due,
                sla_breached=late,
                customer=tagged if priority == "normal" else None,
            )
        )
    ticket(priority="high", team=noc, state="in_progress", sla_breached=True)
    ticket(
        owner=make_tenant(),
        priority="high",
        state="resolved",
        resolved_at=utc(2026, 1, 10, 9),
        resolution_time_minutes=5,
    )
    return made


def month_of(ticket: Ticket) -> dt.date:
    assert ticket.resolved_at is not None
    return ticket.resolved_at.astimezone(ZoneInfo(ticket.tenant.timezone)).date().replace(day=1)


def interpolated(values: list[int], share: Fraction) -> Decimal:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return (Decimal(value.numerator) / value.denominator / 60).quantize(Decimal("0.01"))


def naive_resolution(tenant: Any, by: str, tag: str = "") -> dict[tuple, tuple]:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for t in Ticket.objects.filter(tenant=tenant, resolved_at__isnull=False):
        if tag and (t.customer is None or tag not in t.customer.tags):
            continue
        key = (
            t.get_priority_display() if by == "priority" else (t.team.name if t.team else "No team")
        )
        groups[(month_of(t), key)].append(t.resolution_time_minutes)
    return {
        key: (len(v), interpolated(v, Fraction(1, 2)), interpolated(v, Fraction(9, 10)))
        for key, v in groups.items()
    }


def naive_sla(tenant: Any, by: str) -> dict[tuple, tuple]:
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for t in Ticket.objects.filter(tenant=tenant, resolved_at__isnull=False):
        key = (
            t.get_priority_display() if by == "priority" else (t.team.name if t.team else "No team")
        )
        row = out[(month_of(t), key)]
        row[0] += 1
        if t.first_response_due_at and (t.first_response_at or t.first_response_breached):
            row[1] += 1
            on_time = t.first_response_at and t.first_response_at <= t.first_response_due_at
            row[2] += bool(on_time and not t.first_response_breached)
        if t.sla_due_at:
            row[3] += 1
            row[4] += bool(t.resolved_at <= t.sla_due_at and not t.sla_breached)
    return {key: tuple(v) for key, v in out.items()}


def months(tenant: Any, start: dt.date, end: dt.date, tag: str = "") -> selectors.Filters:
    return selectors.make_filters(tenant, start=start, end=end, tag=tag)


@pytest.mark.parametrize("by", ["priority", "team"])
def test_resolution_times_match_a_naive_reading(tenant, tickets, by):
    rows = helpdesk.resolution_times(tenant, months(tenant, D(2026, 1, 1), D(2026, 3, 1)), by=by)
    found = {(r.month, r.group): (r.resolved, r.median_hours, r.p90_hours) for r in rows}
    assert found == naive_resolution(tenant, by)
    if by == "priority":
        # 30, 90 and 600 minutes: median 1.5 h, p90 90 + 0.8 x 510 = 498 min.
        assert found[(D(2026, 1, 1), "High")] == (3, Decimal("1.50"), Decimal("8.30"))
        assert found[(D(2026, 2, 1), "Normal")][0] == 2


@pytest.mark.parametrize("by", ["priority", "team"])
def test_sla_compliance_matches_a_naive_reading(tenant, tickets, by):
    rows = helpdesk.sla_compliance(tenant, months(tenant, D(2026, 1, 1), D(2026, 3, 1)), by=by)
    found = {
        (r.month, r.group): (
            r.resolved,
            r.first_response_measured,
            r.first_response_met,
            r.resolution_measured,
            r.resolution_met,
        )
        for r in rows
    }
    assert found == naive_sla(tenant, by)
    if by == "team":
        noc = next(r for r in rows if r.group == "NOC")
        assert (noc.first_response_percent, noc.resolution_percent) == (50, 50)
        no_team = next(r for r in rows if r.group == "No team")
        assert no_team.first_response_percent is None and no_team.resolution_percent is None


def test_ticket_reports_filter_by_tag_and_refuse_other_groupings(tenant, tickets):
    rows = helpdesk.resolution_times(
        tenant, months(tenant, D(2026, 1, 1), D(2026, 3, 1), tag="vip")
    )
    found = {(r.month, r.group): (r.resolved, r.median_hours, r.p90_hours) for r in rows}
    assert found == naive_resolution(tenant, "priority", tag="vip")
    assert {r.group for r in rows} == {"Normal"}
    with pytest.raises(InvalidInput) as err:
        helpdesk.resolution_times(tenant, months(tenant, D(2026, 1, 1), D(2026, 1, 1)), by="x")
    assert err.value.field == "by"


def test_ticket_reports_count_only_the_tenants_tickets(tenant, tickets, make_tenant):
    rows = helpdesk.resolution_times(tenant, months(tenant, D(2026, 1, 1), D(2026, 3, 1)))
    assert sum(r.resolved for r in rows) == 6
    other = make_tenant()
    assert helpdesk.sla_compliance(other, months(other, D(2026, 1, 1), D(2026, 3, 1))) == []


# --- console pages, exports and the API ----------------------------------------

PAGES = {
    "/staff/reports/usage/": {"start": "2026-01", "end": "2026-02"},
    "/staff/reports/top-users/": {"start": "2026-01-01", "end": "2026-02-28"},
    "/staff/reports/overdue-sites/": {"as_of": "2026-04-20"},
    "/staff/reports/ticket-resolution/": {"start": "2026-01", "end": "2026-03"},
    "/staff/reports/ticket-sla/": {"start": "2026-01", "end": "2026-03", "by": "team"},
}
OPS_PAGES = list(PAGES)[:3]
HELPDESK_PAGES = list(PAGES)[3:]


def test_finance_reads_usage_and_top_users_in_gb(client: Client, tenant, traffic, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    page = client.get("/staff/reports/usage/", PAGES["/staff/reports/usage/"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Download (GB)" in html and html.count("<rect") == 2
    assert "205.00" in html  # January's download on Small, in GB
    top = client.get("/staff/reports/top-users/", PAGES["/staff/reports/top-users/"])
    html = top.content.decode()
    assert top.status_code == 200 and "441.00" in html and "88.20" in html
    menu = client.get("/staff/").content.decode()
    for url in PAGES:
        assert f'href="{url}"' in menu


def test_the_overdue_page_shows_sites_with_their_buckets(
    client: Client, tenant, overdue, make_staff
):
    client.force_login(make_staff(tenant, "admin"))
    page = client.get("/staff/reports/overdue-sites/", {"as_of": "2026-04-20"})
    html = page.content.decode()
    assert page.status_code == 200 and "North" in html and "No site" in html
    assert "0-30 days (EUR)" in html and "amounts in EUR" in html


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/staff/reports/usage/", {"start": "2026-13"}, "start"),
        ("/staff/reports/usage/", {"site": "x"}, "site"),
        ("/staff/reports/top-users/", {"limit": "501"}, "limit"),
        ("/staff/reports/top-users/", {"start": "2026-02-30"}, "start"),
        ("/staff/reports/overdue-sites/", {"as_of": "2099-01-01"}, "as_of"),
        ("/staff/reports/overdue-sites/", {"by": "street"}, "by"),
        ("/staff/reports/ticket-resolution/", {"by": "colour"}, "by"),
        ("/staff/reports/ticket-sla/", {"end": "nope"}, "end"),
    ],
)
def test_the_pages_refuse_bad_filters_naming_the_field(
    client: Client, tenant, make_staff, url, query, field
):
    client.force_login(make_staff(tenant, "admin"))
    page = client.get(url, query)
    assert page.status_code == 400
    assert f'data-error-field="{field}"' in page.content.decode()


@pytest.mark.parametrize("role", ["support", "noc", "technician"])
def test_roles_without_the_report_permission_are_refused(client: Client, tenant, make_staff, role):
    client.force_login(make_staff(tenant, role))
    for url in OPS_PAGES:
        assert client.get(url).status_code == 403
    # The helpdesk reports are open to those who read the helpdesk.
    expected = 403 if role == "technician" else 200
    for url in HELPDESK_PAGES:
        assert client.get(url).status_code == expected


def test_the_platform_operator_gets_no_tenants_report_page(client: Client, make_staff):
    client.force_login(make_staff(None, role="", is_superuser=True))
    for url in PAGES:
        assert client.get(url).status_code == 404


def rows_of(client: Client, url: str, query: dict[str, str]) -> tuple[list, list]:
    text = client.get(url, {**query, "format": "csv"}).content.decode()
    lines = list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(client.get(url, {**query, "format": "xlsx"}).content)).active
    return lines, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_exports_hold_the_tables_figures(client: Client, tenant, traffic, tickets, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    query = PAGES["/staff/reports/usage/"]
    table = ops_tables.build_usage_by_plan_table(tenant, query)
    lines, sheet = rows_of(client, "/staff/reports/usage/", query)
    assert lines[0] == table.headings == sheet[0]
    assert [Decimal(line[4]) for line in lines[1:]] == [row[4] for row in table.rows]
    assert [Decimal(str(row[4])) for row in sheet[1:]] == [row[4] for row in table.rows]
    assert len(lines) == len(table.rows) + 1 > 3

    query = PAGES["/staff/reports/top-users/"]
    table = ops_tables.build_top_users_table(tenant, query)
    lines, sheet = rows_of(client, "/staff/reports/top-users/", query)
    assert [line[1] for line in lines[1:]] == [row[1] for row in table.rows]
    assert [Decimal(line[8]) for line in lines[1:]] == [row[8] for row in table.rows]
    assert [Decimal(str(row[8])) for row in sheet[1:]] == [row[8] for row in table.rows]

    query = PAGES["/staff/reports/ticket-sla/"]
    table = ops_tables.build_ticket_sla_table(tenant, query)
    lines, sheet = rows_of(client, "/staff/reports/ticket-sla/", query)
    assert lines[0][1] == "Team" and [line[1] for line in lines[1:]] == [r[1] for r in table.rows]
    assert [line[6] for line in lines[1:]] == [
        "" if r[6] is None else str(r[6]) for r in table.rows
    ]
    query = PAGES["/staff/reports/ticket-resolution/"]
    table = ops_tables.build_ticket_resolution_table(tenant, query)
    lines, sheet = rows_of(client, "/staff/reports/ticket-resolution/", query)
    assert [row[3] for row in sheet[1:]] == [
        None if r[3] is None else float(r[3]) for r in table.rows
    ]


def test_the_overdue_export_sums_to_the_aging(client: Client, tenant, overdue, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    lines, sheet = rows_of(client, "/staff/reports/overdue-sites/", {"as_of": "2026-04-20"})
    assert lines[0][3:] == [
        "0-30 days (EUR)",
        "31-60 days (EUR)",
        "61-90 days (EUR)",
        "90+ days (EUR)",
        "Total (EUR)",
    ]
    aging = selectors.aging(tenant, as_of=D(2026, 4, 20))
    assert sum(Decimal(line[7]) for line in lines[1:]) == sum(b.amount for b in aging)
    assert sum(Decimal(str(row[7])) for row in sheet[1:]) == sum(b.amount for b in aging)


def test_the_api_answers_the_same_figures(tenant, traffic, tickets, api_client_for):
    finance = api_client_for(tenant, "billing")
    body = finance.get("/api/v1/reports/usage/", {"start": "2026-01", "end": "2026-02"}).json()
    expected = as_usage(usage(tenant, D(2026, 1, 1), D(2026, 2, 1)))
    keys = ("subscriptions", "download_bytes", "p95_bytes", "reached_80", "reached_100")
    assert {
        (D.fromisoformat(r["month"]), r["plan"]): {k: r[k] for k in keys} for r in body["rows"]
    } == {key: {k: v[k] for k in keys} for key, v in expected.items()}
    top = finance.get(
        "/api/v1/reports/top-users/", {"start": "2026-01-01", "end": "2026-02-28", "limit": "2"}
    ).json()
    assert [r["username"] for r in top["rows"]] == [
        name for name, _d, _u in naive_top(tenant, D(2026, 1, 1), D(2026, 2, 28))[:2]
    ]
    assert top["rows"][0]["cap_percent"] is None and top["rows"][0]["rank"] == 1
    sla = finance.get("/api/v1/reports/ticket-sla/", {"start": "2026-01", "by": "team"}).json()
    noc = next(r for r in sla["rows"] if r["group"] == "NOC")
    assert (noc["first_response_percent"], noc["resolution_percent"]) == ("50.00", "50.00")
    resolution = finance.get("/api/v1/reports/ticket-resolution/", {"start": "2026-01"}).json()
    assert {
        "month": "2026-01-01",
        "group": "High",
        "resolved": 3,
        "median_hours": "1.50",
        "p90_hours": "8.30",
    } in resolution["rows"]


def test_the_api_overdue_by_site(tenant, overdue, api_client_for):
    body = (
        api_client_for(tenant, "admin")
        .get("/api/v1/reports/overdue-sites/", {"as_of": "2026-04-20"})
        .json()
    )
    assert body["currency"] == "EUR"
    expected = naive_overdue(tenant, D(2026, 4, 20))
    assert {
        r["site"]: {b["bucket"]: Decimal(b["amount"]) for b in r["buckets"]} for r in body["rows"]
    } == {site: e["buckets"] for site, e in expected.items()}
    assert next(r for r in body["rows"] if r["site"] == "")["site_id"] is None
    sectors = api_client_for(tenant, "admin").get(
        "/api/v1/reports/overdue-sites/", {"as_of": "2026-04-20", "by": "sector"}
    )
    assert {r["sector"] for r in sectors.json()["rows"]} == {"North A", "South A", ""}


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/reports/usage/", {"plan": "x"}, "plan"),
        ("/api/v1/reports/usage/", {"site": "99999999"}, "site"),
        ("/api/v1/reports/top-users/", {"limit": "0"}, "limit"),
        ("/api/v1/reports/top-users/", {"end": "2099-01-01"}, "end"),
        ("/api/v1/reports/overdue-sites/", {"as_of": "20-04-2026"}, "as_of"),
        ("/api/v1/reports/overdue-sites/", {"by": "street"}, "by"),
        ("/api/v1/reports/ticket-resolution/", {"by": "x"}, "by"),
        ("/api/v1/reports/ticket-sla/", {"start": "2026-13"}, "start"),
        ("/api/v1/reports/usage/", {"plan": "\u00b2"}, "plan"),
        ("/api/v1/reports/top-users/", {"site": "9" * 30}, "site"),
        ("/api/v1/reports/overdue-sites/", {"tag": "a\x00b"}, "tag"),
        ("/api/v1/reports/mrr/", {"tag": "\x00"}, "tag"),
    ],
)
def test_the_api_refuses_bad_filters_naming_the_field(tenant, api_client_for, url, query, field):
    answer = api_client_for(tenant, "admin").get(url, query)
    assert answer.status_code == 400 and answer.json()["field"] == field


def test_the_api_refuses_roles_without_the_permission(tenant, api_client_for):
    support = api_client_for(tenant, "support")
    for url in ("usage", "top-users", "overdue-sites"):
        assert support.get(f"/api/v1/reports/{url}/").status_code == 403
    assert support.get("/api/v1/reports/ticket-sla/").status_code == 200
    technician = api_client_for(tenant, "technician")
    assert technician.get("/api/v1/reports/ticket-resolution/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_new_report_pages_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    from tests.console_browser import log_in, serious_violations

    tenant = make_tenant()
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    DailyUsage.objects.create(
        tenant=tenant, subscription=sub, day=D(2026, 1, 5), output_octets=3 * GB, input_octets=GB
    )
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, make_staff(tenant, "admin"))
        for url, query in PAGES.items():
            page.goto(f"{live_server.url}{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}")
            assert page.locator("svg.report-chart").count() == 1
            assert serious_violations(page) == [], url
        assert page.locator("table.report-table tbody tr").count() >= 1
        page.goto(f"{live_server.url}/staff/reports/usage/?start=2026-01&end=2026-02")
        assert page.locator("table.report-table tbody tr").count() == 1
        assert page.locator("svg.report-chart rect").count() == 2
    finally:
        page.close()
