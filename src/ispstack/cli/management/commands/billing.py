"""``ispstack billing run --as-of DATE``: bill everything due on a date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ispstack.billing.services import run_billing
from ispstack.billing.tasks import run_billing_task
from ispstack.cli.options import add_as_of_option, add_tenant_option, as_of, tenants
from ispstack.core import clock, outbox
from ispstack.core.job_log import job_run


class Command(BaseCommand):
    help = "Billing: `billing run --as-of YYYY-MM-DD [--tenant SLUG] [--chunk-size N]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Run billing for a date.")
        add_as_of_option(run)
        add_tenant_option(run)
        run.add_argument(
            "--chunk-size",
            type=int,
            default=1000,
            help="Subscriptions per transaction (and per Celery task).",
        )
        run.add_argument("--no-progress", action="store_true", help="No progress bar.")
        run.add_argument(
            "--no-jobs",
            action="store_true",
            help="Leave the invoice emails to `ispstack jobs run` or the workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of(options["as_of"])
        failed = 0
        for tenant in tenants(options["tenant"]):
            with tqdm(
                desc=f"billing {tenant.slug}",
                unit="sub",
                file=self.stderr,
                disable=options["no_progress"] or None,
            ) as bar:

                def progress(done: int, total: int, bar: Any = bar) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                day_of = day or clock.today(tenant)
                # Logged as the beat task's part for this tenant (core.job_log).
                with job_run(
                    run_billing_task.name, tenant=tenant, arguments={"as_of": day_of}
                ) as logged:
                    run = run_billing(
                        tenant=tenant,
                        as_of=day_of,
                        chunk_size=options["chunk_size"],
                        progress=progress,
                    )
                    logged.counts = {"invoices": run.invoices_created}
            sent = 0 if options["no_jobs"] else outbox.drain()
            failures = list(run.failures.all())
            failed += len(failures)
            totals = ", ".join(f"{v} {k}" for k, v in run.totals.items()) or "nothing"
            self.stdout.write(
                f"{tenant.slug}: billing {run.as_of}: {run.invoices_created} "
                f"invoices ({totals}), {len(failures)} failures, "
                f"{sent} emails sent"
            )
            for failure in failures:
                self.stderr.write(f"  {failure.username}: {failure.error}")
        if failed:
            raise SystemExit(1)
