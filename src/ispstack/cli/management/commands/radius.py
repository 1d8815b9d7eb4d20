"""``ispstack radius sync``: rebuild the FreeRADIUS rows from subscriptions;
``ispstack radius rollup``: fold new accounting into daily usage;
``ispstack radius retention``: archive old sessions, purge history;
``ispstack radius config DIR``: FreeRADIUS's sql module, site and clients.conf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ispstack.cli.options import add_tenant_option, tenants
from ispstack.core.errors import ServiceError
from ispstack.core.job_log import job_run
from ispstack.radius import server_config
from ispstack.radius.services import sync_all
from ispstack.radius.tasks import close_stale_sessions_task, retention_task
from ispstack.usage.caps import enforce
from ispstack.usage.services import rollup
from ispstack.usage.tasks import rollup_task


class Command(BaseCommand):
    help = (
        "RADIUS: `radius sync [--tenant SLUG]`, `radius rollup`, `radius retention`, "
        "`radius config DIR`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add_tenant_option(
            sub.add_parser("sync", help="Rewrite radcheck/radreply from subscriptions.")
        )
        sub.add_parser("rollup", help="Roll radacct up into daily usage.")
        sub.add_parser("close-stale", help="Close sessions silent for three interim intervals.")
        sub.add_parser(
            "retention", help="Move old closed sessions to radacct_archive, purge old history."
        )
        config = sub.add_parser(
            "config",
            help="Write FreeRADIUS's mods-available/sql, sites-available/ispstack and "
            "clients.conf for this database into DIR.",
        )
        config.add_argument("directory", type=Path)
        config.add_argument("--listen-address", default="*", help="IP address or * (default).")
        config.add_argument("--auth-port", type=int, default=1812)
        config.add_argument("--acct-port", type=int, default=1813)
        config.add_argument(
            "--db-user", help="FreeRADIUS's own database role (default: ispstack's)."
        )
        config.add_argument("--db-password", help="That role's password.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "config":
            self._config(options)
            return
        # Each action is logged as the beat task it stands in for (core.job_log).
        if options["action"] == "retention":
            counts = retention_task()
            self.stdout.write(
                f"{counts['archived']} sessions archived, {counts['sessions']} archived "
                f"sessions and {counts['auth_log']} login records past retention deleted, "
                f"{counts['job_log']} job log runs pruned"
            )
            return
        if options["action"] == "close-stale":
            self.stdout.write(f"{close_stale_sessions_task()} stale sessions closed")
            return
        if options["action"] == "rollup":
            with job_run(rollup_task.name) as run:
                run.counts = {"count": rollup()}
            self.stdout.write(f"usage rollup: {run.counts['count']} accounting rows read")
            for tenant in tenants(None):
                with job_run("ispstack.usage.enforce_caps", tenant=tenant) as logged:
                    counts = logged.counts = enforce(tenant)
                self.stdout.write(
                    f"{tenant.slug}: data caps: {counts['alerts']} alerts, "
                    f"{counts['throttled']} restricted, {counts['released']} released, "
                    f"{counts['overage']} overage charges"
                )
            return
        for tenant in tenants(options["tenant"]):
            result = sync_all(tenant.pk)
            self.stdout.write(
                f"{tenant.slug}: {result['subscriptions']} subscriptions synced, "
                f"{result['orphans_removed']} orphan rows removed"
            )

    def _config(self, options: dict[str, Any]) -> None:
        db = settings.DATABASES["default"]
        database = server_config.Connection(
            host=str(db.get("HOST") or "127.0.0.1"),
            port=int(db.get("PORT") or 5432),
            user=options["db_user"] or str(db.get("USER") or ""),
            password=(
                options["db_password"] if options["db_user"] else str(db.get("PASSWORD") or "")
            ),
            name=str(db["NAME"]),
        )
        try:
            paths = server_config.write_config(
                options["directory"],
                database=database,
                listen_address=options["listen_address"],
                auth_port=options["auth_port"],
                acct_port=options["acct_port"],
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        for path in paths:
            self.stdout.write(str(path))
