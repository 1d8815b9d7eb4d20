"""``ispstack jobs run``: retry due outbox jobs (emails, CoA) once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.core.job_log import job_run
from ispstack.core.outbox import run_due_jobs


class Command(BaseCommand):
    help = "Outbox: `jobs run` performs every due job once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_subparsers(dest="action", required=True).add_parser("run")

    def handle(self, *args: Any, **options: Any) -> None:
        # Logged as the beat task it stands in for where cron runs it.
        with job_run("ispstack.core.run_due_jobs") as run:
            run.counts = {"count": run_due_jobs()}
        self.stdout.write(f"{run.counts['count']} jobs succeeded")
