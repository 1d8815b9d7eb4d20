"""``ispstack serve``: the web (admin, API) with waitress on 127.0.0.1:8000."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the back office and the API (waitress, static files by WhiteNoise)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        # WhiteNoise indexes the static files when the WSGI app is built, so
        # collect them first.
        call_command("collectstatic", interactive=False, verbosity=0)
        from ispstack.wsgi import application

        self.stdout.write(
            f"ispstack on http://{options['host']}:{options['port']}/ (Ctrl+C to stop)"
        )
        serve(application, host=options["host"], port=options["port"], threads=options["threads"])
