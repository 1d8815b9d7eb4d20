"""Benchmark: the billing run on N subscriptions against its floor.

    python bench/billing_run.py [--subscriptions 100000] [--chunk-size 1000]

Builds a fresh database ``ispstack_bench`` on the server of DATABASE_URL (or
the embedded one), fills it in a child process with N subscriptions (three
plans; a fifth with a static-IP add-on, two units for some; a tenth started
mid-cycle so their first period is prorated; a twentieth with a pending
mid-cycle plan-change charge; the rest billed through last month), then in
this process:

- the floor: COPY of as many invoice and invoice-line rows as the run
  writes, into the same tables, committed (and deleted afterwards, untimed);
- the run: ``run_billing`` with the inline runner (no broker), emails left
  in the outbox as in production.

It prints seconds, invoices per second, the ratio run / floor (target <= 5)
and the peak memory of this process (target < 1 GB). The seed and the dates
are fixed, so every run does the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, bench_tenant, seed_customers, setup_django  # noqa: E402

AS_OF = dt.date(2026, 3, 1)
DB_NAME = "ispstack_bench"


def populate(n: int) -> None:
    """Child process: migrate and create the tenant, plans and N subscriptions."""
    setup_django()
    from django.core.management import call_command
    from django.db import transaction

    from ispstack.billing.models import SubscriptionBilling
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    from ispstack.billing.models import AddOnBilling, Charge
    from ispstack.catalog.services import create_addon
    from ispstack.subscriptions.models import SubscriptionAddOn

    rng = random.Random(2026)
    tenant, vat, plans = bench_tenant()
    static_ip = create_addon(
        tenant=tenant, code="static-ip", name="Static IP", monthly_price="50.00", tax_rate=vat
    )
    with transaction.atomic():
        customer_ids = seed_customers(tenant, n)
        subs, states, addons, addon_states, charges = [], [], [], [], []
        last_month_end = AS_OF - dt.timedelta(days=1)
        sub_ids = reserve_ids(Subscription, n)
        for i, (cid, sid) in enumerate(zip(customer_ids, sub_ids, strict=True), 1):
            plan = plans[rng.randrange(3)]
            if i % 10 == 0:  # a tenth started mid-cycle last month: a prorated period
                start = AS_OF.replace(month=AS_OF.month - 1, day=rng.randint(2, 27))
                billed, next_bill = None, start
            else:
                start, billed, next_bill = dt.date(2025, 6, 1), last_month_end, AS_OF
            subs.append(
                (
                    sid,
                    tenant.pk,
                    cid,
                    plan.pk,
                    f"bench{i}@isp.example",
                    "pw123456",
                    1,
                    start,
                    "active",
                )
            )
            states.append((sid, tenant.pk, billed, next_bill))
            if i % 5 == 1:  # a fifth with a static IP add-on, billed like the plan
                addons.append((tenant.pk, sid, static_ip.pk, 1 + i % 2, start))
                addon_states.append((len(addons), billed))
            if i % 20 == 3:  # a plan change last month left a prorated charge
                charges.append(
                    (
                        tenant.pk,
                        sid,
                        "proration",
                        "Fibre 100 upgrade (plan change)",
                        Decimal("150.00"),
                        Decimal(15),
                        last_month_end,
                    )
                )
        copy_rows(
            Subscription,
            (
                "id",
                "tenant",
                "customer",
                "plan",
                "username",
                "password",
                "billing_day",
                "start_date",
                "status",
            ),
            subs,
        )
        copy_rows(
            SubscriptionBilling,
            ("subscription", "tenant", "billed_through", "next_bill_date"),
            states,
        )
        addon_ids = reserve_ids(SubscriptionAddOn, len(addons))
        copy_rows(
            SubscriptionAddOn,
            ("id", "tenant", "subscription", "addon", "quantity", "start_date"),
            [(aid, *row) for aid, row in zip(addon_ids, addons, strict=True)],
        )
        copy_rows(
            AddOnBilling,
            ("subscription_addon", "tenant", "billed_through"),
            [
                (addon_ids[n - 1], tenant.pk, through)
                for n, through in addon_states
                if through is not None
            ],
        )
        copy_rows(
            Charge,
            ("tenant", "subscription", "kind", "description", "amount", "tax_rate", "charge_date"),
            charges,
        )
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("ANALYZE")


def floor(n_invoices: int, n_lines: int) -> float:
    """Seconds to COPY and commit that many invoice and line rows, with the
    columns the run writes, into the real tables.

    The commit counts: it is where PostgreSQL checks the deferred foreign
    keys, which the run pays too. The rows are deleted afterwards, untimed.
    """
    from django.db import transaction

    from ispstack.billing.models import Invoice, InvoiceLine
    from ispstack.billing.writer import INVOICE_FIELDS, LINE_FIELDS
    from ispstack.core.bulk import copy_rows
    from ispstack.core.models import Tenant
    from ispstack.customers.models import Customer
    from ispstack.subscriptions.models import Subscription

    tenant = Tenant.objects.get(slug="bench")
    customer = Customer.objects.filter(tenant=tenant).values_list("pk", flat=True).first()
    subs = list(Subscription.objects.filter(tenant=tenant).values_list("pk", flat=True))
    due = AS_OF + dt.timedelta(days=14)
    net, tax, total = Decimal("299.00"), Decimal("44.85"), Decimal("343.85")
    ids = list(range(10**9, 10**9 + n_invoices))
    invoices = [
        (
            iid,
            tenant.pk,
            customer,
            f"FLOOR-{iid}",
            "issued",
            "ZAR",
            AS_OF,
            due,
            net,
            tax,
            total,
            None,
            None,
            "",
        )
        for iid in ids
    ]
    per_invoice = max(n_lines // max(n_invoices, 1), 1)
    lines = [
        (
            tenant.pk,
            ids[i // per_invoice % n_invoices],
            subs[i % len(subs)],
            None,
            None,
            "one_time",
            "Fibre 20 01 Mar 2026 - 31 Mar 2026",
            AS_OF,
            AS_OF,
            Decimal(1),
            net,
            net,
            Decimal(15),
            tax,
            total,
        )
        for i in range(n_lines)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        copy_rows(Invoice, INVOICE_FIELDS, invoices)
        copy_rows(InvoiceLine, LINE_FIELDS, lines)
    elapsed = time.perf_counter() - started
    with transaction.atomic():
        InvoiceLine.objects.filter(invoice_id__gte=10**9).delete()
        Invoice.objects.filter(pk__gte=10**9).delete()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the run, print the top")
    parser.add_argument("--populate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate:
        populate(args.subscriptions)
        return
    url = bench_database_url(DB_NAME)
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--populate", "--subscriptions", str(args.subscriptions)],
        env=env,
        check=True,
    )
    print(f"setup: {args.subscriptions} subscriptions in {time.perf_counter() - started:.1f} s")

    os.environ["DATABASE_URL"] = url
    os.environ.pop("CELERY_BROKER_URL", None)
    setup_django()
    from ispstack.billing.models import Invoice, InvoiceLine
    from ispstack.billing.services import run_billing
    from ispstack.core.models import Tenant

    tenant = Tenant.objects.get(slug="bench")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    run = run_billing(tenant=tenant, as_of=AS_OF, chunk_size=args.chunk_size)
    run_seconds = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    invoices = Invoice.objects.filter(billing_run=run).count()
    lines = InvoiceLine.objects.filter(invoice__billing_run=run).count()
    floor_seconds = floor(invoices, lines)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"billing run: {invoices} invoices, {lines} lines, {run.failures.count()} failures, "
        f"totals {run.totals}"
    )
    print(f"run        {run_seconds:8.2f} s   {invoices / run_seconds:10.0f} invoices/s")
    print(f"floor COPY {floor_seconds:8.2f} s   {invoices / floor_seconds:10.0f} invoices/s")
    print(f"ratio run/floor {run_seconds / floor_seconds:.2f} (target <= 5)")
    print(f"peak memory {peak_mb:.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    main()
