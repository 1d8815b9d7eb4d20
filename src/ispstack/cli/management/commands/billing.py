"""``ispstack billing run --as-of DATE``: bill everything due on a date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.billing.services import run_billing
from ispstack.cli.options import add_as_of_option, add_tenant_option, as_of, tenants
from ispstack.core import clock


class Command(BaseCommand):
    help = "Billing: `billing run --as-of YYYY-MM-DD [--tenant SLUG]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Run billing for a date.")
        add_as_of_option(run)
        add_tenant_option(run)

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of(options["as_of"])
        failed = 0
        for tenant in tenants(options["tenant"]):
            run = run_billing(tenant=tenant, as_of=day or clock.today(tenant))
            failed += len(run.failures)
            totals = ", ".join(f"{v} {k}" for k, v in run.totals.items()) or "nothing"
            self.stdout.write(
                f"{tenant.slug}: billing {run.as_of}: {run.invoices_created} "
                f"invoices ({totals}), {len(run.failures)} failures"
            )
            for failure in run.failures:
                self.stderr.write(f"  {failure['username']}: {failure['error']}")
        if failed:
            raise SystemExit(1)
