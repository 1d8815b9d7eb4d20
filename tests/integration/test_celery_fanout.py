"""With CELERY_BROKER_URL set, a billing run fans its chunks out to a real
Celery worker over a real Redis broker (a private redis-server on a free
127.0.0.1 port, stopped by PID), and the worker finishes the run: same
invoices, no gap, run record done."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import transaction

from ispstack.billing.models import BillingRun, Invoice
from ispstack.billing.services import run_billing
from ispstack.celery import app as celery_app
from ispstack.core.models import Job
from tests.integration.test_billing_sigkill import _database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_broker(tmp_path):
    """A private redis-server on a Unix socket: no TCP port another peer of
    the same run could take between choosing it and binding it."""
    sock = tmp_path / "redis.sock"
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            break
        except OSError:
            assert server.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield f"redis+socket://{sock}"
    finally:
        server.terminate()


def _forget_broker_connections() -> None:
    """An earlier test of this process may have sent a task to another broker:
    the app keeps the connection and producer pools it made for it (Celery has
    no public reset short of ``close()``, which unregisters the app)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(settings, tmp_path, redis_broker):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_broker,
        "ISPSTACK_VAR_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ispstack",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    settings.CELERY_BROKER_URL = redis_broker
    celery_app.conf.update(broker_url=redis_broker, task_always_eager=False)
    _forget_broker_connections()
    try:
        yield worker
    finally:
        celery_app.conf.update(broker_url="", task_always_eager=True)
        _forget_broker_connections()
        worker.terminate()
        worker.wait(timeout=30)


def test_chunks_run_on_a_celery_worker(
    tenant, make_subscription, make_customer, make_plan, celery_worker
):
    plan = make_plan(tenant)
    with transaction.atomic():
        for _ in range(25):
            make_subscription(
                tenant,
                plan=plan,
                customer=make_customer(tenant),
                pool=None,
                start_date=dt.date(2026, 1, 1),
            )
    run = run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1), chunk_size=10)
    assert run.chunks_total == 3
    deadline = time.monotonic() + 120
    while BillingRun.objects.get(pk=run.pk).status != "done":
        assert celery_worker.poll() is None, celery_worker.stdout.read().decode()[-2000:]
        if time.monotonic() > deadline:
            celery_worker.terminate()
            output = celery_worker.communicate(timeout=30)[0].decode()[-4000:]
            jobs = list(
                Job.objects.values_list(
                    "kind", "status", "attempts", "next_attempt_at", "last_error"
                )
            )
            pytest.fail(
                f"the worker did not finish the run; jobs: {jobs}; "
                f"broker: {celery_app.conf.broker_url}; its output:\n{output}"
            )
        time.sleep(0.2)
    run = BillingRun.objects.get(pk=run.pk)
    assert (run.invoices_created, run.chunks_done, run.totals) == (25, 3, {"EUR": "892.50"})
    numbers = sorted(Invoice.objects.filter(tenant=tenant).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, 26)]
