"""Two months of daily usage on three plans, shared by the usage reports'
tests (``test_reports_ops``, ``test_usage_facts``), with the naive readings
they are checked against: the ``traffic`` fixture (a pytest plugin of the
root conftest) and its helpers."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction
from typing import Any

import pytest

from ispstack.network.inventory import Sector, Site
from ispstack.reports import usage as usage_report
from ispstack.subscriptions.models import PlanChange, Subscription
from ispstack.usage.models import DailyUsage

D = dt.date
GB = 10**9


def make_site(tenant: Any, name: str) -> Sector:
    site = Site.objects.create(
        tenant=tenant, kind="tower", name=name, slug=name.lower(), latitude=0, longitude=0
    )
    return Sector.objects.create(tenant=tenant, site=site, name=f"{name} A", azimuth=0)


def serve_from(sub: Subscription, sector: Sector | None) -> None:
    Subscription.objects.filter(pk=sub.pk).update(sector=sector)


# --- the naive readings ---------------------------------------------------------


def plan_on(sub: Subscription, day: dt.date) -> Any:
    changes = sorted(
        sub.plan_changes.filter(status=PlanChange.Status.APPLIED),
        key=lambda c: (c.effective_date, c.pk),
    )
    before = [c for c in changes if c.effective_date <= day]
    if before:
        return before[-1].to_plan
    after = [c for c in changes if c.effective_date > day]
    return after[0].from_plan if after else sub.plan


def nearest_rank(values: list[int], share: Fraction) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def naive_usage(tenant: Any, months: list[dt.date], **only: Any) -> dict[tuple, dict]:
    per_sub: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in DailyUsage.objects.filter(tenant=tenant):
        sub = Subscription.objects.get(pk=row.subscription_id)
        month = row.day.replace(day=1)
        plan = plan_on(sub, row.day)
        if month not in months or only.get("plan", plan) != plan:
            continue
        if "tag" in only and only["tag"] not in sub.customer.tags:
            continue
        if "site" in only and (sub.sector is None or sub.sector.site != only["site"]):
            continue
        per_sub[(month, plan, sub.pk)][0] += row.output_octets
        per_sub[(month, plan, sub.pk)][1] += row.input_octets
    groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for (month, plan, _sub), (down, up) in per_sub.items():
        if down + up:
            groups[(month, plan.name)].append((down, up))
    out = {}
    for (month, name), subs in groups.items():
        plan = next(p for (m, p, _s) in per_sub if p.name == name)
        totals = [d + u for d, u in subs]
        cap = plan.data_cap_bytes
        out[(month, name)] = {
            "subscriptions": len(subs),
            "download_bytes": sum(d for d, _u in subs),
            "upload_bytes": sum(u for _d, u in subs),
            "average_bytes": round(Fraction(sum(totals), len(totals))),
            "p95_bytes": nearest_rank(totals, Fraction(95, 100)),
            "reached_80": None if cap is None else sum(t * 100 >= cap * 80 for t in totals),
            "reached_100": None if cap is None else sum(t >= cap for t in totals),
        }
    return out


def as_usage(rows: list[usage_report.UsageMonth]) -> dict[tuple, dict]:
    keys = (
        "subscriptions",
        "download_bytes",
        "upload_bytes",
        "average_bytes",
        "p95_bytes",
        "reached_80",
        "reached_100",
    )
    return {(r.month, r.plan): {k: getattr(r, k) for k in keys} for r in rows}


@pytest.fixture
def traffic(tenant, make_tenant, make_plan, make_customer, make_subscription):
    """January and February 2026: five subscribers on a 100 GB plan, a 500 GB
    plan and an unlimited one; one moves up on 15 February; one is tagged,
    one served from the North site. Another tenant's heavy user too."""
    small = make_plan(tenant, name="Small", data_cap_bytes=100 * GB)
    big = make_plan(tenant, name="Big", data_cap_bytes=500 * GB)
    unlimited = make_plan(tenant, name="Unlimited")
    north = make_site(tenant, "North")
    business = make_customer(tenant, name="Acme", tags=["business"])
    a = make_subscription(tenant, plan=small, start_date=D(2026, 1, 1))
    b = make_subscription(tenant, plan=small, customer=business, start_date=D(2026, 1, 1))
    c = make_subscription(tenant, plan=unlimited, start_date=D(2026, 1, 1))
    d = make_subscription(tenant, plan=small, start_date=D(2026, 1, 1))
    e = make_subscription(tenant, plan=big, start_date=D(2026, 1, 1))
    serve_from(b, north)
    from ispstack.subscriptions.services import apply_plan

    apply_plan(subscription=a, plan=big, effective=D(2026, 2, 15))
    # (subscription, day, download GB, upload GB)
    days = [
        (a, D(2026, 1, 3), 60, 5),
        (a, D(2026, 1, 20), 20, 2),  # January: 87 GB, past 80 % of Small
        (a, D(2026, 2, 10), 40, 4),  # February on Small: 44 GB
        (a, D(2026, 2, 20), 300, 10),  # February on Big: 310 GB
        (b, D(2026, 1, 5), 95, 10),  # January: 105 GB, over Small's cap
        (b, D(2026, 2, 1), 10, 1),
        (c, D(2026, 1, 9), 700, 50),
        (c, D(2026, 2, 28), 1, 0),
        (d, D(2026, 1, 31), 30, 3),
        (d, D(2026, 3, 1), 99, 9),  # March: outside the range asked
        (e, D(2026, 1, 12), 250, 20),
    ]
    for sub, day, down, up in days:
        DailyUsage.objects.create(
            tenant=tenant, subscription=sub, day=day, output_octets=down * GB, input_octets=up * GB
        )
    # A day with a row but no bytes: no usage.
    DailyUsage.objects.create(tenant=tenant, subscription=e, day=D(2026, 2, 2))
    other = make_tenant()
    stranger = make_subscription(other, plan=make_plan(other, name="Small"))
    DailyUsage.objects.create(
        tenant=other, subscription=stranger, day=D(2026, 1, 4), output_octets=9000 * GB
    )
    return {"small": small, "big": big, "north": north.site, "a": a, "b": b, "c": c, "e": e}
