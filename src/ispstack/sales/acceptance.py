"""Accepting and declining a sent quote: through the customer's link, or
for the customer by a clerk (a paper signature, a refusal on the phone).

An acceptance turns the quote into what it sells in one transaction (the
customer, subscriptions, add-ons, promotions, one-time charges, service
orders and the contract); a quote is accepted only while it is sent,
unexpired and the catalogue still asks the prices it quotes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction

from ispstack.billing.proration import add_charge
from ispstack.core import audit, clock, events, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant
from ispstack.customers.services import create_customer
from ispstack.provisioning import orders
from ispstack.provisioning.services import convert_lead
from ispstack.sales.contracts import services as contracts
from ispstack.sales.events import QuoteAccepted
from ispstack.sales.models import LineKind, Quote, QuoteLine, QuoteStatus
from ispstack.sales.pricing import catalogue_item, one_time_amount
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.selectors import settings_for as subscription_settings
from ispstack.subscriptions.services import attach_addon, create_subscription, grant_promotion

_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


def _acceptable(quote: Quote) -> None:
    if quote.status == QuoteStatus.SENT and quote.valid_until < clock.today(quote.tenant):
        raise InvalidTransition(
            f"the quote expired on {quote.valid_until:%Y-%m-%d} and can no longer be accepted",
            field="status",
        )
    messages: dict[str, str] = {
        QuoteStatus.DRAFT: "the quote has not been sent",
        QuoteStatus.DECLINED: "the quote was declined and can no longer be accepted",
        QuoteStatus.EXPIRED: (
            f"the quote expired on {quote.valid_until:%Y-%m-%d} and can no longer be accepted"
        ),
        QuoteStatus.REVISED: "a newer version of this quote replaces it",
    }
    if quote.status in messages:
        raise InvalidTransition(messages[quote.status], field="status")


def _prices_hold(quote: Quote) -> None:
    """A quote promises its prices, and the subscriptions it signs up bill at
    the catalogue's: so it is accepted only while the catalogue still asks
    what it quotes (each plan's and add-on's monthly price, still sold, and
    each promotion still granted). Raises Conflict (field ``lines``) naming
    the first that changed: the clerk revises the quote at today's prices."""
    items = QuoteLine.objects.filter(
        quote=quote, kind__in=[LineKind.PLAN, LineKind.ADDON, LineKind.PROMOTION]
    ).select_related("plan", "addon", "promotion")
    for line in items.order_by("id"):
        if line.kind == LineKind.PROMOTION:
            promotion = line.promotion
            assert promotion is not None
            if not promotion.is_active:
                raise Conflict(
                    f"promotion '{promotion.code}' has ended since the quote was sent: "
                    "revise the quote",
                    field="lines",
                )
            continue
        product = catalogue_item(line)
        assert product is not None
        if not product.is_active or product.monthly_price != line.unit_price:
            quoted, now = line.unit_price.normalize(), product.monthly_price.normalize()
            sold = "sold" if product.is_active else "not sold"
            raise Conflict(
                f"the price of '{product.code}' changed since the quote was sent "
                f"({quoted:f} quoted, {now:f} now, {sold}): revise the quote",
                field="lines",
            )


def _username(quote: Quote, index: int) -> str:
    """The RADIUS username of the ``index``-th plan line's subscription:
    unique across tenants (the tenant's slug) and quotes (its number)."""
    base = _NOT_USERNAME.sub("-", f"{quote.tenant.slug}-{quote.number}".lower()).strip("-.")
    return f"{base[:58]}-{index + 1}"


def _billing_day(tenant: Tenant, today: dt.date) -> int:
    """The start day, so the first invoice bills a full period as quoted;
    the first billing day the tenant offers when it does not offer that one."""
    allowed = subscription_settings(tenant).allowed_billing_days
    return today.day if not allowed or today.day in allowed else min(allowed)


@integrity_conflicts()
@transaction.atomic
def accept_quote(*, token: str, name: Any, ip: str | None) -> Quote:
    """Accept a sent, unexpired quote through its link: ``name`` the full
    name the customer typed (required), ``ip`` the client's address. In one
    transaction: the customer (converted from the lead through
    ``provisioning.services.convert_lead``, or opened for a prospect), one
    pending subscription per plan line starting today (local date) on its
    billing day, its add-ons and promotions, the one-time items as billing
    charges (``billing.proration.add_charge``), a service order per
    subscription and, when the quote carries a term, the signed contract
    over them (``sales.contracts``); any failure rolls all of it back. Accepting again returns
    the quote unchanged (an electronic signature is recorded once).
    Raises NotFound (no such link), InvalidInput (name), InvalidTransition
    (not sent, declined, expired, revised), Conflict (field ``lines``: a
    quoted price or promotion the catalogue no longer offers)."""
    return _accept(_by_token(token), name=name, ip=ip)


@integrity_conflicts()
@transaction.atomic
def record_paper_acceptance(*, quote: Quote, name: Any, actor: Any) -> Quote:
    """Record a quote the customer signed on paper (or a scanned copy): as
    ``accept_quote`` does through the link, with ``name`` the signer's full
    name as written on the signature, no IP address and the clerk who keyed
    it in (``actor``) in the audit. Raises what ``accept_quote`` raises."""
    locked = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer", "lead")
        .get(pk=quote.pk)
    )
    return _accept(locked, name=name, ip=None, recorded_by=actor)


def _accept(quote: Quote, *, name: Any, ip: str | None, recorded_by: Any = None) -> Quote:
    """The acceptance of a locked quote; ``recorded_by`` the clerk of a paper
    signature, None for the customer's own click on the link."""
    if quote.status == QuoteStatus.ACCEPTED:
        return quote
    _acceptable(quote)
    _prices_hold(quote)
    signer = inputs.text(name, "name", required=True, max_length=200)
    tenant = quote.tenant
    today = clock.today(tenant)
    billing_day = _billing_day(tenant, today)
    plan_lines = list(
        QuoteLine.objects.filter(quote=quote, kind=LineKind.PLAN).select_related("plan")
    )
    if not plan_lines:
        raise InvalidInput("a quote needs at least one plan line", field="lines")
    subscriptions: list[tuple[QuoteLine, Subscription]] = []
    spread: list[int] = []
    if quote.lead_id:
        lead = quote.lead
        assert lead is not None
        first = plan_lines[0]
        order = convert_lead(
            lead=lead,
            plan=first.plan,
            username=_username(quote, 0),
            billing_day=billing_day,
            currency=quote.currency,
        )
        customer = order.customer
        subscriptions.append((first, order.subscription))
    elif quote.customer_id:
        customer = quote.customer  # type: ignore[assignment]
    else:
        customer = create_customer(
            tenant=tenant,
            name=quote.prospect_name,
            email=quote.prospect_email,
            currency=quote.currency,
            service_country=quote.country or tenant.country,
        )
    converted = len(subscriptions)
    for index, plan_line in enumerate(plan_lines):
        if index < converted:
            continue
        subscription = create_subscription(
            tenant=tenant,
            customer=customer,
            plan=plan_line.plan,
            username=_username(quote, index),
            billing_day=billing_day,
            start_date=today,
        )
        order = orders.create_order(subscription=subscription)
        orders.queue_advance(order)
        subscriptions.append((plan_line, subscription))
    for plan_line, subscription in subscriptions:
        for item in QuoteLine.objects.filter(plan_line=plan_line).select_related(
            "addon", "promotion"
        ):
            if item.kind == LineKind.ADDON:
                attach_addon(
                    subscription=subscription,
                    addon=item.addon,
                    quantity=int(item.quantity),
                    start_date=today,
                )
            elif item.kind == LineKind.PROMOTION:
                grant_promotion(
                    subscription=subscription, promotion=item.promotion, start_date=today
                )
            elif item.kind == LineKind.ONE_TIME:
                charge = add_charge(
                    subscription=subscription,
                    description=item.description,
                    amount=one_time_amount(item, quote.currency),
                    charge_date=today,
                )
                if item.spread_over_term:
                    spread.append(charge.pk)
    contract = None
    if quote.term_months:
        contract = contracts.create_contract(
            tenant=tenant,
            customer=customer,
            subscriptions=[s.pk for _, s in subscriptions],
            term_months=quote.term_months,
            start_date=today,
            **{"monthly_commitment": quote.recurring_net, **quote.contract_terms},
        )
        contract.quote = quote
        contract.save(update_fields=["quote", "updated_at"])
        contracts.activate_contract(contract=contract, signed_on=today)
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_by_name = signer
    quote.accepted_at = clock.now()
    quote.accepted_ip = ip or None
    quote.accepted_on_paper = recorded_by is not None
    quote.result_customer = customer
    quote.save(
        update_fields=[
            "status",
            "accepted_by_name",
            "accepted_at",
            "accepted_ip",
            "accepted_on_paper",
            "result_customer",
            "updated_at",
        ]
    )
    audit.record(
        tenant=tenant,
        actor=recorded_by if recorded_by is not None else f"quote link ({signer})",
        action="quote.accept",
        obj=quote,
        after={
            "name": signer,
            "ip": ip or "",
            "on_paper": recorded_by is not None,
            "customer": customer.account_number,
            "subscriptions": [s.username for _, s in subscriptions],
        },
    )
    events.publish(
        QuoteAccepted(
            tenant_id=tenant.pk,
            quote_id=quote.pk,
            customer_id=customer.pk,
            subscription_ids=[s.pk for _, s in subscriptions],
            contract_id=contract.pk if contract is not None else None,
            term_months=quote.term_months or 0,
            spread_charge_ids=spread,
        )
    )
    return quote


def _by_token(token: Any) -> Quote:
    """The quote of an accept link, locked; NotFound for anything else."""
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        raise NotFound("no such quote", field="token")
    quote = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer", "lead")
        .filter(token=token)
        .first()
    )
    if quote is None:
        raise NotFound("no such quote", field="token")
    return quote


@transaction.atomic
def decline_quote(
    *, reason: Any, token: str | None = None, quote: Quote | None = None, actor: Any = None
) -> Quote:
    """Decline a sent quote through its link (``token``) or for the customer
    (``quote``, by staff), with ``reason`` (required, the customer's words).
    Declining again returns the quote unchanged. Raises NotFound,
    InvalidInput (reason), InvalidTransition (not sent, accepted, expired)."""
    if quote is not None:
        locked = Quote.objects.select_for_update().select_related("tenant").get(pk=quote.pk)
    else:
        locked = _by_token(token)
    if locked.status == QuoteStatus.DECLINED:
        return locked
    if locked.status == QuoteStatus.ACCEPTED:
        raise InvalidTransition("the quote is accepted already", field="status")
    _acceptable(locked)
    text = inputs.text(reason, "reason", required=True, max_length=2000)
    locked.status = QuoteStatus.DECLINED
    locked.declined_reason = text
    locked.declined_at = clock.now()
    locked.save(update_fields=["status", "declined_reason", "declined_at", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor or "quote link",
        action="quote.decline",
        obj=locked,
        after={"reason": text},
    )
    return locked
