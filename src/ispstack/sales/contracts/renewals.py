"""The end of a contract's term, run every day for each tenant's local
date ``as_of``: reminders before the notice deadline, then at the end date
the automatic renewal (a new version) or the end.

The notice deadline is ``notice_days`` before the end date: the last day the
customer can give notice (an automatic renewal) or ask to renew (one that
ends). The reminder goes ``REMINDER_LEAD_DAYS`` before it, once per term
(``Contract.reminder_sent_for`` holds the end date it was sent for), by
email through the outbox (``sales.jobs``). A run for a date is idempotent:
a second finds nothing left to renew, end or remind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.db.models import Q

from ispstack.core import clock, outbox
from ispstack.core.models import Tenant
from ispstack.sales.contracts.commitments import MEASURED_MONTHS_BACK, measure_due_months
from ispstack.sales.contracts.services import end_at_term
from ispstack.sales.models import Contract, ContractStatus

#: Days before the notice deadline the reminder goes: a product default, a
#: month for a business customer to decide and, if need be, write.
REMINDER_LEAD_DAYS = 30
REMINDER_JOB = "sales.contract_reminder"


@dataclasses.dataclass
class TermRun:
    """What a run did: contracts renewed, ended, reminders queued, and
    minimum-commitment shortfalls charged (``contracts.commitments``)."""

    renewed: int = 0
    ended: int = 0
    reminded: int = 0
    shortfalls: int = 0


def notice_deadline(contract: Contract) -> dt.date:
    """The last day to give notice before the end date (local date)."""
    return contract.end_date - dt.timedelta(days=contract.notice_days)


def reminder_due(contract: Contract) -> dt.date:
    """The day from which the renewal reminder goes."""
    return notice_deadline(contract) - dt.timedelta(days=REMINDER_LEAD_DAYS)


def process_contract_terms(*, as_of: dt.date | None = None) -> dict[str, int]:
    """For every tenant with active contracts, on ``as_of`` (default each
    tenant's today): renew or end the contracts whose end date has passed
    (several terms at once after a pause), then queue the reminder of those
    whose reminder day has come, and charge the minimum-commitment
    shortfalls of the months just over. Returns ``{"renewed", "ended",
    "reminded", "shortfalls"}``."""
    run = TermRun()
    # Contracts that ended lately still have their last months to measure.
    recent = (as_of or clock.now().date()) - dt.timedelta(days=MEASURED_MONTHS_BACK * 31)
    tenant_ids = (
        Contract.objects.filter(Q(status=ContractStatus.ACTIVE) | Q(ended_on__gte=recent))
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    for tenant in Tenant.objects.filter(pk__in=list(tenant_ids)):
        day = as_of or clock.today(tenant)
        _end_terms(tenant, day, run)
        _remind(tenant, day, run)
        run.shortfalls += measure_due_months(tenant, day)
    return dataclasses.asdict(run)


def _end_terms(tenant: Tenant, day: dt.date, run: TermRun) -> None:
    with transaction.atomic():
        due = Contract.objects.select_for_update(skip_locked=True).select_related(
            "tenant", "customer"
        )
        for contract in due.filter(tenant=tenant, status=ContractStatus.ACTIVE, end_date__lt=day):
            while contract.status == ContractStatus.ACTIVE and contract.end_date < day:
                end_at_term(contract=contract)
                if contract.status == ContractStatus.ACTIVE:
                    run.renewed += 1
                else:
                    run.ended += 1


def _remind(tenant: Tenant, day: dt.date, run: TermRun) -> None:
    with transaction.atomic():
        active = Contract.objects.select_for_update(skip_locked=True).filter(
            tenant=tenant, status=ContractStatus.ACTIVE, end_date__gte=day
        )
        for contract in active:
            if contract.reminder_sent_for == contract.end_date or day < reminder_due(contract):
                continue
            contract.reminder_sent_for = contract.end_date
            contract.save(update_fields=["reminder_sent_for", "updated_at"])
            outbox.enqueue(
                tenant=tenant,
                kind=REMINDER_JOB,
                payload={"contract_id": contract.pk, "end_date": contract.end_date.isoformat()},
            )
            run.reminded += 1
