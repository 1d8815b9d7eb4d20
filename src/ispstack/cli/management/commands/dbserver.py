"""``ispstack dbserver stop``: stop the embedded PostgreSQL (when DATABASE_URL is unset)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ispstack.embedded import stop_embedded


class Command(BaseCommand):
    help = "Embedded PostgreSQL: `dbserver stop`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_subparsers(dest="action", required=True).add_parser("stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get("DATABASE_URL"):
            raise CommandError("DATABASE_URL is set: there is no embedded server to stop")
        from django.db import connections

        connections.close_all()
        stopped = stop_embedded(settings.VAR_DIR)
        self.stdout.write("embedded PostgreSQL stopped" if stopped else "it was not running")
