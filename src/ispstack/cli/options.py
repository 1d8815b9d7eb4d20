"""Shared option parsing for the ispstack commands."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError

from ispstack.core import inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant


def add_tenant_option(parser: Any) -> None:
    parser.add_argument("--tenant", help="Tenant slug (default: every tenant).")


def add_as_of_option(parser: Any) -> None:
    parser.add_argument(
        "--as-of", dest="as_of", help="Business date YYYY-MM-DD (default: each tenant's today)."
    )


def tenants(slug: str | None) -> list[Tenant]:
    """The tenant named by ``--tenant``, or all tenants."""
    if slug:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"--tenant: no tenant with slug '{slug}'")
        return [tenant]
    return list(Tenant.objects.order_by("pk"))


def as_of(value: str | None) -> dt.date | None:
    """Parse ``--as-of`` (a date within ``core.inputs``' range); raises
    CommandError naming the option."""
    if value is None:
        return None
    try:
        return inputs.day(value, "as_of")
    except InvalidInput as exc:
        raise CommandError(f"--as-of: {exc.message}") from None
