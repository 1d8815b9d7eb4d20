"""Invoices and credit notes written straight with the models, for the
revenue recognition tests: the billing services are exercised by their own
tests, and a property test needs hundreds of documents in seconds."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from ispstack.billing.models import (
    Charge,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
)
from ispstack.core.models import Tenant

_numbers = itertools.count(1)


def invoice(tenant: Tenant, customer: Any, issue_date: dt.date, **extra: Any) -> Invoice:
    """An issued invoice with no lines yet (totals are not what is tested here)."""
    return Invoice.objects.create(
        tenant=tenant,
        customer=customer,
        number=f"INV-T-{next(_numbers):06d}",
        currency=extra.pop("currency", tenant.currency),
        issue_date=issue_date,
        due_date=issue_date + dt.timedelta(days=14),
        **extra,
    )


def line(
    inv: Invoice,
    net: str | Decimal,
    *,
    kind: str = "recurring",
    period: tuple[dt.date, dt.date] | None = None,
    subscription: Any = None,
    charge: Charge | None = None,
) -> InvoiceLine:
    """A line of ``inv`` with ``net`` and no tax."""
    amount = Decimal(net)
    return InvoiceLine.objects.create(
        tenant_id=inv.tenant_id,
        invoice=inv,
        subscription=subscription,
        kind=kind,
        charge=charge,
        description=f"{kind} {amount}",
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        unit_price=amount,
        net_amount=amount,
        tax_rate=Decimal(0),
        tax_amount=Decimal(0),
        total=amount,
    )


def credit(
    of: InvoiceLine,
    net: str | Decimal,
    issue_date: dt.date,
    period: tuple[dt.date, dt.date] | None = None,
) -> CreditNoteLine:
    """A credit note of one line crediting ``net`` (positive), dated ``issue_date``."""
    amount = Decimal(net)
    inv = of.invoice
    note = CreditNote.objects.create(
        tenant_id=inv.tenant_id,
        customer_id=inv.customer_id,
        invoice=inv,
        number=f"CN-T-{next(_numbers):06d}",
        issue_date=issue_date,
        reason="test",
        currency=inv.currency,
        subtotal=amount,
        tax_total=Decimal(0),
        total=amount,
    )
    return CreditNoteLine.objects.create(
        tenant_id=inv.tenant_id,
        credit_note=note,
        invoice_line=of,
        description="credit",
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        net_amount=amount,
        tax_rate=Decimal(0),
        tax_amount=Decimal(0),
        total=amount,
    )
