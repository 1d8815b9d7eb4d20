"""``ispstack demo``: a sample ISP and three simulated months, then a summary."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ispstack.cli.demo import create_demo_tenant, simulate
from ispstack.cli.demo_portal import create_portal_login
from ispstack.core import clock
from ispstack.core.display import data_size, tenant_money


class Command(BaseCommand):
    help = "Create the demo ISP and simulate months of billing, payments and collections."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--subscribers", type=int, default=50)
        parser.add_argument("--months", type=int, default=3)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--end", help="Last simulated day YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subscribers"] < 1 or options["subscribers"] > 1000:
            raise CommandError("--subscribers: must be between 1 and 1000")
        end = dt.date.fromisoformat(options["end"]) if options["end"] else None
        tenant, password = create_demo_tenant()
        self.stdout.write(
            f"Demo ISP '{tenant.name}': {options['subscribers']} subscribers, "
            f"{options['months']} months"
        )
        s = simulate(
            tenant,
            subscribers=options["subscribers"],
            months=options["months"],
            seed=options["seed"],
            end=end,
            progress=self.stdout.write,
        )

        def money(amount: Any) -> str:
            return tenant_money(amount, tenant, s.currency)

        mix = ", ".join(f"{v} {k}" for k, v in sorted(s.behaviours.items()))
        self.stdout.write("")
        self.stdout.write(f"Summary {s.start} .. {s.end}")
        self.stdout.write(f"  subscribers     {s.subscribers}  ({mix})")
        self.stdout.write(f"  invoices        {s.invoices}")
        self.stdout.write(f"  revenue         {money(s.invoiced)} invoiced (VAT incl.)")
        self.stdout.write(f"  paid            {money(s.paid)}")
        self.stdout.write(f"  overdue         {money(s.overdue)}")
        self.stdout.write(f"  reminders       {s.reminders}")
        self.stdout.write(
            f"  suspensions     {s.suspensions} for non-payment, {s.suspended_now} still suspended"
        )
        self.stdout.write(f"  reconnected     {s.reconnections}")
        self.stdout.write(f"  usage           {data_size(s.usage_bytes)}")
        self.stdout.write(
            f"  emails sent     {s.emails} (files in {settings.EMAIL_FILE_PATH})"
            if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
            else f"  emails sent     {s.emails}"
        )
        self.stdout.write(f"  invoice PDFs    {s.pdf_dir}")
        if s.sales:
            self.stdout.write(
                f"  sales           {s.sales['leads']} leads; orders {s.sales['completed']}"
                f" completed, {s.sales['open']} open, {s.sales['cancelled']} cancelled"
            )
        if s.outages:
            self.stdout.write(
                f"  outages         {s.outages['outages']}; the active one hits"
                f" {s.outages['affected']} subscriptions, {s.outages['grouped']} ticket grouped"
            )
        if s.now is not None:
            local = s.now.astimezone(ZoneInfo(tenant.timezone))
            self.stdout.write(
                f"  clock           events up to {local:%Y-%m-%d %H:%M} ({tenant.timezone})"
            )
        self.stdout.write(
            f"  console login   user '{tenant.slug}-admin' password '{password}'"
            " (http://127.0.0.1:8000/ once served)"
        )
        # Made at the simulation's instant, like every other row of the demo.
        with clock.simulated(s.now) if s.now is not None else nullcontext():
            portal = create_portal_login(tenant)
        if portal is not None:
            customer, email, password = portal
            self.stdout.write(
                f"  portal login    '{email}' (or account {customer.account_number})"
                f" password '{password}' (http://127.0.0.1:8000/my/{tenant.slug}/)"
            )
