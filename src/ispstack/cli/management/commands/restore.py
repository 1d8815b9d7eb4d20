"""``ispstack restore FILE``: load a backup into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ispstack.core.errors import ServiceError
from ispstack.ops.backup import restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `ispstack backup` into the (empty) database of "
        "DATABASE_URL and its files into MEDIA_ROOT; then run `ispstack migrate`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="The ispstack-backup-*.tar archive.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(options["file"])
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        self.stdout.write(
            f"restored the backup of {result['created_at']} (ispstack "
            f"{result['ispstack_version']}): database and {result['media_files']} media files"
        )
