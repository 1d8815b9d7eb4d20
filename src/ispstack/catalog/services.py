"""Writes on the catalog: tax rates and plans."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ispstack.catalog.models import BillingCycle, BillingTiming, Plan, TaxRate
from ispstack.core import audit, events
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit

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
    "is_active",
}


def _positive_int(value: Any, field: str, *, allow_none: bool = False) -> int | None:
    if value in (None, "") and allow_none:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not a whole number", field=field) from None
    if number <= 0:
        raise InvalidInput("must be greater than zero", field=field)
    return number


@transaction.atomic
def create_tax_rate(*, tenant: Tenant, name: str, rate: Any, actor: Any = None) -> TaxRate:
    """Create a tax rate; ``rate`` in percent between 0 and 100. Raises InvalidInput/Conflict."""
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        raise InvalidInput(f"'{rate}' is not a number", field="rate") from None
    if not Decimal(0) <= value <= Decimal(100):
        raise InvalidInput("must be between 0 and 100 percent", field="rate")
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
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise InvalidInput(
            f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0]
        )
    clean: dict[str, Any] = {}
    for field in ("code", "name"):
        if field in data:
            value = (data[field] or "").strip()
            if not value:
                raise InvalidInput("is required", field=field)
            clean[field] = value
    for field in ("download_kbps", "upload_kbps"):
        if field in data:
            clean[field] = _positive_int(data[field], field)
    if "data_cap_bytes" in data:
        clean["data_cap_bytes"] = _positive_int(
            data["data_cap_bytes"], "data_cap_bytes", allow_none=True
        )
    if "currency" in data:
        currency = (data["currency"] or tenant.currency).upper()
        minor_unit(currency)
        clean["currency"] = currency
    if "monthly_price" in data:
        if isinstance(data["monthly_price"], float):
            raise InvalidInput("give the price as a decimal string", field="monthly_price")
        try:
            price = Decimal(str(data["monthly_price"]))
        except InvalidOperation:
            raise InvalidInput(
                f"'{data['monthly_price']}' is not a number", field="monthly_price"
            ) from None
        if not price.is_finite() or price < 0:
            raise InvalidInput("must not be negative", field="monthly_price")
        if price != price.quantize(Decimal("0.0001")):
            raise InvalidInput("has at most 4 decimals", field="monthly_price")
        clean["monthly_price"] = price
    if "tax_rate" in data:
        tax = data["tax_rate"]
        if not isinstance(tax, TaxRate):
            tax = TaxRate.objects.for_tenant(tenant).filter(pk=tax).first()
        if tax is None or tax.tenant_id != tenant.pk:
            raise NotFound("no such tax rate in this tenant", field="tax_rate")
        clean["tax_rate"] = tax
    if "cycle_months" in data:
        try:
            months = int(data["cycle_months"])
        except (TypeError, ValueError):
            months = 0
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
        clean["is_active"] = bool(data["is_active"])
    if "code" in clean:
        taken = Plan.objects.for_tenant(tenant).filter(code=clean["code"])
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            raise Conflict(f"plan code '{clean['code']}' is taken", field="code")
    return clean


@transaction.atomic
def create_plan(*, tenant: Tenant, actor: Any = None, **data: Any) -> Plan:
    """Create a plan. Required: code, name, download_kbps, upload_kbps, monthly_price, tax_rate."""
    for field in ("code", "name", "download_kbps", "upload_kbps", "monthly_price", "tax_rate"):
        if data.get(field) in (None, ""):
            raise InvalidInput("is required", field=field)
    data.setdefault("currency", tenant.currency)
    plan = Plan.objects.create(tenant=tenant, **validate_plan(tenant, data))
    audit.record(
        tenant=tenant, actor=actor, action="plan.create", obj=plan, after=audit.snapshot(plan)
    )
    return plan


@transaction.atomic
def update_plan(*, plan: Plan, actor: Any = None, **data: Any) -> Plan:
    """Change a plan. A price change applies to periods billed from now on."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = audit.snapshot(plan)
    for field, value in validate_plan(plan.tenant, data, instance=plan).items():
        setattr(plan, field, value)
    plan.save()
    audit.record(
        tenant=plan.tenant,
        actor=actor,
        action="plan.update",
        obj=plan,
        before=before,
        after=audit.snapshot(plan),
    )
    events.publish(events.PLAN_CHANGED, plan=plan)
    return plan
