"""A billing run killed with SIGKILL in the middle, then run again: exactly
one invoice per subscription and period, no gap in the numbers, the same
totals as an uninterrupted run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum

from ispstack.billing.models import Invoice, InvoiceLine, SubscriptionBilling
from ispstack.billing.periods import periods_due
from ispstack.core.money import round_money, tax_for
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)
SUBSCRIBERS = 400


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _billing_run(tenant_slug: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ispstack",
            "billing",
            "run",
            "--as-of",
            "2026-03-01",
            "--tenant",
            tenant_slug,
            "--chunk-size",
            "10",
            "--no-progress",
            "--no-jobs",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_sigkill_mid_run_then_rerun(tenant, make_subscription, make_plan, make_customer):
    plans = [make_plan(tenant, monthly_price=price) for price in ("19.99", "30.00", "44.50")]
    with transaction.atomic():
        for n in range(SUBSCRIBERS):
            make_subscription(
                tenant,
                plan=plans[n % 3],
                customer=make_customer(tenant),
                pool=None,
                start_date=dt.date(2026, 2, 1) + dt.timedelta(days=n % 28),
            )

    first = _billing_run(tenant.slug)
    deadline = time.monotonic() + 120
    while Invoice.objects.filter(tenant=tenant).count() < SUBSCRIBERS // 4:
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = Invoice.objects.filter(tenant=tenant).count()
    assert first.returncode == -signal.SIGKILL
    assert SUBSCRIBERS // 4 <= killed_at < SUBSCRIBERS

    second = _billing_run(tenant.slug)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err.decode()[-2000:]

    invoices = Invoice.objects.filter(tenant=tenant)
    numbers = sorted(invoices.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    # Every subscriber started in February: a February and a March invoice line.
    per_sub = (
        InvoiceLine.objects.filter(tenant=tenant)
        .values("subscription")
        .annotate(n=Count("id"), periods=Count("period_start", distinct=True))
    )
    assert len(per_sub) == SUBSCRIBERS
    assert {(row["n"], row["periods"]) for row in per_sub} == {(2, 2)}
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, len(numbers) + 1)]
    assert len(numbers) == SUBSCRIBERS
    assert (
        SubscriptionBilling.objects.filter(
            tenant=tenant, billed_through=dt.date(2026, 3, 31), next_bill_date=dt.date(2026, 4, 1)
        ).count()
        == SUBSCRIBERS
    )

    expected = Decimal(0)
    for sub in Subscription.objects.filter(tenant=tenant).select_related("plan"):
        for period in periods_due(
            service_start=sub.start_date, billing_day=1, as_of=dt.date(2026, 3, 1)
        ):
            net = round_money(sub.plan.monthly_price * period.fraction, "EUR")
            expected += net + tax_for(net, Decimal(19), "EUR")
    assert invoices.aggregate(s=Sum("total"))["s"] == expected
