"""Events of sales (see ``core.events``)."""

from __future__ import annotations

import dataclasses

from ispstack.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuoteAccepted(Event):
    """A customer accepted a quote through its link: ``customer_id`` the
    customer it made or signed up, ``subscription_ids`` its new services,
    ``contract_id`` the contract signed over them (None without a term) for
    ``term_months`` (0 without one), and ``spread_charge_ids`` the charges of
    its one-time items marked ``spread_over_term`` (queued for the first
    invoice): the books recognise them over the term."""

    name = "quote.accepted"
    quote_id: int
    customer_id: int
    subscription_ids: list[int]
    contract_id: int | None
    term_months: int
    spread_charge_ids: list[int]
