"""Reads of contracts shared by the API, the console and the admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from ispstack.sales.contracts.fees import month_of_term, remaining_months, termination_fee
from ispstack.sales.models import (
    CommitmentShortfall,
    Contract,
    ContractSubscription,
    ContractVersion,
    DowngradeFee,
    ServiceCredit,
)


def versions_of(contract: Contract) -> list[ContractVersion]:
    """Every version of the contract, oldest first, with who changed it."""
    return list(
        ContractVersion.objects.filter(contract=contract)
        .select_related("changed_by")
        .order_by("version")
    )


def links_of(contract: Contract) -> list[ContractSubscription]:
    """The contract's subscriptions, current and released, in link order."""
    return list(
        ContractSubscription.objects.filter(contract=contract)
        .select_related("subscription__plan")
        .order_by("pk")
    )


def links_in(contract: Contract, first: dt.date, last: dt.date) -> QuerySet[ContractSubscription]:
    """The contract's subscription links in force on some day of ``first``..``last``."""
    return ContractSubscription.objects.filter(contract=contract, linked_on__lte=last).filter(
        Q(released_on__isnull=True) | Q(released_on__gte=first)
    )


def credits_of(contract: Contract) -> list[ServiceCredit]:
    """The contract's service credits, newest month first, with their credit notes."""
    return list(
        ServiceCredit.objects.filter(contract=contract)
        .select_related("credit_note")
        .order_by("-month")
    )


def shortfalls_of(contract: Contract) -> list[CommitmentShortfall]:
    """The contract's measured months against its commitment, newest first."""
    return list(CommitmentShortfall.objects.filter(contract=contract).order_by("-month"))


def downgrade_fees_of(contract: Contract) -> list[DowngradeFee]:
    """The downgrade fees the contract charged, newest first, with their
    subscription and plans."""
    return list(
        DowngradeFee.objects.filter(contract=contract)
        .select_related("subscription", "old_plan", "new_plan")
        .order_by("-effective", "-id")
    )


def fee_preview(contract: Contract, on: dt.date) -> dict[str, Any]:
    """What ending ``contract`` on ``on`` would cost: ``{"on", "fee" (Decimal,
    currency units, rounded), "currency", "month_of_term", "remaining_months"}``."""
    return {
        "on": on,
        "fee": termination_fee(contract, on=on),
        "currency": contract.currency,
        "month_of_term": month_of_term(contract, on),
        "remaining_months": remaining_months(contract, on),
    }
