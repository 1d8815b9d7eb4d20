"""A quote's prices: the billing engine's first invoice of each plan line.

Nothing is priced here by hand. Each plan line of a quote becomes what the
billing run reads of a subscription (``billing.snapshot``): a snapshot that
starts on the pricing day with the billing day on that day (so the first
period is a full one, never prorated), the plan's terms, its add-on lines as
attached add-ons, its promotion lines as promotions from that day, the
tenant's bundles it qualifies for (``bundle_discounts``, as the run applies
them) and its one-time lines as pending charges taxed at the rate
``billing.proration.add_charge`` gives a charge (the plan's tax class for the
customer's region). ``billing.snapshot.draft_for`` then prices, taxes
(``billing.tax``: exclusive or inclusive prices, rounding per line or per
invoice) and rounds (``core.money``) exactly as the first invoice after
acceptance will, when the subscription starts on its billing day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from ispstack.billing.engine import DiscountItem, OneTimeItem, RecurringItem
from ispstack.billing.models import LineKind as BillingKind
from ispstack.billing.snapshot import (
    AttachedAddOn,
    Snapshot,
    bundle_discounts,
    draft_for,
    plan_terms,
    tenant_bundles,
)
from ispstack.billing.tax import TaxTable, tax_region
from ispstack.catalog.models import AddOn, Plan
from ispstack.core.money import ZERO, round_money
from ispstack.sales.models import LineKind, Quote, QuoteLine

HUNDRED = Decimal(100)


@dataclass
class LinePrice:
    """A quote line's priced amounts (currency units) and rate (percent, None: several)."""

    net: Decimal = ZERO
    tax: Decimal = ZERO
    rates: set[Decimal] = field(default_factory=set)


@dataclass
class QuotePrice:
    """The priced quote: per line id, recurring and one-time sums, tax per rate,
    and the bundles that discount a plan line without a line of their own."""

    lines: dict[int, LinePrice] = field(default_factory=dict)
    recurring_net: Decimal = ZERO
    recurring_tax: Decimal = ZERO
    one_time_net: Decimal = ZERO
    one_time_tax: Decimal = ZERO
    taxes: dict[Decimal, list[Decimal]] = field(default_factory=dict)
    bundles: dict[int, list[int]] = field(default_factory=dict)


def tax_place(quote: Quote) -> tuple[str, bool]:
    """(tax region, exempt) of the quote's recipient: a customer's own
    (``billing.tax.tax_region``), else the quote's country, else the tenant's."""
    if quote.customer_id:
        customer = quote.customer
        assert customer is not None
        return tax_region(customer.service_country, customer.billing_country), customer.tax_exempt
    return quote.country or quote.tenant.country, False


def one_time_amount(line: QuoteLine, currency: str) -> Decimal:
    """The net charge of a one-time line: unit price x quantity less its
    discount percent, rounded to the currency's minor unit (what the
    acceptance queues as the billing charge)."""
    gross = line.unit_price * line.quantity
    return round_money(gross * (HUNDRED - line.discount_percent) / HUNDRED, currency)


def price(quote: Quote, lines: list[QuoteLine], on: dt.date) -> QuotePrice:
    """Price ``lines`` of ``quote`` for a service starting on ``on`` (a local
    date). Raises InvalidInput from the billing engine (a product priced in
    another currency than the quote's)."""
    result = QuotePrice()
    by_id = {line.pk: line for line in lines}
    plans = [line for line in lines if line.kind == LineKind.PLAN]
    if not plans:
        return result
    terms = plan_terms({line.plan_id for line in plans if line.plan_id})
    taxes = TaxTable.load(quote.tenant)
    bundles = tenant_bundles(quote.tenant_id)
    region, exempt = tax_place(quote)
    bundle_lines = {
        (line.plan_line_id, line.bundle_id): line for line in lines if line.kind == LineKind.BUNDLE
    }
    for plan_line in plans:
        assert plan_line.plan is not None
        snap = Snapshot(
            pk=plan_line.pk,
            username="",
            customer_id=0,
            currency=quote.currency,
            billing_day=on.day,
            start_date=on,
            end_date=None,
            billed_through=None,
            plan_id=plan_line.plan_id,  # type: ignore[arg-type]
            version=0,
            tax_exempt=exempt,
            tax_exemption_reference="",
            service_country=region,
            billing_country="",
        )
        items = [line for line in lines if line.plan_line_id == plan_line.pk]
        addons = [
            AttachedAddOn(
                RecurringItem(
                    kind=BillingKind.ADDON,
                    ref=line.pk,
                    name=line.addon.name,
                    monthly_price=line.addon.monthly_price,
                    tax_rate=line.addon.tax_rate.rate,
                    start=on,
                    quantity=line.quantity,
                    cycle_months=line.addon.cycle_months,
                ),
                line.addon.currency,
                line.addon_id,  # type: ignore[arg-type]
                line.addon.tax_rate.tax_class,
            )
            for line in items
            if line.kind == LineKind.ADDON and line.addon is not None
        ]
        # Promotions are told from bundles by the sign of their ref: both are
        # engine discounts, and a bundle's ref is the bundle's id.
        discounts = [
            DiscountItem(
                ref=-line.pk,
                name=line.promotion.name,
                discount_kind=line.promotion.kind,
                value=line.promotion.value,
                targets=frozenset({(BillingKind.RECURRING, plan_line.pk)}),
                start=on,
                cycles_left=line.promotion.cycles,
            )
            for line in items
            if line.kind == LineKind.PROMOTION and line.promotion is not None
        ]
        discounts += bundle_discounts(bundles, snap, addons)
        product_rate = plan_line.plan.tax_rate
        charge_rate = taxes.rate(
            tax_class=product_rate.tax_class,
            default=product_rate.rate,
            region=region,
            exempt=exempt,
            on=on,
        )
        charges = [
            OneTimeItem(
                ref=line.pk,
                description=line.description,
                amount=one_time_amount(line, quote.currency),
                tax_rate=charge_rate,
            )
            for line in items
            if line.kind == LineKind.ONE_TIME
        ]
        draft = draft_for(
            snap,
            terms[plan_line.plan.pk],
            on,
            charges,
            addons,
            discounts,
            taxes,
        )
        for drafted in draft.lines:
            if drafted.kind == BillingKind.RECURRING:
                target = plan_line.pk
            elif drafted.kind == BillingKind.DISCOUNT and drafted.ref > 0:
                bundle_line = bundle_lines.get((plan_line.pk, drafted.ref))
                if bundle_line is None:
                    result.bundles.setdefault(plan_line.pk, []).append(drafted.ref)
                    continue
                target = bundle_line.pk
            else:
                target = abs(drafted.ref)
            priced = result.lines.setdefault(target, LinePrice())
            priced.net += drafted.net_amount
            priced.tax += drafted.tax_amount
            priced.rates.add(drafted.tax_rate)
            if by_id[target].kind == LineKind.ONE_TIME:
                result.one_time_net += drafted.net_amount
                result.one_time_tax += drafted.tax_amount
            else:
                result.recurring_net += drafted.net_amount
                result.recurring_tax += drafted.tax_amount
            per_rate = result.taxes.setdefault(drafted.tax_rate, [ZERO, ZERO])
            per_rate[0] += drafted.net_amount
            per_rate[1] += drafted.tax_amount
    return result


def tax_summary(priced: QuotePrice) -> list[dict[str, str]]:
    """``Quote.taxes``: net and tax per rate, highest rate first, as strings."""
    merged: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for rate, (net, tax) in priced.taxes.items():
        merged[rate][0] += net
        merged[rate][1] += tax
    return [
        {"rate": str(rate.normalize()), "net": str(net), "tax": str(tax)}
        for rate, (net, tax) in sorted(merged.items(), reverse=True)
    ]


def catalogue_item(line: QuoteLine) -> Plan | AddOn | None:
    """The plan or add-on whose monthly price a plan or add-on line quotes
    (``add_line`` prices it so); None for the other kinds."""
    if line.kind == LineKind.PLAN:
        return line.plan
    if line.kind == LineKind.ADDON:
        return line.addon
    return None
