"""Benchmark: prepaid vouchers.

    python bench/vouchers.py                      # 100,000 vouchers, 100,000 subscribers
    python bench/vouchers.py --vouchers 5000 --subscribers 5000 --requests 2000   # a quick look

1. Generates VOUCHERS vouchers in one batch (one transaction) and sells them
   all (their radcheck / radreply rows), printing both times.
2. FreeRADIUS (the test peer of tests/freeradius, ``bench/radius_auth.sh``'s
   method) on the same database authenticates REQUESTS PAP Access-Requests
   of random ordinary subscribers (bench/radius_data.py's ``ours``: plans as
   groups, a third with a static IP) and REQUESTS of random sold vouchers,
   ``ROUNDS`` times alternately, radclient sending 50 at a time; each rate is
   requests / wall seconds. Prints the medians and the ratio vouchers /
   subscribers (target >= 0.9).

The database server is DATABASE_URL's (the embedded one when unset).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, database_url, libpq_params  # noqa: E402
from radius_data import ours  # noqa: E402
from radius_data import requests as subscriber_requests  # noqa: E402

DB = "ispstack_bench_vouchers"
SECRET = "testing123"


def generate(count: int) -> list[str]:
    """Generate and sell ``count`` vouchers; print the times; return their codes."""
    from ispstack.catalog.models import TaxRate
    from ispstack.core.models import Tenant
    from ispstack.hotspot.models import Voucher
    from ispstack.hotspot.vouchers import services

    tenant = Tenant.objects.get(slug="bench")
    plan = services.create_plan(
        tenant=tenant,
        code="day",
        name="Day pass",
        duration_seconds=86400,
        data_limit_bytes=5 * 2**30,
        download_kbps=8192,
        upload_kbps=2048,
        price="20.00",
        tax_rate=TaxRate.objects.get(tenant=tenant),
    )
    started = time.perf_counter()
    batch = services.generate_batch(tenant=tenant, plan=plan, count=count, prefix="HS")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    services.sell_batch(batch=batch)
    sold = time.perf_counter() - started
    print(
        f"vouchers: {count} generated in {generated:.2f} s (one transaction), sold in {sold:.2f} s"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return list(Voucher.objects.filter(batch=batch).values_list("code", flat=True))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rate(path: Path, port: int, count: int) -> float:
    """Access-Requests per second radclient gets answered; all must be accepted."""
    started = time.perf_counter()
    out = subprocess.run(
        [
            "radclient",
            "-q",
            "-s",
            "-c",
            "1",
            "-p",
            "50",
            "-r",
            "3",
            "-t",
            "5",
            "-f",
            str(path),
            f"127.0.0.1:{port}",
            "auth",
            SECRET,
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    text = out.stdout + out.stderr
    if f"Accepted      : {count}" not in text and f"Accepted : {count}" not in " ".join(
        text.split()
    ):
        sys.exit(f"radclient: not every request was accepted:\n{text}")
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vouchers", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    ours(DB, options.subscribers, 0)
    codes = generate(options.vouchers)

    work = Path(tempfile.mkdtemp(prefix="ispstack-bench-vouchers-"))
    subscriber_requests(str(work), options.subscribers, options.requests)
    rng = random.Random(2026)
    with open(work / "vouchers.txt", "w") as out:
        for code in (rng.choice(codes) for _ in range(options.requests)):
            out.write(
                f'User-Name = "{code}"\nUser-Password = "{code}"\n'
                "NAS-IP-Address = 127.0.0.1\nNAS-Port-Type = Wireless-802.11\n\n"
            )

    params = libpq_params(database_url(DB))
    env = {
        **os.environ,
        "PGHOST": str(params["host"] or "127.0.0.1"),
        "PGPORT": str(params["port"] or 5432),
        "PGUSER": str(params["user"] or "postgres"),
        "PGPASSWORD": str(params["password"] or ""),
        "PGDATABASE": DB,
    }
    auth = free_port()
    run_dir = work / "run"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.freeradius",
            "start",
            str(run_dir),
            "--auth-port",
            str(auth),
            "--acct-port",
            str(free_port()),
            "--coa-port",
            str(free_port()),
        ],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    try:
        rates: dict[str, list[float]] = {"subscribers": [], "vouchers": []}
        for round_ in range(1, options.rounds + 1):
            for kind, path in (
                ("subscribers", work / "auth.txt"),
                ("vouchers", work / "vouchers.txt"),
            ):
                rates[kind].append(rate(path, auth, options.requests))
            print(
                f"round {round_}: subscribers {rates['subscribers'][-1]:.0f}/s "
                f"vouchers {rates['vouchers'][-1]:.0f}/s"
            )
    finally:
        subprocess.run(
            [sys.executable, "-m", "tests.freeradius", "stop", str(run_dir)], cwd=ROOT, env=env
        )
    subs = statistics.median(rates["subscribers"])
    vouchers = statistics.median(rates["vouchers"])
    print(
        f"== {options.vouchers} vouchers, {options.subscribers} subscribers, "
        f"{options.requests} Access-Requests per kind, {options.rounds} rounds (medians)"
    )
    print(
        f"subscribers {subs:.0f} req/s   vouchers {vouchers:.0f} req/s   "
        f"ratio {vouchers / subs:.2f} (target >= 0.9)"
    )


if __name__ == "__main__":
    main()
