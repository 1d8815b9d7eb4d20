"""``ispstack radius sync``: rebuild the FreeRADIUS rows from subscriptions;
``ispstack radius rollup``: fold new accounting into daily usage;
``ispstack radius retention``: archive old sessions, purge history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ispstack.cli.options import add_tenant_option, tenants
from ispstack.radius.retention import archive_sessions, purge_history
from ispstack.radius.services import sync_all
from ispstack.radius.sessions import close_stale_sessions
from ispstack.usage.caps import enforce
from ispstack.usage.services import rollup


class Command(BaseCommand):
    help = "RADIUS: `radius sync [--tenant SLUG]`, `radius rollup`, `radius retention`."

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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "retention":
            moved = archive_sessions()
            purged = purge_history()
            self.stdout.write(
                f"{moved} sessions archived, {purged['sessions']} archived sessions and "
                f"{purged['auth_log']} login records past retention deleted"
            )
            return
        if options["action"] == "close-stale":
            self.stdout.write(f"{close_stale_sessions()} stale sessions closed")
            return
        if options["action"] == "rollup":
            self.stdout.write(f"usage rollup: {rollup()} accounting rows read")
            for tenant in tenants(None):
                counts = enforce(tenant)
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
