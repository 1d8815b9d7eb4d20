"""Benchmark: N service orders through every step against their floor.

    python bench/orders.py [--orders 10000]

Builds a fresh database ``ispstack_bench_orders`` on the server of
DATABASE_URL (or the embedded one), one tenant with a plan, two /18 IPv4
pools and 2N customers, then, with no external system configured (every
adapter None: addresses from ispstack's own pools, no ACS, no router) and
no broker (the outbox runs inline; mail goes to Django's dummy backend):

- the floor: for N customers, the same rows written without the workflow:
  ``create_subscription`` with an address from the pool, ``activate`` on
  today (its RADIUS rows) and the first prorated invoice (``bill_now``);
- the workflow: for the other N, ``create_subscription`` (pending),
  ``create_order`` and ``advance`` through every step (survey skipped,
  addresses, RADIUS group, appointment, CPE skipped, activation with the
  first invoice, welcome email through the outbox).

It prints orders per second, subscriptions per second for the floor and
the ratio workflow / floor (target <= 3).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, seed_customers, setup_django  # noqa: E402

DB_NAME = "ispstack_bench_orders"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    n = args.orders
    os.environ["DATABASE_URL"] = bench_database_url(DB_NAME)
    os.environ.pop("CELERY_BROKER_URL", None)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    call_command("migrate", verbosity=0)

    from ispstack.billing.runner import bill_now
    from ispstack.catalog.services import create_plan, create_tax_rate
    from ispstack.core import clock
    from ispstack.core.models import Tenant
    from ispstack.network.services import create_pool
    from ispstack.provisioning import orders
    from ispstack.provisioning.adapters.base import Adapters
    from ispstack.provisioning.models import ServiceOrder
    from ispstack.subscriptions.services import activate, create_subscription

    tenant = Tenant.objects.create(
        name="Bench ISP", slug="bench", currency="ZAR", timezone="Africa/Johannesburg", country="ZA"
    )
    vat = create_tax_rate(tenant=tenant, name="VAT", rate="15")
    plan = create_plan(
        tenant=tenant,
        code="p50",
        name="Fibre 50",
        download_kbps=50_000,
        upload_kbps=10_000,
        monthly_price="499.00",
        tax_rate=vat,
    )
    floor_pool = create_pool(tenant=tenant, name="floor", cidr="100.64.0.0/18")
    order_pool = create_pool(tenant=tenant, name="orders", cidr="100.64.64.0/18")
    customers = seed_customers(tenant, 2 * n)
    today = clock.today(tenant)

    started = time.perf_counter()
    for i, customer_id in enumerate(customers[:n]):
        sub = create_subscription(
            tenant=tenant,
            customer=customer_id,
            plan=plan,
            username=f"floor{i}@isp.example",
            password="pw123456",
            pool=floor_pool,
        )
        sub = activate(subscription=sub, on=today)
        bill_now(sub, today)
    floor = time.perf_counter() - started
    print(f"floor: {n} subscriptions in {floor:.1f} s ({n / floor:.0f}/s)")

    adapters = Adapters()
    started = time.perf_counter()
    for i, customer_id in enumerate(customers[n:]):
        sub = create_subscription(
            tenant=tenant,
            customer=customer_id,
            plan=plan,
            username=f"order{i}@isp.example",
            password="pw123456",
        )
        order = orders.create_order(subscription=sub, pool=order_pool)
        orders.advance(order=order, adapters=adapters)
    run = time.perf_counter() - started
    completed = ServiceOrder.objects.filter(status="completed").count()
    assert completed == n, f"only {completed} of {n} orders completed"
    print(f"workflow: {n} orders in {run:.1f} s ({n / run:.0f} orders/s)")
    print(f"ratio workflow / floor: {run / floor:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
