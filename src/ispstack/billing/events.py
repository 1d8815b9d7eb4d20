"""Events of billing (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class InvoicesIssued(Event):
    """Invoices issued in one transaction (one invoice, or a billing run's
    chunk of up to a thousand); ``customer_ids`` are their customers."""

    name = "invoices.issued"
    invoice_ids: list[int]
    customer_ids: list[int]


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreditNoteIssued(Event):
    """A credit note issued against ``invoice_id``."""

    name = "credit_note.issued"
    credit_note_id: int
    invoice_id: int
    customer_id: int
