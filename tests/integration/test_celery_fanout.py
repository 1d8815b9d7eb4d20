"""With CELERY_BROKER_URL set, a billing run fans its chunks out to a real
Celery worker over a real Redis broker on 127.0.0.1, and the worker finishes
the run: same invoices, no gap, run record done."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.db import transaction

from ispstack.billing.models import BillingRun, Invoice
from ispstack.billing.services import run_billing
from ispstack.celery import app as celery_app
from tests.integration.test_billing_sigkill import _database_url

pytestmark = pytest.mark.django_db(transaction=True)
BROKER = "redis://127.0.0.1:6379/15"


@pytest.fixture
def celery_worker(settings, tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": BROKER,
           "ISPSTACK_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "celery", "-A", "ispstack", "purge", "-f"], env=env,
                   capture_output=True, timeout=60)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ispstack", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    settings.CELERY_BROKER_URL = BROKER
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False)
    try:
        yield worker
    finally:
        celery_app.conf.update(broker_url="", task_always_eager=True)
        worker.terminate()
        worker.wait(timeout=30)


def test_chunks_run_on_a_celery_worker(tenant, make_subscription, make_customer, make_plan,
                                       celery_worker):
    plan = make_plan(tenant)
    with transaction.atomic():
        for _ in range(25):
            make_subscription(tenant, plan=plan, customer=make_customer(tenant), pool=None,
                              start_date=dt.date(2026, 1, 1))
    run = run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1), chunk_size=10)
    assert run.chunks_total == 3
    deadline = time.monotonic() + 120
    while BillingRun.objects.get(pk=run.pk).status != "done":
        assert celery_worker.poll() is None, celery_worker.stdout.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the worker did not finish the run"
        time.sleep(0.2)
    run = BillingRun.objects.get(pk=run.pk)
    assert (run.invoices_created, run.chunks_done, run.totals) == (25, 3, {"EUR": "892.50"})
    numbers = sorted(Invoice.objects.filter(tenant=tenant).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, 26)]
