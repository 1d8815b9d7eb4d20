"""``ispstack jobs run``: retry due outbox jobs (emails, CoA) once;
``ispstack jobs reports``: send the scheduled reports that are due;
``ispstack jobs mrr-facts``: store each tenant's MRR facts that are missing;
``ispstack jobs revenue-facts``: store each tenant's closed revenue months that
are missing; ``ispstack jobs usage-facts``: the same for usage by plan."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.core.tasks import run_due_jobs_task
from ispstack.reports.tasks import (
    send_scheduled_reports_task,
    store_mrr_facts_task,
    store_revenue_facts_task,
    store_usage_facts_task,
)


class Command(BaseCommand):
    help = (
        "Outbox: `jobs run` performs every due job once; "
        "`jobs reports` sends the scheduled reports that are due; "
        "`jobs mrr-facts` stores the MRR reports' missing days; "
        "`jobs revenue-facts` stores the revenue report's missing closed months; "
        "`jobs usage-facts` stores usage by plan's missing closed months."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("run", help="Perform every due outbox job once.")
        sub.add_parser("reports", help="Send the scheduled reports that are due.")
        sub.add_parser(
            "mrr-facts", help="Store each tenant's month ends and today for the MRR reports."
        )
        sub.add_parser(
            "revenue-facts", help="Store each tenant's closed months for revenue by service."
        )
        sub.add_parser("usage-facts", help="Store each tenant's closed months for usage by plan.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The beat tasks themselves, so that cron's runs are logged as theirs are.
        if options["action"] == "reports":
            counts = send_scheduled_reports_task()
            self.stdout.write(f"{counts['sent']} reports sent, {counts['failed']} failed")
            return
        if options["action"] == "mrr-facts":
            counts = store_mrr_facts_task()
            self.stdout.write(
                f"{counts['stored']} days stored, {counts['pruned']} dropped"
                f" for {counts['tenants']} tenants"
            )
            return
        if options["action"] == "revenue-facts":
            counts = store_revenue_facts_task()
            self.stdout.write(f"{counts['stored']} months stored for {counts['tenants']} tenants")
            return
        if options["action"] == "usage-facts":
            counts = store_usage_facts_task()
            self.stdout.write(f"{counts['stored']} months stored for {counts['tenants']} tenants")
            return
        self.stdout.write(f"{run_due_jobs_task()} jobs succeeded")
