"""Models of sales: quotes (``quotes``) and contracts (``contracts``)."""

from ispstack.sales.models.contracts import (
    CommitmentShortfall,
    Contract,
    ContractStatus,
    ContractSubscription,
    ContractVersion,
    DowngradeFee,
    PlanChangeRule,
    ServiceCredit,
    TerminationFeeRule,
)
from ispstack.sales.models.quotes import LineKind, Quote, QuoteLine, QuoteStatus

__all__ = [
    "CommitmentShortfall",
    "Contract",
    "ContractStatus",
    "ContractSubscription",
    "ContractVersion",
    "DowngradeFee",
    "LineKind",
    "PlanChangeRule",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "ServiceCredit",
    "TerminationFeeRule",
]
