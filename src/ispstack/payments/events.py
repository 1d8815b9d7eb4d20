"""Events of payments (see ``core.events``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaymentReceived(Event):
    """A payment recorded (by a clerk, a card, a transfer, a statement line or
    a direct debit); ``amount`` is in currency units as a decimal string."""

    name = "payment.received"
    payment_id: int
    customer_id: int
    amount: str
    currency: str
    received_on: dt.date


@dataclasses.dataclass(frozen=True, kw_only=True)
class AllocationApplied(Event):
    """A payment or credit note was allocated to the customer's open invoices,
    so what is overdue may have gone down; ``on`` is the business date it
    counts from (the payment's or credit note's date)."""

    name = "allocation.applied"
    customer_id: int
    on: dt.date
