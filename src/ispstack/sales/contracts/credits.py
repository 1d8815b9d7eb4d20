"""SLA service credits: the uptime a contract promises, measured per
calendar month, and the credit note a month below it earns.

Availability of a month (the tenant's local calendar month, from its first
midnight to the next month's) is that of the worst-served subscription under
the contract during the month: 100 x (1 - outage time / month length),
where outage time is the union of its recorded outages
(``tickets.OutageImpact``: from an outage's start to its resolution, or the
month's end while it lasts) clipped to the month. The promise is per
service, so one subscription down is the customer's outage even when the
others run.

Below ``sla_uptime_percent``, the credit is the largest ``credit_percent`` of
the tiers whose ``below`` the availability is under, of the month's fee
(``monthly_commitment``), rounded once (``core.money``). Staff may instead
enter the amount by hand (a goodwill settlement). Either way it becomes a
credit note (``billing.credit_notes.create_credit_note``) on the invoice
that billed the month's service, net, the tax following at the line's rate.
One credit per contract and month: asking again returns the one issued.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from ispstack.billing.credit_notes import CREDITABLE, create_credit_note
from ispstack.billing.models import InvoiceLine, LineKind
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.money import ZERO, parse_amount, round_money
from ispstack.sales.contracts.selectors import links_in
from ispstack.sales.contracts.services import _locked
from ispstack.sales.models import Contract, ContractSubscription, ServiceCredit
from ispstack.tickets.models import OutageImpact

HUNDRED = Decimal(100)


def _month(value: Any) -> dt.date:
    day = inputs.day(value, "month")
    return day.replace(day=1)


def month_availability(contract: Contract, month: dt.date) -> tuple[Decimal, int]:
    """``(availability percent to 4 decimals, outage minutes)`` of the
    contract's worst-served subscription in the calendar ``month`` (its
    first day); (100, 0) with no subscription in it."""
    tenant = contract.tenant
    first, last = month, clock.month_end(month)
    start = clock.start_of_day(tenant, first)
    end = clock.start_of_day(tenant, last + dt.timedelta(days=1))
    ids = list(links_in(contract, first, last).values_list("subscription_id", flat=True))
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {pk: [] for pk in ids}
    rows = (
        OutageImpact.objects.filter(subscription_id__in=ids, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list("subscription_id", "started_at", "ended_at")
    )
    for pk, a, b in rows:
        spans[pk].append((max(a, start), min(b or end, end)))
    worst = dt.timedelta(0)
    for own in spans.values():
        down, cursor = dt.timedelta(0), start
        for a, b in sorted(own):
            a = max(a, cursor)
            if b > a:
                down += b - a
                cursor = b
        worst = max(worst, down)
    window = Decimal((end - start).total_seconds())
    share = Decimal(1) - Decimal(worst.total_seconds()) / window
    availability = (share * HUNDRED).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    minutes = -(-int(worst.total_seconds()) // 60)
    return availability, minutes


def credit_percent(contract: Contract, availability: Decimal) -> Decimal:
    """The percent of the month's fee ``availability`` earns: 0 at or above
    the promise, else the largest tier it falls below."""
    if contract.sla_uptime_percent is None or availability >= contract.sla_uptime_percent:
        return ZERO
    earned = [
        Decimal(t["credit_percent"])
        for t in contract.sla_credit_tiers
        if availability < Decimal(t["below"])
    ]
    return max(earned, default=ZERO)


def _month_lines(contract: Contract, first: dt.date, last: dt.date) -> list[InvoiceLine]:
    """The recurring lines billing the contract's subscriptions in the month,
    on the earliest creditable invoice that has them, with what each has
    left to credit (``left``, net)."""
    lines = list(
        InvoiceLine.objects.filter(
            subscription_id__in=ContractSubscription.objects.filter(contract=contract).values(
                "subscription_id"
            ),
            kind=LineKind.RECURRING,
            period_start__lte=last,
            period_end__gte=first,
            invoice__status__in=CREDITABLE,
        )
        .annotate(credited=Coalesce(Sum("credit_lines__net_amount"), ZERO))
        .select_related("invoice")
        .order_by("invoice__issue_date", "invoice_id", "pk")
    )
    if not lines:
        return []
    first_invoice = lines[0].invoice_id
    return [line for line in lines if line.invoice_id == first_invoice]


@transaction.atomic
def issue_service_credit(
    *,
    contract: Contract,
    month: Any,
    amount: Any = None,
    reason: Any = "",
    actor: Any = None,
) -> ServiceCredit | None:
    """The service credit of ``contract`` for the calendar ``month`` (any day
    of it; the month must be over): measured from outages (``amount`` None)
    or ``amount`` by hand (net, currency units; ``reason`` required). None
    when the month met the promise. Returns the month's credit issued before
    unchanged. Raises InvalidInput naming ``month``, ``amount``, ``reason``
    or ``sla_uptime_percent`` (no SLA to measure against)."""
    locked = _locked(contract)
    first = _month(month)
    last = clock.month_end(first)
    existing = ServiceCredit.objects.filter(contract=locked, month=first).first()
    if existing is not None:
        return existing
    if last >= clock.today(locked.tenant):
        raise InvalidInput("the month is not over yet", field="month")
    if last < locked.start_date or (locked.ended_on and first > locked.ended_on):
        raise InvalidInput("the contract did not run in this month", field="month")
    availability, minutes = month_availability(locked, first)
    why = inputs.text(reason, "reason", max_length=inputs.TEXT_MAX_LENGTH)
    if amount in (None, ""):
        if locked.sla_uptime_percent is None:
            raise InvalidInput(
                "the contract promises no uptime: enter the amount", field="sla_uptime_percent"
            )
        percent = credit_percent(locked, availability)
        if not percent:
            return None
        value = round_money(locked.monthly_commitment * percent / HUNDRED, locked.currency)
        why = why or (
            f"SLA {locked.sla_uptime_percent} % missed in {first:%Y-%m}: "
            f"{availability} % available, {percent} % credit"
        )
        measured: Decimal | None = availability
    else:
        value = parse_amount(amount, locked.currency, allow_zero=False)
        if not why:
            raise InvalidInput("say why the amount is credited", field="reason")
        measured = None
    if not value:
        return None
    lines = _month_lines(locked, first, last)
    left = sum((line.net_amount - line.credited for line in lines), ZERO)  # type: ignore[attr-defined]
    if not lines or left < value:
        raise InvalidInput(
            f"the invoice of {first:%Y-%m} has {round_money(left, locked.currency)} "
            f"left to credit, not {value}",
            field="amount",
        )
    wanted, remaining = [], value
    for line in lines:
        share = min(line.net_amount - line.credited, remaining)  # type: ignore[attr-defined]
        if share > 0:
            wanted.append({"line": line.pk, "amount": str(share)})
            remaining -= share
    note = create_credit_note(
        invoice=lines[0].invoice,
        reason=f"Contract {locked.number}: {why}"[: inputs.TEXT_MAX_LENGTH],
        lines=wanted,
        actor=actor,
    )
    credit = ServiceCredit.objects.create(
        tenant_id=locked.tenant_id,
        contract=locked,
        month=first,
        availability_percent=measured,
        outage_minutes=minutes,
        amount=value,
        credit_note=note,
        reason=why,
    )
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="contract.service_credit",
        obj=locked,
        after={"month": f"{first:%Y-%m}", "amount": str(value), "credit_note": note.number},
        reason=why,
    )
    return credit
