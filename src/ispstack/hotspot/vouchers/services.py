"""Writes on vouchers: plans, agents, generating batches, selling, the expiry sweep.

Every function runs in one transaction and raises a typed error from
``core.errors`` naming the field before anything is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from ispstack.catalog.models import TaxRate
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.hotspot.models import (
    DurationStart,
    Voucher,
    VoucherAgent,
    VoucherBatch,
    VoucherPlan,
    VoucherState,
)
from ispstack.hotspot.vouchers import codes, radius
from ispstack.radius.models import RadCheck

PLAN_FIELDS = {
    "code",
    "name",
    "duration_seconds",
    "duration_start",
    "time_limit_seconds",
    "data_limit_bytes",
    "download_kbps",
    "upload_kbps",
    "simultaneous_use",
    "valid_from",
    "valid_until",
    "price",
    "currency",
    "tax_rate",
    "is_active",
}
AGENT_FIELDS = {"name", "email", "phone", "commission_percent"}
# Rows per INSERT while generating: large enough that 100,000 codes take a
# handful of round trips, small enough to keep each statement's array in
# a few megabytes.
CHUNK = 25_000
# Draws that may collide with an existing code before giving up: at the
# alphabet and length rules (codes.check_length) a collision is about one
# in 10^9 per code, so a second round is already rare.
MAX_ROUNDS = 5
GENERATE_LOCK = "hotspot.vouchers.generate"


def _moment(value: Any, field: str) -> dt.datetime | None:
    """An aware datetime, or an ISO 8601 string with an offset; empty is None."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise InvalidInput("must be an ISO 8601 date and time", field=field)
        value = parsed
    if not isinstance(value, dt.datetime):
        raise InvalidInput("must be an ISO 8601 date and time", field=field)
    if value.tzinfo is None:
        raise InvalidInput("needs a UTC offset (e.g. 2026-12-01T00:00:00Z)", field=field)
    return value.astimezone(dt.UTC)


def validate_plan(
    tenant: Tenant, data: dict[str, Any], *, instance: VoucherPlan | None = None
) -> dict[str, Any]:
    """Check voucher plan input without writing; returns cleaned values.

    Rules: durations at least 60 s, limits and speeds positive, the validity
    window's end after its start, the price not negative with at most 4
    decimals, the currency ISO 4217, the tax rate the tenant's, the code
    unique in the tenant. Raises InvalidInput, NotFound or Conflict.
    """
    inputs.unknown_fields(data, PLAN_FIELDS)
    clean: dict[str, Any] = {}
    for field in ("code", "name"):
        if field in data:
            clean[field] = inputs.text(data[field], field, required=True)
    for field in ("duration_seconds", "download_kbps", "upload_kbps", "simultaneous_use"):
        if field in data:
            clean[field] = inputs.positive_number(data[field], field)
    for field in ("time_limit_seconds", "data_limit_bytes"):
        if field in data:
            clean[field] = inputs.positive_number(data[field], field, allow_none=True)
    for field in ("duration_seconds", "time_limit_seconds"):
        if clean.get(field) is not None and clean[field] < 60:
            raise InvalidInput("must be at least 60 seconds", field=field)
    if "duration_start" in data:
        if data["duration_start"] not in DurationStart.values:
            raise InvalidInput(
                f"must be one of {', '.join(DurationStart.values)}", field="duration_start"
            )
        clean["duration_start"] = data["duration_start"]
    for field in ("valid_from", "valid_until"):
        if field in data:
            clean[field] = _moment(data[field], field)
    start = clean.get("valid_from", instance.valid_from if instance else None)
    end = clean.get("valid_until", instance.valid_until if instance else None)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("must be after valid_from", field="valid_until")
    if "price" in data:
        clean["price"] = inputs.price(data["price"], "price")
    if "currency" in data:
        clean["currency"] = inputs.currency(data["currency"], tenant.currency)
    if "tax_rate" in data:
        clean["tax_rate"] = inputs.owned(tenant, TaxRate, data["tax_rate"], "tax_rate", "tax rate")
    if "is_active" in data:
        clean["is_active"] = inputs.flag(data["is_active"], "is_active")
    inputs.check_values(VoucherPlan, clean)
    if "code" in clean:
        inputs.taken(
            VoucherPlan.objects.for_tenant(tenant).filter(code=clean["code"]),
            instance,
            f"voucher plan code '{clean['code']}' is taken",
            "code",
        )
    return clean


PLAN_REQUIRED = (
    "code",
    "name",
    "duration_seconds",
    "download_kbps",
    "upload_kbps",
    "price",
    "tax_rate",
)


@transaction.atomic
def create_plan(*, tenant: Tenant, actor: Any = None, **data: Any) -> VoucherPlan:
    """Create a voucher plan (``PLAN_REQUIRED``; currency defaults to the
    tenant's), audited. Raises as ``validate_plan``."""
    data.setdefault("currency", tenant.currency)
    return _write_plan(tenant, None, data, actor, PLAN_REQUIRED)


@transaction.atomic
def update_plan(*, plan: VoucherPlan, actor: Any = None, **data: Any) -> VoucherPlan:
    """Change a voucher plan, audited. Batches keep the price they were
    printed with; sold vouchers keep the speed and devices written at their
    sale. Raises as ``validate_plan``."""
    return _write_plan(plan.tenant, plan, data, actor, ())


def _write_plan(
    tenant: Tenant, plan: VoucherPlan | None, data: dict[str, Any], actor: Any, required: Any
) -> VoucherPlan:
    return audit.write(
        model=VoucherPlan,
        tenant=tenant,
        instance=plan,
        data=data,
        allowed=PLAN_FIELDS,
        required=required,
        clean=lambda values, row: validate_plan(tenant, values, instance=row),
        actor=actor,
        action="voucher_plan",
    )


def validate_agent(tenant: Tenant, data: dict[str, Any], *, instance: Any = None) -> dict[str, Any]:
    """Check agent input: a name unique in the tenant, commission 0-100 %."""
    inputs.unknown_fields(data, AGENT_FIELDS)
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = inputs.text(data["name"], "name", required=True)
    for field in ("email", "phone"):
        if field in data:
            clean[field] = inputs.text(data[field], field)
    if "commission_percent" in data:
        percent = inputs.decimal_number(data["commission_percent"], "commission_percent")
        if not Decimal(0) <= percent <= Decimal(100):
            raise InvalidInput("must be between 0 and 100 percent", field="commission_percent")
        clean["commission_percent"] = percent
    inputs.check_values(VoucherAgent, clean)
    if "name" in clean:
        inputs.taken(
            VoucherAgent.objects.for_tenant(tenant).filter(name=clean["name"]),
            instance,
            f"an agent named '{clean['name']}' exists",
            "name",
        )
    return clean


@transaction.atomic
def create_agent(*, tenant: Tenant, actor: Any = None, **data: Any) -> VoucherAgent:
    """Create a reseller (name required), audited. Raises as ``validate_agent``."""
    return _write_agent(tenant, None, data, actor, ("name",))


@transaction.atomic
def update_agent(*, agent: VoucherAgent, actor: Any = None, **data: Any) -> VoucherAgent:
    """Change a reseller, audited; the commission due is computed with the
    new percentage. Raises as ``validate_agent``."""
    return _write_agent(agent.tenant, agent, data, actor, ())


def _write_agent(
    tenant: Tenant, agent: VoucherAgent | None, data: dict[str, Any], actor: Any, required: Any
) -> VoucherAgent:
    return audit.write(
        model=VoucherAgent,
        tenant=tenant,
        instance=agent,
        data=data,
        allowed=AGENT_FIELDS,
        required=required,
        clean=lambda values, row: validate_agent(tenant, values, instance=row),
        actor=actor,
        action="voucher_agent",
    )


def _insert_codes(batch: VoucherBatch, wanted: int, expires_at: dt.datetime | None) -> int:
    """Draw and insert up to ``wanted`` codes for ``batch`` in one statement
    per chunk; returns how many landed. A code already taken (in any tenant:
    RADIUS user names are global) or in radcheck is dropped, not an error."""
    now = clock.now()
    inserted = 0
    with connection.cursor() as cursor:
        while inserted < wanted:
            size = min(CHUNK, wanted - inserted)
            drawn = codes.draw(
                size, prefix=batch.prefix, alphabet=batch.alphabet, length=batch.code_length
            )
            cursor.execute(
                """
                INSERT INTO hotspot_voucher
                  (tenant_id, batch_id, code, state, expires_at, expired_reason,
                   used_seconds, used_bytes, created_at, updated_at)
                SELECT %s, %s, d.code, 'new', %s, '', 0, 0, %s, %s
                  FROM (SELECT DISTINCT unnest(%s::text[]) AS code) d
                 WHERE NOT EXISTS (SELECT 1 FROM hotspot_voucher v WHERE v.code = d.code)
                   AND NOT EXISTS (
                     SELECT 1 FROM radcheck c
                      WHERE lower(c.username) = lower(d.code)
                        AND c.attribute = 'Cleartext-Password')
                ON CONFLICT DO NOTHING
                """,
                [batch.tenant_id, batch.pk, expires_at, now, now, drawn],
            )
            landed = cursor.rowcount
            inserted += landed
            if landed < size:
                return inserted
    return inserted


@transaction.atomic
def generate_batch(
    *,
    tenant: Tenant,
    plan: Any,
    count: Any,
    prefix: Any = "",
    code_length: Any = 10,
    alphabet: Any = codes.DEFAULT_ALPHABET,
    agent: Any = None,
    note: Any = "",
    actor: Any = None,
) -> VoucherBatch:
    """Generate ``count`` (1 to ``codes.MAX_BATCH``) new vouchers of ``plan``
    in one transaction: codes of ``code_length`` characters from ``alphabet``
    after ``prefix`` (``codes.check_*`` rules), unique across tenants and
    RADIUS user names. A plan counted from creation gives each voucher its
    ``expires_at`` now. The batch snapshots the plan's net price, currency
    and tax percentage.

    Raises InvalidInput (count, code_length, alphabet, prefix, plan inactive),
    NotFound (plan, agent), Conflict (codes still colliding after
    ``MAX_ROUNDS`` draws: the code space is nearly full).
    """
    plan = inputs.owned(tenant, VoucherPlan, plan, "plan", "voucher plan")
    if not plan.is_active:
        raise InvalidInput("is not active", field="plan")
    number = inputs.whole_number(count, "count")
    if not 1 <= number <= codes.MAX_BATCH:
        raise InvalidInput(f"must be between 1 and {codes.MAX_BATCH:,}", field="count")
    prefix = codes.check_prefix(inputs.text(prefix, "prefix").upper())
    alphabet = codes.check_alphabet(inputs.text(alphabet, "alphabet") or codes.DEFAULT_ALPHABET)
    length = codes.check_length(inputs.whole_number(code_length, "code_length"), alphabet, number)
    seller = (
        inputs.owned(tenant, VoucherAgent, agent, "agent", "agent")
        if agent not in (None, "")
        else None
    )
    note = inputs.text(note, "note", max_length=200)
    batch = VoucherBatch.objects.create(
        tenant=tenant,
        plan=plan,
        agent=seller,
        count=number,
        prefix=prefix,
        code_length=length,
        alphabet=alphabet,
        unit_price=plan.price,
        currency=plan.currency,
        tax_percent=plan.tax_rate.rate,
        note=note,
    )
    expires_at = None
    if plan.duration_start == DurationStart.CREATION:
        expires_at = batch.created_at + dt.timedelta(seconds=plan.duration_seconds)
        if plan.valid_until is not None:
            expires_at = min(expires_at, plan.valid_until)
    # Two batches drawing at once could draw the same code; one waits.
    tenant_lock(tenant, GENERATE_LOCK)
    made = 0
    for _ in range(MAX_ROUNDS):
        made += _insert_codes(batch, number - made, expires_at)
        if made == number:
            break
    else:
        raise Conflict(
            "codes keep colliding: choose a longer code or a larger alphabet",
            field="code_length",
        )
    audit.record(
        tenant=tenant,
        actor=actor,
        action="voucher_batch.generate",
        obj=batch,
        after={"count": number, "plan": plan.code, "prefix": prefix, "code_length": length},
    )
    return batch


@transaction.atomic
def sell_batch(
    *, batch: VoucherBatch, count: Any = None, agent: Any = None, actor: Any = None
) -> int:
    """Sell ``count`` new vouchers of ``batch`` (all that are new when None),
    lowest ids first, optionally to ``agent`` (who then resells the batch):
    they become ``sold`` and their RADIUS rows are written. Returns the
    number sold. Raises InvalidInput (count not 1..new vouchers), NotFound (agent)."""
    batch = VoucherBatch.objects.select_for_update().get(pk=batch.pk)
    tenant = batch.tenant
    if agent not in (None, ""):
        seller = inputs.owned(tenant, VoucherAgent, agent, "agent", "agent")
        if batch.agent_id not in (None, seller.pk):
            raise Conflict("the batch is already with another agent", field="agent")
        batch.agent = seller
        batch.save(update_fields=["agent", "updated_at"])
    new = Voucher.objects.filter(batch=batch, state=VoucherState.NEW)
    available = new.count()
    wanted = available if count in (None, "") else inputs.whole_number(count, "count")
    if available == 0:
        raise InvalidInput("the batch has no new vouchers left", field="count")
    if not 1 <= wanted <= available:
        raise InvalidInput(f"must be between 1 and {available}", field="count")
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE hotspot_voucher SET state = 'sold', sold_at = %s, updated_at = %s
             WHERE id IN (SELECT id FROM hotspot_voucher
                           WHERE batch_id = %s AND state = 'new' ORDER BY id LIMIT %s
                           FOR UPDATE)
            RETURNING code
            """,
            [now, now, batch.pk, wanted],
        )
        sold = [row[0] for row in cursor.fetchall()]
    radius.write_sold(batch, sold, at=now)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="voucher_batch.sell",
        obj=batch,
        after={"sold": len(sold), "agent": batch.agent.name if batch.agent else None},
    )
    return len(sold)


@transaction.atomic
def sweep(*, tenant: Tenant, as_of: dt.datetime | None = None) -> int:
    """The periodic pass (``tasks.sweep_vouchers``): refresh every sold or
    in-use voucher whose validity ended by ``as_of`` (aware UTC; now when
    None), and every sold one still refused for a ``valid_from`` that has
    come, so that FreeRADIUS refuses or admits them. Accounting refreshes
    the rest as it arrives. Returns the number refreshed; running it twice
    for one ``as_of`` changes nothing more."""
    moment = as_of or clock.now()
    waiting = RadCheck.objects.filter(tenant=tenant, attribute="Auth-Type").values("username")
    due = (
        Voucher.objects.for_tenant(tenant)
        .filter(state__in=[VoucherState.SOLD, VoucherState.USED])
        .filter(
            Q(expires_at__lte=moment)
            | Q(batch__plan__valid_until__lte=moment)
            | Q(batch__plan__valid_from__lte=moment, code__in=waiting)
        )
        .values_list("code", flat=True)
    )
    return radius.refresh(list(due), at=moment)
