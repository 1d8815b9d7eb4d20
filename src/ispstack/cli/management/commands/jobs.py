"""``ispstack jobs run``: retry due outbox jobs (emails, CoA) once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.core.tasks import run_due_jobs_task


class Command(BaseCommand):
    help = "Outbox: `jobs run` performs every due job once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_subparsers(dest="action", required=True).add_parser("run")

    def handle(self, *args: Any, **options: Any) -> None:
        # The beat task itself, so that cron's runs are logged as its are.
        self.stdout.write(f"{run_due_jobs_task()} jobs succeeded")
