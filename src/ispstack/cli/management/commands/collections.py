"""``ispstack collections run --as-of DATE``: reminders, suspensions, reconnections."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.cli.options import add_as_of_option, add_tenant_option, as_of, tenants
from ispstack.collections.services import run_collections
from ispstack.collections.tasks import run_collections_task
from ispstack.core import clock
from ispstack.core.job_log import job_run


class Command(BaseCommand):
    help = "Collections: `collections run --as-of YYYY-MM-DD [--tenant SLUG]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Run collections for a date.")
        add_as_of_option(run)
        add_tenant_option(run)

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of(options["as_of"])
        for tenant in tenants(options["tenant"]):
            day_of = day or clock.today(tenant)
            # Logged as the beat task's part for this tenant (core.job_log).
            with job_run(
                run_collections_task.name, tenant=tenant, arguments={"as_of": day_of}
            ) as logged:
                run = run_collections(tenant=tenant, as_of=day_of)
                logged.counts = {"suspended": run.suspended, "reconnected": run.reconnected}
            self.stdout.write(
                f"{tenant.slug}: collections {run.as_of}: {run.reminders_sent} "
                f"reminders, {run.suspended} suspended, "
                f"{run.reconnected} reconnected"
            )
