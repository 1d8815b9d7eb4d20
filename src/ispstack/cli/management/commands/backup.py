"""``ispstack backup DIR``: the database and the media files in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ispstack.core.errors import ServiceError
from ispstack.ops.backup import backup


class Command(BaseCommand):
    help = "Write ispstack-backup-<time>.tar (pg_dump custom format + media) into DIR."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path, help="Folder that receives the archive.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup(options["directory"])
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        self.stdout.write(str(path))
