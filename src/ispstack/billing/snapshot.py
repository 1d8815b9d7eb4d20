"""What a billing run reads: one chunk's subscriptions, their plan terms,
add-ons, pending charges, promotions, bundles and tax rates, turned into the
engine's drafts. Hot reads use plain SQL; everything else is the ORM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import connection

from ispstack.billing.engine import DiscountItem, Draft, OneTimeItem, RecurringItem, compute
from ispstack.billing.models import Charge, LineKind
from ispstack.billing.tax import TaxTable, tax_region
from ispstack.catalog.models import Bundle, Plan
from ispstack.core.errors import InvalidInput
from ispstack.core.money import ZERO
from ispstack.subscriptions.models import SubscriptionPromotion


@dataclass(frozen=True)
class Snapshot:
    """What the engine needs of one subscription, read in one query."""

    pk: int
    username: str
    customer_id: int
    currency: str
    billing_day: int
    start_date: dt.date
    end_date: dt.date | None
    billed_through: dt.date | None
    plan_id: int
    version: int
    tax_exempt: bool
    tax_exemption_reference: str
    service_country: str
    billing_country: str

    @property
    def region(self) -> str:
        """Where the customer is taxed (``billing.tax.tax_region``)."""
        return tax_region(self.service_country, self.billing_country)


@dataclass(frozen=True)
class PlanTerms:
    """What billing needs of a plan; a tenant has few, read once per chunk."""

    name: str
    code: str
    monthly_price: Decimal
    currency: str
    tax_rate: Decimal
    cycle_months: int
    timing: str
    tax_class: str


def plan_terms(plan_ids: set[int]) -> dict[int, PlanTerms]:
    """The terms of the given plans, by id."""
    rows = Plan.objects.filter(pk__in=plan_ids).values_list(
        "pk",
        "name",
        "code",
        "monthly_price",
        "currency",
        "tax_rate__rate",
        "cycle_months",
        "billing_timing",
        "tax_rate__tax_class",
    )
    return {row[0]: PlanTerms(*row[1:]) for row in rows}


_SNAPSHOT_SQL = """
SELECT b.subscription_id, s.username, s.customer_id, c.currency, s.billing_day, s.start_date,
       s.end_date, b.billed_through, s.plan_id, b.version, c.tax_exempt,
       c.tax_exemption_reference, c.service_country, c.billing_country
FROM billing_subscriptionbilling b
JOIN subscriptions_subscription s ON s.id = b.subscription_id
JOIN customers_customer c ON c.id = s.customer_id
WHERE b.subscription_id = ANY(%s)
ORDER BY b.subscription_id
"""


def load_snapshots(ids: list[int]) -> list[Snapshot]:
    """The chunk's subscriptions with their customer's currency, in one query.

    Plain SQL: this is the hot read of the run, 100,000 rows a night, and the
    ORM's per-row overhead would double its cost.
    """
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL, [ids])
        return [Snapshot(*row) for row in cursor.fetchall()]


def pending_charges(ids: list[int], as_of: dt.date) -> dict[int, list[OneTimeItem]]:
    """Charges due by ``as_of`` and not invoiced yet, per subscription (a partial index)."""
    found: dict[int, list[OneTimeItem]] = {}
    rows = (
        Charge.objects.filter(subscription_id__in=ids, invoice__isnull=True, charge_date__lte=as_of)
        .order_by("charge_date", "pk")
        .values_list(
            "subscription_id",
            "pk",
            "kind",
            "description",
            "amount",
            "tax_rate",
            "period_start",
            "period_end",
        )
    )
    for sub_id, pk, kind, description, amount, rate, start, end in rows:
        found.setdefault(sub_id, []).append(
            OneTimeItem(
                ref=pk,
                kind=kind,
                description=description,
                amount=amount,
                tax_rate=rate,
                period_start=start,
                period_end=end,
            )
        )
    return found


def draft_for(
    snap: Snapshot,
    terms: PlanTerms,
    as_of: dt.date,
    charges: list[OneTimeItem] | None = None,
    addons: list[AttachedAddOn] | None = None,
    discounts: list[DiscountItem] | None = None,
    taxes: TaxTable | None = None,
) -> Draft:
    """The engine's draft for one snapshot; raises InvalidInput on inconsistent data.

    Tax per ``billing.tax``: each item's rate for the customer on each
    period's first day; pending charges carry the rate the same rule gave
    them when queued, none for a customer exempt since.
    """
    if terms.currency != snap.currency:
        raise InvalidInput(
            f"plan '{terms.code}' is priced in {terms.currency} but the customer is "
            f"invoiced in {snap.currency}",
            field="plan",
        )
    table = taxes or TaxTable([])

    def taxed(item: RecurringItem, tax_class: str) -> RecurringItem:
        rate, windows = table.schedule(
            tax_class=tax_class, default=item.tax_rate, region=snap.region, exempt=snap.tax_exempt
        )
        return replace(item, tax_rate=rate, rates=windows)

    plan = RecurringItem(
        kind=LineKind.RECURRING,
        ref=snap.pk,
        name=terms.name,
        monthly_price=terms.monthly_price,
        tax_rate=terms.tax_rate,
        start=snap.start_date,
        billed_through=snap.billed_through,
        end=snap.end_date,
        cycle_months=terms.cycle_months,
        timing=terms.timing,
    )
    items = [taxed(plan, terms.tax_class)]
    for attached in addons or []:
        if attached.currency != snap.currency:
            raise InvalidInput(
                f"add-on '{attached.item.name}' is priced in {attached.currency} "
                f"but the customer is invoiced in {snap.currency}",
                field="addon",
            )
        items.append(taxed(attached.item, attached.tax_class))
    pending = (
        [replace(c, tax_rate=ZERO) for c in charges or []] if snap.tax_exempt else (charges or [])
    )
    tenant = table.tenant_settings
    return compute(
        items=items,
        charges=pending,
        billing_day=snap.billing_day,
        as_of=as_of,
        currency=snap.currency,
        discounts=discounts,
        inclusive=tenant[0],
        rounding=tenant[1],
    )


@dataclass(frozen=True)
class AttachedAddOn:
    """An add-on on a subscription: the engine's item, its currency and catalog id."""

    item: RecurringItem
    currency: str
    addon_id: int
    tax_class: str


def attached_addons(ids: list[int]) -> dict[int, list[AttachedAddOn]]:
    """Add-ons of the chunk's subscriptions still to bill, with their billing state."""
    found: dict[int, list[AttachedAddOn]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_ADDONS_SQL, [ids])
        for (
            sub_id,
            ref,
            addon_id,
            name,
            price,
            rate,
            start,
            end,
            quantity,
            cycle,
            currency,
            through,
            tax_class,
        ) in cursor.fetchall():
            item = RecurringItem(
                kind=LineKind.ADDON,
                ref=ref,
                name=name,
                monthly_price=price,
                tax_rate=rate,
                start=start,
                billed_through=through,
                end=end,
                quantity=Decimal(quantity),
                cycle_months=cycle,
            )
            found.setdefault(sub_id, []).append(AttachedAddOn(item, currency, addon_id, tax_class))
    return found


_ADDONS_SQL = """
SELECT sa.subscription_id, sa.id, a.id, a.name, a.monthly_price, t.rate, sa.start_date,
       sa.end_date, sa.quantity, a.cycle_months, a.currency, ab.billed_through, t.tax_class
FROM subscriptions_subscriptionaddon sa
JOIN catalog_addon a ON a.id = sa.addon_id
JOIN catalog_taxrate t ON t.id = a.tax_rate_id
LEFT JOIN billing_addonbilling ab ON ab.subscription_addon_id = sa.id
WHERE sa.subscription_id = ANY(%s)
  AND (sa.end_date IS NULL OR ab.billed_through IS NULL OR ab.billed_through < sa.end_date)
ORDER BY sa.id
"""


def active_promotions(ids: list[int]) -> dict[int, list[DiscountItem]]:
    """Promotions of the chunk's subscriptions with cycles left, as discounts on the plan."""
    found: dict[int, list[DiscountItem]] = {}
    rows = SubscriptionPromotion.objects.filter(
        subscription_id__in=ids, promotion__is_active=True
    ).values_list(
        "subscription_id",
        "pk",
        "promotion__name",
        "promotion__kind",
        "promotion__value",
        "promotion__cycles",
        "start_date",
        "cycles_used",
    )
    for sub_id, pk, name, kind, value, cycles, start, used in rows:
        left = None if cycles is None else cycles - used
        if left is not None and left <= 0:
            continue
        found.setdefault(sub_id, []).append(
            DiscountItem(
                ref=pk,
                name=name,
                discount_kind=kind,
                value=value,
                targets=frozenset({(LineKind.RECURRING, sub_id)}),
                start=start,
                cycles_left=left,
            )
        )
    return found


@dataclass(frozen=True)
class BundleTerms:
    """A bundle's products and discount."""

    pk: int
    name: str
    plan_ids: frozenset[int]
    addon_ids: frozenset[int]
    discount_kind: str
    value: Decimal
    requires_all: bool


def tenant_bundles(tenant_id: int) -> list[BundleTerms]:
    """The tenant's active bundles (a handful)."""
    return [
        BundleTerms(
            pk=b.pk,
            name=b.name,
            plan_ids=frozenset(p.pk for p in b.plans.all()),
            addon_ids=frozenset(a.pk for a in b.addons.all()),
            discount_kind=b.discount_kind,
            value=b.discount_value,
            requires_all=b.requires_all_products,
        )
        for b in Bundle.objects.filter(tenant_id=tenant_id, is_active=True).prefetch_related(
            "plans", "addons"
        )
    ]


def bundle_discounts(
    bundles: list[BundleTerms], snap: Snapshot, addons: list[AttachedAddOn]
) -> list[DiscountItem]:
    """The bundle discounts a subscription qualifies for (see ``Bundle.requires_all_products``)."""
    if not bundles:
        return []
    addon_products = {a.item.ref: a.addon_id for a in addons}
    found = []
    for bundle in bundles:
        has_plan = snap.plan_id in bundle.plan_ids
        has_addons = {ref for ref, product in addon_products.items() if product in bundle.addon_ids}
        if bundle.requires_all and (
            (bundle.plan_ids and not has_plan)
            or not bundle.addon_ids <= set(addon_products.values())
        ):
            continue
        targets = {(LineKind.ADDON, ref) for ref in has_addons}
        if has_plan:
            targets.add((LineKind.RECURRING, snap.pk))
        if targets:
            found.append(
                DiscountItem(
                    ref=bundle.pk,
                    name=bundle.name,
                    discount_kind=bundle.discount_kind,
                    value=bundle.value,
                    targets=frozenset(targets),
                )
            )
    return found
