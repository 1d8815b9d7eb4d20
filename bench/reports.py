"""Benchmark: the finance reports on N subscribers.

    python bench/reports.py [--subscriptions 100000] [--months 12]

Builds a fresh database ``ispstack_bench_reports`` on the server of
DATABASE_URL (or the embedded one) and fills it with COPY: N subscribers on
three plans activated over the past two years (one lifecycle event each), a
tenth upgraded, a twentieth terminated, a fifth with an add-on, a tenth with
a promotion; two unpaid invoices each. Then it times the MRR movements of
the last ``--months`` months, the growth by plan and the aging, each one SQL
statement, and prints seconds per report. The seed is fixed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import bench_database_url, bench_tenant, seed_customers, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_reports"
TODAY = dt.date(2026, 6, 15)


def populate(n: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from ispstack.billing.models import Invoice
    from ispstack.catalog.services import (
        create_addon,
        create_promotion,
    )
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.subscriptions.models import (
        PlanChange,
        Subscription,
        SubscriptionAddOn,
        SubscriptionEvent,
        SubscriptionPromotion,
    )

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    tenant, vat, plans = bench_tenant()
    addon = create_addon(
        tenant=tenant, code="ip", name="Static IP", monthly_price="50.00", tax_rate=vat
    )
    promo = create_promotion(
        tenant=tenant, code="half", name="Half", kind="percent", value="50", cycles=3
    )
    with transaction.atomic():
        customer_ids = seed_customers(tenant, n)
        sub_ids = reserve_ids(Subscription, n)
        subs, events, changes, addons, promos, invoices = [], [], [], [], [], []
        for i, (cid, sid) in enumerate(zip(customer_ids, sub_ids, strict=True), 1):
            start = TODAY - dt.timedelta(days=rng.randint(1, 730))
            plan = plans[i % 2]
            status = "active"
            events.append((tenant.pk, sid, "pending", "active", "", start, "bench"))
            if i % 10 == 0:
                on = start + dt.timedelta(days=rng.randint(0, (TODAY - start).days))
                changes.append((tenant.pk, sid, plan.pk, plans[2].pk, on, "applied", ""))
                plan = plans[2]
            if i % 20 == 1:
                end = start + dt.timedelta(days=rng.randint(0, (TODAY - start).days))
                events.append((tenant.pk, sid, "active", "terminated", "left", end, "bench"))
                status = "terminated"
            if i % 5 == 2:
                addons.append((tenant.pk, sid, addon.pk, 1, start))
            if i % 10 == 3:
                promos.append((tenant.pk, sid, promo.pk, start))
            subs.append((sid, tenant.pk, cid, plan.pk, f"b{i}@isp.example", "pw", 1, start, status))
            for back in (20, 75):
                due = TODAY - dt.timedelta(days=back + rng.randint(0, 10))
                invoices.append(
                    (tenant.pk, cid, f"INV-{i}-{back}", "issued", "ZAR", due, due)
                    + (Decimal("573.85"),) * 2
                )
        copy_rows(
            Subscription,
            ("id", "tenant", "customer", "plan", "username", "password", "billing_day")
            + ("start_date", "status"),
            subs,
        )
        copy_rows(
            SubscriptionEvent,
            ("tenant", "subscription", "from_status", "to_status", "reason", "effective_date")
            + ("actor_label",),
            events,
        )
        copy_rows(
            PlanChange,
            ("tenant", "subscription", "from_plan", "to_plan", "effective_date", "status")
            + ("reason",),
            changes,
        )
        copy_rows(
            SubscriptionAddOn, ("tenant", "subscription", "addon", "quantity", "start_date"), addons
        )
        copy_rows(
            SubscriptionPromotion, ("tenant", "subscription", "promotion", "start_date"), promos
        )
        copy_rows(
            Invoice,
            ("tenant", "customer", "number", "status", "currency", "issue_date", "due_date")
            + ("subtotal", "total"),
            invoices,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(months: int) -> None:
    from ispstack.core import clock
    from ispstack.core.models import Tenant
    from ispstack.reports import selectors

    tenant = Tenant.objects.get(slug="bench")
    moment = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    with clock.simulated(moment):
        start = (TODAY.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
        filters = selectors.make_filters(tenant, start=start, end=TODAY)
        for name, run in (
            ("mrr movements", lambda: selectors.mrr_movements(tenant, filters)),
            ("growth by plan", lambda: selectors.growth_by_plan(tenant, filters)),
            ("aging", lambda: selectors.aging(tenant, as_of=TODAY)),
        ):
            began = time.perf_counter()
            rows = run()
            print(f"{name}: {time.perf_counter() - began:.2f} s ({len(rows)} rows)")
        last = selectors.mrr_movements(tenant, filters)[-1]
        print(f"closing MRR {last.closing} ZAR, {last.customers_closing} paying customers")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument("--database", default=DB_NAME, help="the database to fill or reuse")
    args = parser.parse_args()
    if args.reuse:
        from common import database_url

        os.environ["DATABASE_URL"] = database_url(args.database)
        setup_django()
    else:
        os.environ["DATABASE_URL"] = bench_database_url(args.database)
        setup_django()
        began = time.perf_counter()
        populate(args.subscriptions)
        print(f"filled {args.subscriptions} subscribers in {time.perf_counter() - began:.0f} s")
    measure(args.months)


if __name__ == "__main__":
    main()
