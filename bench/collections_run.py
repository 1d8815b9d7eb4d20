"""Benchmark: one collections run against the floor of one SQL statement.

    python bench/collections_run.py [--accounts 100000] [--repeat 3]

Builds a fresh database ``ispstack_bench_collections`` on the server of
DATABASE_URL (or the embedded one) in a child process: N customers with one
active subscription each (COPY), one invoice each, a tenth of them overdue
by 1 to 40 days (amounts of the three plans, 15 % VAT), and three dunning
campaigns: a default one (email, then invoice reminders three days later,
suspension after 45 days), one for overdue amounts from 900.00 (a webhook
and an SMS, priority 1), both leaving out customers tagged ``business``, and
one that takes those (an email, the lowest priority). A tenth of the late
customers are tagged ``business``.

Then, in this process and in one transaction each (rolled back, so every
repeat does the same work on the same data):

- the floor: one SQL statement selecting the accounts due for a step (the
  late customers, their overdue amount and oldest due date, with the
  campaign each falls into and no active execution yet);
- the run: ``run_collections`` for the day: it starts the executions and
  performs every step due (emails and SMS queued in the outbox, reminders,
  webhooks), as the daily job does.

It prints the median seconds of each over ``--repeat`` runs, the late
accounts, the steps performed, and the ratio run / floor against the target
(<= 3); it exits 1 when the target is missed. The seed and the date are
fixed, so every run does the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database_url, bench_tenant, seed_subscribers, setup_django  # noqa: E402

AS_OF = dt.date(2026, 3, 15)
DB_NAME = "ispstack_bench_collections"
TARGET = 3.0
LATE_SHARE = 10  # one in ten accounts is overdue

FLOOR_SQL = """
WITH late AS (
    SELECT i.customer_id,
           SUM(i.total - i.amount_paid - i.amount_credited) AS due,
           MIN(i.due_date) AS oldest
      FROM billing_invoice i
     WHERE i.tenant_id = %(tenant)s AND i.status IN ('issued', 'partially_paid')
       AND i.due_date < %(as_of)s
     GROUP BY i.customer_id
)
SELECT late.customer_id, late.due, late.oldest, campaign.id
  FROM late
  JOIN customers_customer c ON c.id = late.customer_id
  LEFT JOIN LATERAL (
        SELECT k.id FROM collections_dunningcampaign k
         WHERE k.tenant_id = %(tenant)s AND k.is_active
           AND late.oldest + k.trigger_after_days <= %(as_of)s
           AND late.due >= k.minimum_amount
           AND NOT (k.exclude_tags ?| ARRAY(SELECT jsonb_array_elements_text(c.tags)))
         ORDER BY k.priority DESC, k.id LIMIT 1
  ) campaign ON true
 WHERE NOT EXISTS (
        SELECT 1 FROM collections_dunningexecution e
         WHERE e.customer_id = late.customer_id AND e.status = 'active')
"""


def populate(accounts: int) -> None:
    """Child process: migrate, then the tenant, subscribers, invoices and campaigns."""
    setup_django()
    from django.core.management import call_command
    from django.db import transaction

    from ispstack.billing.models import Invoice
    from ispstack.collections.dunning import create_campaign
    from ispstack.core.bulk import copy_rows
    from ispstack.customers.models import Customer
    from ispstack.subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    with transaction.atomic():
        tenant, _vat, plans = bench_tenant()
        seed_subscribers(tenant, plans, accounts, start=dt.date(2025, 1, 1))
        prices = {p.pk: p.monthly_price * Decimal("1.15") for p in plans}
        subs = Subscription.objects.filter(tenant=tenant).order_by("pk")
        rows, business = [], []
        for n, (customer_id, plan_id) in enumerate(subs.values_list("customer_id", "plan_id")):
            late = n % LATE_SHARE == 0
            if late:
                issued = AS_OF - dt.timedelta(days=rng.randint(15, 54))
                due = min(issued + dt.timedelta(days=14), AS_OF - dt.timedelta(days=1))
            else:
                issued = AS_OF - dt.timedelta(days=rng.randint(0, 9))
                due = AS_OF + dt.timedelta(days=rng.randint(0, 10))
            total = prices[plan_id].quantize(Decimal("0.01"))
            if late and rng.random() < 0.3:
                total *= 2  # two months unpaid
            rows.append((tenant.pk, customer_id, f"INV-{n:07d}", "ZAR", issued, due, total))
            if late and n % (LATE_SHARE * 10) == 0:
                business.append(customer_id)
        copy_rows(
            Invoice,
            ("tenant", "customer", "number", "currency", "issue_date", "due_date", "total")
            + ("subtotal", "tax_total", "status"),
            ((*row, row[-1], Decimal(0), "issued") for row in rows),
        )
        Customer.objects.filter(pk__in=business).update(tags=["business"])
        create_campaign(
            tenant=tenant,
            name="Default",
            priority=-1,
            trigger_after_days=1,
            exclude_tags=["business"],
            steps=[
                {"delay_days": 0, "action": "email"},
                {"delay_days": 3, "action": "reminder"},
                {"delay_days": 42, "action": "suspend"},
            ],
        )
        create_campaign(
            tenant=tenant,
            name="Large debts",
            priority=1,
            minimum_amount="900.00",
            exclude_tags=["business"],
            steps=[
                {"delay_days": 0, "action": "webhook", "config": {"url": "http://127.0.0.1:9/"}},
                {"delay_days": 2, "action": "sms"},
            ],
        )
        create_campaign(
            tenant=tenant,
            name="Business",
            priority=-2,
            steps=[{"delay_days": 0, "action": "email"}],
        )
    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def timed_rolled_back(work: object) -> tuple[float, object]:
    """Seconds ``work()`` takes inside a transaction that is then rolled back."""
    from django.db import transaction

    class Undo(Exception):
        pass

    result: object = None
    began = time.perf_counter()
    try:
        with transaction.atomic():
            result = work()  # type: ignore[operator]
            elapsed = time.perf_counter() - began
            raise Undo
    except Undo:
        pass
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = bench_database_url(DB_NAME)
    print(f"populating {args.accounts} accounts ...", flush=True)
    subprocess.run([sys.executable, __file__, "--populate", str(args.accounts)], check=True)
    setup_django()
    from django.conf import settings
    from django.db import connection

    from ispstack.collections.services import run_collections
    from ispstack.core.models import Tenant

    # SMS steps queue their texts in the outbox; nothing is sent during the run.
    settings.SMS_BACKEND = settings.SMS_BACKEND or "http"
    tenant = Tenant.objects.get(slug="bench")

    def floor() -> int:
        with connection.cursor() as cur:
            cur.execute(FLOOR_SQL, {"tenant": tenant.pk, "as_of": AS_OF})
            return len(cur.fetchall())

    def run() -> tuple[int, int]:
        done = run_collections(tenant=tenant, as_of=AS_OF)
        return done.dunning_started, done.dunning_steps

    floors, runs = [], []
    late = started = steps = 0
    for _ in range(args.repeat):
        seconds, late = timed_rolled_back(floor)  # type: ignore[assignment]
        floors.append(seconds)
        seconds, (started, steps) = timed_rolled_back(run)  # type: ignore[misc]
        runs.append(seconds)
    floor_s, run_s = statistics.median(floors), statistics.median(runs)
    ratio = run_s / floor_s
    print(f"accounts {args.accounts}, late {late}, executions started {started}, steps {steps}")
    print(f"floor (one SELECT of the accounts due): {floor_s:.3f} s (median of {args.repeat})")
    print(f"collections run: {run_s:.2f} s (median of {args.repeat})")
    print(f"ratio run / floor: {ratio:.1f} (target <= {TARGET:g})")
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--populate":
        populate(int(sys.argv[2]))
    else:
        main()
