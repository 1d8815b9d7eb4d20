"""Accounting tables, one module per concept."""

from ispstack.accounting.models.accounts import Account, AccountMapping, AccountType, PostingRole
from ispstack.accounting.models.journal import JournalEntry, JournalLine, PostingKind, SourceType
from ispstack.accounting.models.periods import AccountingPeriod
from ispstack.accounting.models.recognition import (
    ChargeRecognitionTerm,
    RevenueScheduleEntry,
    ScheduleSource,
)

__all__ = [
    "Account",
    "AccountMapping",
    "AccountType",
    "AccountingPeriod",
    "ChargeRecognitionTerm",
    "JournalEntry",
    "JournalLine",
    "PostingKind",
    "PostingRole",
    "RevenueScheduleEntry",
    "ScheduleSource",
    "SourceType",
]
