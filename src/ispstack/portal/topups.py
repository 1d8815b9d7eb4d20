"""Reads of the portal's top-up page: what a customer may buy for a capped
service, each offer's price with tax as the next invoice will show it, and
the top-ups bought this cycle. Scoped to the signed-in customer like
``portal.selectors``: another customer's service is simply not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ispstack.billing.selectors import next_invoice
from ispstack.customers.models import Customer
from ispstack.portal.selectors import Service, cycle_usage, open_sessions, subscriptions_of
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.usage.models import TopUp, TopUpOffer
from ispstack.usage.selectors import Quote, offers_for, quotes, topups_of

RECENT_TOPUPS = 10


@dataclass(frozen=True)
class TopUpOption:
    """An offer with its price for this customer (``quote``) and the
    allowance of the cycle once bought (bytes)."""

    offer: TopUpOffer
    quote: Quote
    allowance_after: int


@dataclass
class TopUpPage:
    """The top-up page of one service: the service with its usage this
    cycle, ``capped`` (False: the plan has no data cap, nothing to buy),
    ``options`` (smallest first), ``invoice_date`` (the tenant-local day the
    next invoice carrying the charge is due; None while the service is not
    active) and ``recent`` top-ups, newest first."""

    service: Service
    capped: bool
    options: list[TopUpOption] = field(default_factory=list)
    invoice_date: dt.date | None = None
    recent: list[TopUp] = field(default_factory=list)

    def option(self, offer_id: str | int | None) -> TopUpOption | None:
        """The option of offer ``offer_id`` (None: not offered here)."""
        for option in self.options:
            if str(option.offer.pk) == str(offer_id):
                return option
        return None


def open_service(customer: Customer, pk: int) -> Subscription | None:
    """The customer's service ``pk`` unless terminated; None when the customer
    has no such service (another customer's id included) or it is."""
    return (
        subscriptions_of(customer)
        .filter(pk=pk)
        .exclude(status=SubscriptionStatus.TERMINATED)
        .first()
    )


def topup_page(customer: Customer, pk: int, today: dt.date) -> TopUpPage | None:
    """The customer's service ``pk`` with what it may buy on ``today``; None
    as ``open_service``."""
    sub = open_service(customer, pk)
    if sub is None:
        return None
    usage = cycle_usage([sub], today)[sub.pk]
    service = Service(subscription=sub, session=open_sessions([sub]).get(sub.username), usage=usage)
    capped = sub.plan.data_cap_bytes is not None
    page = TopUpPage(service=service, capped=capped)
    if not capped:
        return page
    allowance = usage.allowance_bytes or 0
    offers = list(offers_for(sub))
    prices = quotes(sub, [offer.price for offer in offers], today)
    page.options = [
        TopUpOption(offer=offer, quote=price, allowance_after=allowance + int(offer.extra_bytes))
        for offer, price in zip(offers, prices, strict=True)
    ]
    estimate = next_invoice(customer, today, subscriptions=[sub])
    page.invoice_date = estimate.date if estimate is not None else None
    page.recent = list(topups_of(sub)[:RECENT_TOPUPS])
    return page
