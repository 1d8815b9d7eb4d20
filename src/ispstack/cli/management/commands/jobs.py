"""``ispstack jobs run``: retry due outbox jobs (emails, CoA) once;
``ispstack jobs reports``: send the scheduled reports that are due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.core.tasks import run_due_jobs_task
from ispstack.reports.tasks import send_scheduled_reports_task


class Command(BaseCommand):
    help = (
        "Outbox: `jobs run` performs every due job once; "
        "`jobs reports` sends the scheduled reports that are due."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("run", help="Perform every due outbox job once.")
        sub.add_parser("reports", help="Send the scheduled reports that are due.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The beat tasks themselves, so that cron's runs are logged as theirs are.
        if options["action"] == "reports":
            counts = send_scheduled_reports_task()
            self.stdout.write(f"{counts['sent']} reports sent, {counts['failed']} failed")
            return
        self.stdout.write(f"{run_due_jobs_task()} jobs succeeded")
