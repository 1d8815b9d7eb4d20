"""Writes on the catalog: tax rates and plans."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from ispstack.catalog.events import PlanChanged
from ispstack.catalog.models import (
    AddOn,
    AddOnPrice,
    BillingCycle,
    BillingTiming,
    Bundle,
    CapPolicy,
    DiscountKind,
    Plan,
    PlanPrice,
    Promotion,
    TaxRate,
)
from ispstack.core import audit, clock, events, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant

PLAN_FIELDS = {
    "code",
    "name",
    "download_kbps",
    "upload_kbps",
    "monthly_price",
    "currency",
    "tax_rate",
    "data_cap_bytes",
    "cycle_months",
    "billing_timing",
    "throttle_download_kbps",
    "throttle_upload_kbps",
    "is_active",
    "cap_policy",
    "overage_price_per_gb",
    "session_timeout",
    "idle_timeout",
    "acct_interim_interval",
    "max_sessions",
}


@transaction.atomic
def create_tax_rate(*, tenant: Tenant, name: str, rate: Any, actor: Any = None) -> TaxRate:
    """Create a tax rate; ``rate`` in percent between 0 and 100. Raises InvalidInput/Conflict."""
    name = inputs.text(name, "name", required=True)
    value = inputs.decimal_number(rate, "rate")
    if not Decimal(0) <= value <= Decimal(100):
        raise InvalidInput("must be between 0 and 100 percent", field="rate")
    inputs.check_values(TaxRate, {"name": name, "rate": value})
    if TaxRate.objects.for_tenant(tenant).filter(name=name).exists():
        raise Conflict(f"a tax rate named '{name}' exists", field="name")
    tax = TaxRate.objects.create(tenant=tenant, name=name, rate=value)
    audit.record(
        tenant=tenant, actor=actor, action="tax_rate.create", obj=tax, after=audit.snapshot(tax)
    )
    return tax


def validate_plan(
    tenant: Tenant, data: dict[str, Any], *, instance: Plan | None = None
) -> dict[str, Any]:
    """Check plan input without writing; returns cleaned values.

    Rules: speeds are positive kbit/s, the price is not negative and has no
    more decimals than 4, the currency is ISO 4217, the tax rate belongs to
    the tenant, the code is unique in the tenant. Raises InvalidInput,
    NotFound or Conflict.
    """
    inputs.unknown_fields(data, PLAN_FIELDS)
    clean: dict[str, Any] = {}
    for field in ("code", "name"):
        if field in data:
            clean[field] = inputs.text(data[field], field, required=True)
    for field in ("download_kbps", "upload_kbps", "throttle_download_kbps", "throttle_upload_kbps"):
        if field in data:
            clean[field] = inputs.positive_number(data[field], field)
    if "data_cap_bytes" in data:
        clean["data_cap_bytes"] = inputs.positive_number(
            data["data_cap_bytes"], "data_cap_bytes", allow_none=True
        )
    for field in ("session_timeout", "idle_timeout", "max_sessions"):
        if field in data:
            clean[field] = inputs.positive_number(data[field], field, allow_none=True)
    if "acct_interim_interval" in data:
        interval = inputs.positive_number(data["acct_interim_interval"], "acct_interim_interval")
        if interval is not None and interval < 60:
            # RFC 2869 5.16: the interval SHOULD NOT be smaller than 60 seconds.
            raise InvalidInput("must be at least 60 seconds", field="acct_interim_interval")
        clean["acct_interim_interval"] = interval
    if "cap_policy" in data:
        if not isinstance(data["cap_policy"], str) or data["cap_policy"] not in CapPolicy.values:
            raise InvalidInput(f"must be one of {', '.join(CapPolicy.values)}", field="cap_policy")
        clean["cap_policy"] = data["cap_policy"]
    if "overage_price_per_gb" in data:
        clean["overage_price_per_gb"] = (
            None
            if data["overage_price_per_gb"] in (None, "")
            else inputs.price(data["overage_price_per_gb"], "overage_price_per_gb")
        )
    policy = clean.get("cap_policy", instance.cap_policy if instance else CapPolicy.THROTTLE)
    price_per_gb = clean.get(
        "overage_price_per_gb", instance.overage_price_per_gb if instance else None
    )
    if policy == CapPolicy.OVERAGE and price_per_gb is None:
        raise InvalidInput(
            "is required when the cap policy is 'overage'", field="overage_price_per_gb"
        )
    if "currency" in data:
        clean["currency"] = inputs.currency(data["currency"], tenant.currency)
    if "monthly_price" in data:
        clean["monthly_price"] = inputs.price(data["monthly_price"], "monthly_price")
    if "tax_rate" in data:
        clean["tax_rate"] = inputs.owned(tenant, TaxRate, data["tax_rate"], "tax_rate", "tax rate")
    if "cycle_months" in data:
        months = inputs.whole_number(data["cycle_months"], "cycle_months")
        if months not in BillingCycle.values:
            raise InvalidInput(
                "must be 1 (monthly), 3 (quarterly) or 12 (annual)", field="cycle_months"
            )
        clean["cycle_months"] = months
    if "billing_timing" in data:
        if data["billing_timing"] not in BillingTiming.values:
            raise InvalidInput("must be 'advance' or 'arrears'", field="billing_timing")
        clean["billing_timing"] = data["billing_timing"]
    if "is_active" in data:
        clean["is_active"] = inputs.flag(data["is_active"], "is_active")
    inputs.check_values(Plan, clean)
    if "code" in clean:
        inputs.taken(
            Plan.objects.for_tenant(tenant).filter(code=clean["code"]),
            instance,
            f"plan code '{clean['code']}' is taken",
            "code",
        )
    return clean


@transaction.atomic
def create_plan(*, tenant: Tenant, actor: Any = None, **data: Any) -> Plan:
    """Create a plan. Required: code, name, download_kbps, upload_kbps, monthly_price, tax_rate."""
    inputs.required(
        data, ("code", "name", "download_kbps", "upload_kbps", "monthly_price", "tax_rate")
    )
    data.setdefault("currency", tenant.currency)
    plan = Plan.objects.create(tenant=tenant, **validate_plan(tenant, data))
    _record_price(plan)
    audit.record(
        tenant=tenant, actor=actor, action="plan.create", obj=plan, after=audit.snapshot(plan)
    )
    events.publish(PlanChanged(tenant_id=plan.tenant_id, plan_id=plan.pk))
    return plan


@transaction.atomic
def update_plan(*, plan: Plan, actor: Any = None, **data: Any) -> Plan:
    """Change a plan. A price change applies to periods billed from now on,
    and to MRR from today, the tenant's date (``PlanPrice``)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = audit.snapshot(plan)
    for field, value in validate_plan(plan.tenant, data, instance=plan).items():
        setattr(plan, field, value)
    plan.save()
    _record_price(plan)
    audit.record(
        tenant=plan.tenant,
        actor=actor,
        action="plan.update",
        obj=plan,
        before=before,
        after=audit.snapshot(plan),
    )
    events.publish(PlanChanged(tenant_id=plan.tenant_id, plan_id=plan.pk, old_code=before["code"]))
    return plan


def _record_price(product: Plan | AddOn) -> None:
    """Write ``product``'s price history row for today (the tenant's date)
    when its current price or currency differs from the one in force; a
    second change on the same day replaces that day's row, since the
    history has a resolution of one day."""
    history: Any = PlanPrice if isinstance(product, Plan) else AddOnPrice
    key = "plan" if isinstance(product, Plan) else "addon"
    today = clock.today(product.tenant)
    latest = (
        history.objects.filter(**{key: product}, effective_date__lte=today)
        .order_by("-effective_date")
        .first()
    )
    if latest is not None and (latest.monthly_price, latest.currency) == (
        product.monthly_price,
        product.currency,
    ):
        return
    history.objects.update_or_create(
        **{key: product},
        effective_date=today,
        defaults={
            "tenant_id": product.tenant_id,
            "monthly_price": product.monthly_price,
            "currency": product.currency,
        },
    )


def _code(tenant: Tenant, model: type, code: Any) -> str:
    value = inputs.text(code, "code", required=True)
    inputs.check_values(model, {"code": value})
    if model.objects.for_tenant(tenant).filter(code=value).exists():  # type: ignore[attr-defined]
        raise Conflict(f"code '{value}' is taken", field="code")
    return value


@transaction.atomic
def create_addon(
    *,
    tenant: Tenant,
    code: str,
    name: str,
    monthly_price: Any,
    tax_rate: Any,
    currency: str | None = None,
    cycle_months: int = 1,
    actor: Any = None,
) -> AddOn:
    """Create an add-on (static IP, IPTV, VoIP line, extra router), priced per unit and month."""
    plan_like = validate_plan(
        tenant,
        {
            "tax_rate": tax_rate,
            "cycle_months": cycle_months,
            "currency": currency or tenant.currency,
        },
    )
    values = {
        "code": _code(tenant, AddOn, code),
        "name": inputs.text(name, "name") or inputs.text(code, "code"),
        "monthly_price": inputs.price(monthly_price, "monthly_price"),
        **plan_like,
    }
    inputs.check_values(AddOn, values)
    addon = AddOn.objects.create(tenant=tenant, **values)
    _record_price(addon)
    audit.record(
        tenant=tenant, actor=actor, action="addon.create", obj=addon, after=audit.snapshot(addon)
    )
    return addon


ADDON_FIELDS = {
    "code",
    "name",
    "monthly_price",
    "currency",
    "tax_rate",
    "cycle_months",
    "is_active",
}


@transaction.atomic
def update_addon(*, addon: AddOn, actor: Any = None, **data: Any) -> AddOn:
    """Change an add-on (any of ``ADDON_FIELDS``). A price change applies to
    periods billed from now on, and to MRR from today, the tenant's date
    (``AddOnPrice``). Raises InvalidInput, NotFound (a tax rate of another
    tenant) or Conflict (a code taken)."""
    inputs.unknown_fields(data, ADDON_FIELDS)
    addon = AddOn.objects.select_for_update().get(pk=addon.pk)
    tenant = addon.tenant
    before = audit.snapshot(addon)
    clean = validate_plan(
        tenant, {k: data[k] for k in ("tax_rate", "cycle_months", "currency") if k in data}
    )
    if "code" in data and data["code"] != addon.code:
        clean["code"] = _code(tenant, AddOn, data["code"])
    if "name" in data:
        clean["name"] = inputs.text(data["name"], "name", required=True)
    if "monthly_price" in data:
        clean["monthly_price"] = inputs.price(data["monthly_price"], "monthly_price")
    if "is_active" in data:
        clean["is_active"] = inputs.flag(data["is_active"], "is_active")
    inputs.check_values(AddOn, clean)
    for field, value in clean.items():
        setattr(addon, field, value)
    addon.save()
    _record_price(addon)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="addon.update",
        obj=addon,
        before=before,
        after=audit.snapshot(addon),
    )
    return addon


def _discount(kind: Any, value: Any, fields: tuple[str, str]) -> tuple[str, Decimal]:
    if not isinstance(kind, str) or kind not in DiscountKind.values:
        raise InvalidInput("must be 'percent' or 'fixed'", field=fields[0])
    amount = inputs.price(value, fields[1])
    if kind == DiscountKind.PERCENT and amount > 100:
        raise InvalidInput("a percentage is at most 100", field=fields[1])
    return kind, amount


@transaction.atomic
def create_promotion(
    *,
    tenant: Tenant,
    code: str,
    name: str,
    kind: str,
    value: Any,
    cycles: int | None = None,
    actor: Any = None,
) -> Promotion:
    """Create a promotion: ``percent`` or ``fixed`` off the plan, for ``cycles``
    cycles (None: forever)."""
    kind, amount = _discount(kind, value, ("kind", "value"))
    count = None if cycles in (None, "") else inputs.whole_number(cycles, "cycles")
    if count is not None and count < 1:
        raise InvalidInput("must be at least 1, or empty for forever", field="cycles")
    values = {
        "code": _code(tenant, Promotion, code),
        "name": inputs.text(name, "name") or inputs.text(code, "code"),
        "kind": kind,
        "value": amount,
        "cycles": count,
    }
    inputs.check_values(Promotion, values)
    promotion = Promotion.objects.create(tenant=tenant, **values)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="promotion.create",
        obj=promotion,
        after=audit.snapshot(promotion),
    )
    return promotion


@transaction.atomic
def create_bundle(
    *,
    tenant: Tenant,
    code: str,
    name: str,
    discount_kind: str,
    discount_value: Any,
    plans: Sequence[Any] = (),
    addons: Sequence[Any] = (),
    requires_all_products: bool = True,
    actor: Any = None,
) -> Bundle:
    """Create a bundle of plans and add-ons sold at a discount.

    With ``requires_all_products`` the discount applies only to a customer
    who has every product of the bundle; otherwise to any of them.
    Raises InvalidInput, NotFound (a product of another tenant) or Conflict.
    """
    kind, amount = _discount(discount_kind, discount_value, ("discount_kind", "discount_value"))
    plan_objs = _owned_list(tenant, Plan, plans, "plans", "plan")
    addon_objs = _owned_list(tenant, AddOn, addons, "addons", "add-on")
    if not plan_objs and not addon_objs:
        raise InvalidInput("a bundle needs at least one product", field="plans")
    values = {
        "code": _code(tenant, Bundle, code),
        "name": inputs.text(name, "name") or inputs.text(code, "code"),
        "discount_kind": kind,
        "discount_value": amount,
        "requires_all_products": inputs.flag(requires_all_products, "requires_all_products"),
    }
    inputs.check_values(Bundle, values)
    bundle = Bundle.objects.create(tenant=tenant, **values)
    bundle.plans.set(plan_objs)
    bundle.addons.set(addon_objs)
    audit.record(
        tenant=tenant, actor=actor, action="bundle.create", obj=bundle, after=audit.snapshot(bundle)
    )
    return bundle


def _owned_list(tenant: Tenant, model: type, values: Any, field: str, label: str) -> list[Any]:
    if not isinstance(values, list | tuple):
        raise InvalidInput("must be a list of ids", field=field)
    return [
        inputs.owned(tenant, model, value, f"{field}[{index}]", label)
        for index, value in enumerate(values)
    ]
