"""Reads on vouchers shared by the console and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.hotspot.models import (
    Voucher,
    VoucherAgent,
    VoucherBatch,
    VoucherSettings,
    VoucherState,
)

SOLD_STATES = (VoucherState.SOLD, VoucherState.USED, VoucherState.EXPIRED)


def settings_for(tenant: Tenant) -> VoucherSettings:
    """The voucher settings of ``tenant`` (created with the defaults if missing)."""
    return tenant_settings.settings_of(tenant, VoucherSettings)


def state_counts(batch: VoucherBatch) -> dict[str, int]:
    """How many vouchers of ``batch`` are in each state, every state present."""
    counts = dict(
        Voucher.objects.filter(batch=batch)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in VoucherState.values}


def batches_with_counts(tenant: Tenant) -> QuerySet[VoucherBatch]:
    """The tenant's batches, newest first, each with ``new_count`` and ``sold_count``."""
    return (
        VoucherBatch.objects.for_tenant(tenant)
        .select_related("plan", "agent")
        .annotate(
            new_count=Count("vouchers", filter=Q(vouchers__state=VoucherState.NEW)),
            sold_count=Count("vouchers", filter=Q(vouchers__state__in=SOLD_STATES)),
        )
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class AgentFigures:
    """An agent's sales in one currency: vouchers sold, net revenue and the
    commission due (revenue x commission percent, rounded to the currency's
    minor unit by ``core.money``), amounts in currency units."""

    agent: VoucherAgent
    currency: str
    sold: int
    revenue: Decimal
    commission_due: Decimal


def agent_figures(agent: VoucherAgent) -> list[AgentFigures]:
    """The sales of ``agent``'s batches, one entry per currency (batches keep
    the price they were printed with)."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for batch in VoucherBatch.objects.filter(agent=agent).annotate(
        sold=Count("vouchers", filter=Q(vouchers__state__in=SOLD_STATES))
    ):
        count, revenue = totals.get(batch.currency, (0, Decimal(0)))
        sold: Any = batch.sold
        totals[batch.currency] = (count + sold, revenue + batch.unit_price * sold)
    return [
        AgentFigures(
            agent=agent,
            currency=currency,
            sold=count,
            revenue=round_money(revenue, currency),
            commission_due=round_money(revenue * agent.commission_percent / 100, currency),
        )
        for currency, (count, revenue) in sorted(totals.items())
    ]


def login_url(tenant: Tenant, code: str) -> str:
    """The hotspot login URL that logs ``code`` in (the card's QR code)."""
    from urllib.parse import urlencode

    base = settings_for(tenant).login_url
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'username': code, 'password': code})}"
