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


# A batch's voucher count in each state, as ``in_<state>`` annotations.
STATE_COUNTS = {
    f"in_{state}": Count("vouchers", filter=Q(vouchers__state=state))
    for state in VoucherState.values
}


def state_counts(batch: VoucherBatch) -> dict[str, int]:
    """How many vouchers of ``batch`` are in each state, every state present:
    read from the ``STATE_COUNTS`` annotations when the batch has them (a
    list), else counted in one query."""
    if all(hasattr(batch, name) for name in STATE_COUNTS):
        return {state: getattr(batch, f"in_{state}") for state in VoucherState.values}
    counts = dict(
        Voucher.objects.filter(batch=batch)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in VoucherState.values}


def batches_with_counts(tenant: Tenant) -> QuerySet[VoucherBatch]:
    """The tenant's batches, newest first, each with the ``STATE_COUNTS``
    annotations, ``new_count`` and ``sold_count`` (sold, in use or expired)."""
    return (
        VoucherBatch.objects.for_tenant(tenant)
        .select_related("plan", "agent")
        .annotate(
            **STATE_COUNTS,
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

    currency: str
    sold: int
    revenue: Decimal
    commission_due: Decimal


def agent_figures(agent: VoucherAgent) -> list[AgentFigures]:
    """The sales of ``agent``'s batches, one entry per currency (batches keep
    the price they were printed with)."""
    return figures_by_agent([agent])[agent.pk]


def figures_by_agent(agents: list[VoucherAgent]) -> dict[int, list[AgentFigures]]:
    """``agent_figures`` of each of ``agents`` (by id), from one query."""
    totals: dict[int, dict[str, tuple[int, Decimal]]] = {agent.pk: {} for agent in agents}
    batches = VoucherBatch.objects.filter(agent__in=[agent.pk for agent in agents]).annotate(
        sold=Count("vouchers", filter=Q(vouchers__state__in=SOLD_STATES))
    )
    for batch in batches:
        per_currency = totals[batch.agent_id]  # type: ignore[index]
        count, revenue = per_currency.get(batch.currency, (0, Decimal(0)))
        sold: Any = batch.sold
        per_currency[batch.currency] = (count + sold, revenue + batch.unit_price * sold)
    return {
        agent.pk: [
            AgentFigures(
                currency=currency,
                sold=count,
                revenue=round_money(revenue, currency),
                commission_due=round_money(revenue * agent.commission_percent / 100, currency),
            )
            for currency, (count, revenue) in sorted(totals[agent.pk].items())
        ]
        for agent in agents
    }


def login_url(tenant: Tenant, code: str) -> str:
    """The hotspot login URL that logs ``code`` in (the card's QR code)."""
    from urllib.parse import urlencode

    base = settings_for(tenant).login_url
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'username': code, 'password': code})}"
