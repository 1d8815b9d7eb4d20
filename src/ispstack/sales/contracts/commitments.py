"""The minimum monthly commitment: a contract's floor on what its services
bill each month, and the shortfall charge of a month below it.

Once a calendar month is over (the tenant's local month), each contract with
a ``monthly_commitment`` that covered some of the month is measured:

- ``committed``: the commitment, by days for a month the contract covers in
  part (its first or last month), rounded once (``core.money``);
- ``billed``: the month's share, by days, of the recurring, add-on and
  proration lines billing its subscriptions on issued invoices, as invoiced,
  and of the prorations queued for the next invoice (a plan change bills
  the days before it as a charge).
  Discounts and credit notes are left out on purpose: a promotion the ISP
  granted or an SLA credit it owed must not come back as a shortfall; what
  lowers the figure is taking less service (a downgrade, a suspension, a
  subscription taken out);
- the month is measured once its invoices exist (every subscription under
  the contract is invoiced through its last day);
- a shortfall (committed - billed, when positive) becomes a one-time charge
  (``billing.proration.add_charge``) on the first linked subscription,
  dated the first day of the next month, so the next invoice carries it.

Every measured month is kept as a ``CommitmentShortfall`` row, shortfall or
not, so a month is measured and charged once whatever runs again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from ispstack.billing.credit_notes import CREDITABLE
from ispstack.billing.models import Charge, InvoiceLine, LineKind, SubscriptionBilling
from ispstack.billing.proration import add_charge
from ispstack.core import clock
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, round_money
from ispstack.sales.contracts.selectors import links_in
from ispstack.sales.models import (
    CommitmentShortfall,
    Contract,
    ContractStatus,
)

#: Months back a run looks for a month whose invoices came late (in arrears,
#: or a run that was held up).
MEASURED_MONTHS_BACK = 2
#: The lines that bill a subscription's service for a period.
SERVICE_KINDS = (LineKind.RECURRING, LineKind.ADDON, LineKind.PRORATION)


def _days(first: dt.date, last: dt.date) -> int:
    return max((last - first).days + 1, 0)


def covered(contract: Contract, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of ``first``..``last`` the contract ran, or None."""
    start = max(first, contract.start_date)
    end = min(last, contract.ended_on or contract.end_date)
    return (start, end) if start <= end else None


def month_billed(contract: Contract, first: dt.date, last: dt.date) -> Decimal:
    """The share of ``first``..``last`` (net, currency units, unrounded) of
    the service lines billing the contract's subscriptions while under it;
    two queries whatever the number of subscriptions."""
    windows: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for link in links_in(contract, first, last):
        end = min(last, link.released_on or last)
        windows.setdefault(link.subscription_id, []).append((max(first, link.linked_on), end))
    overlapping = {
        "subscription_id__in": list(windows),
        "kind__in": SERVICE_KINDS,
        "period_start__lte": last,
        "period_end__gte": first,
    }
    fields = ("subscription_id", "period_start", "period_end")
    invoiced = InvoiceLine.objects.filter(**overlapping, invoice__status__in=CREDITABLE)
    # A proration a plan change queued is billed service not invoiced yet.
    queued = Charge.objects.filter(**overlapping, invoice__isnull=True)
    total = ZERO
    for sub_id, since, until, net in [
        *invoiced.values_list(*fields, "net_amount"),
        *queued.values_list(*fields, "amount"),
    ]:
        # The filter on the period's bounds leaves no row without them.
        assert since is not None and until is not None
        for start, end in windows[sub_id]:
            inside = _days(max(start, since), min(end, until))
            total += net * inside / _days(since, until)
    return total


def measure_month(contract: Contract, month: dt.date) -> CommitmentShortfall | None:
    """Measure ``contract``'s calendar ``month`` (any day of it) once and
    charge a shortfall; returns the month's row (the earlier one if it was
    measured before), or None when the contract did not run in the month
    or has no subscription to charge. Call only for a month that is over."""
    first = month.replace(day=1)
    last = clock.month_end(first)
    done = CommitmentShortfall.objects.filter(contract=contract, month=first).first()
    if done is not None:
        return done
    days = covered(contract, first, last)
    link = (
        links_in(contract, first, last)
        .select_related("subscription__customer")
        .order_by("pk")
        .first()
    )
    if days is None or link is None:
        return None
    currency = contract.currency
    committed = round_money(
        contract.monthly_commitment * _days(*days) / _days(first, last), currency
    )
    billed = round_money(month_billed(contract, first, last), currency)
    amount = max(committed - billed, ZERO)
    try:
        with transaction.atomic():
            charge = None
            if amount > 0:
                charge = add_charge(
                    subscription=link.subscription,
                    description=(
                        f"Minimum commitment {first:%Y-%m}, contract {contract.number}: "
                        f"{committed} committed, {billed} billed"
                    ),
                    amount=amount,
                    charge_date=last + dt.timedelta(days=1),
                )
            return CommitmentShortfall.objects.create(
                tenant_id=contract.tenant_id,
                contract=contract,
                month=first,
                committed=committed,
                billed=billed,
                amount=amount,
                charge=charge,
            )
    except IntegrityError:
        # Another run measured the month first: its row stands, with its charge.
        return CommitmentShortfall.objects.get(contract=contract, month=first)


def invoiced_through(contract: Contract, first: dt.date, last: dt.date) -> bool:
    """Whether every subscription under the contract in ``first``..``last``
    is invoiced through ``last``, or was invoiced to its end and has nothing
    more to invoice (billing's ``SubscriptionBilling``): a month billed in
    arrears is measured only once its invoice exists, a subscription never
    invoiced holds the month back."""
    subscriptions = links_in(contract, first, last)
    behind = (
        SubscriptionBilling.objects.filter(
            subscription_id__in=subscriptions.values("subscription_id")
        )
        .filter(Q(billed_through__isnull=True) | Q(billed_through__lt=last))
        .exclude(next_bill_date__isnull=True, billed_through__isnull=False)
    )
    return not behind.exists()


def measure_due_months(tenant: Tenant, today: dt.date) -> int:
    """Measure, for every contract of ``tenant`` with a commitment, the last
    ``MEASURED_MONTHS_BACK`` calendar months before ``today`` (the tenant's
    local date) not measured yet whose invoices exist (``invoiced_through``):
    a month is never charged before its service is invoiced, or a late
    invoice would bill the customer twice. Returns the shortfalls charged."""
    this_month = today.replace(day=1)
    charged = 0
    for back in range(MEASURED_MONTHS_BACK, 0, -1):
        first = clock.add_months(this_month, -back)
        last = clock.month_end(first)
        contracts = (
            Contract.objects.filter(
                tenant=tenant,
                monthly_commitment__gt=0,
                status__in=(
                    ContractStatus.ACTIVE,
                    ContractStatus.ENDED,
                    ContractStatus.TERMINATED,
                ),
                start_date__lte=last,
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
            .exclude(shortfalls__month=first)
        )
        for contract in contracts:
            if not invoiced_through(contract, first, last):
                continue
            row = measure_month(contract, first)
            charged += bool(row and row.amount > 0)
    return charged
