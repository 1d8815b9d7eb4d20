"""Printable voucher cards: 10 per A4 page (2 x 5), each with the code, the
plan's terms, the gross price and a QR code (segno, SVG) of the tenant's
hotspot login URL with the code, rendered to PDF by WeasyPrint
(``billing.documents.render_pdf``)."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ispstack.billing.documents import render_pdf
from ispstack.core.money import round_money, tax_for
from ispstack.hotspot.models import VoucherBatch
from ispstack.hotspot.vouchers.selectors import login_url

PER_PAGE = 10


def duration_text(seconds: int) -> str:
    """A duration as a card shows it: ``1 day``, ``3 hours``, ``90 minutes``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def qr_svg(data: str) -> str:
    """An inline SVG QR code of ``data`` (error correction M, survives a smudge)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=3, border=2)
    return out.getvalue().decode()


def batch_html(batch: VoucherBatch) -> str:
    """The batch's cards as HTML, ``PER_PAGE`` to an A4 page."""
    plan = batch.plan
    net = round_money(batch.unit_price, batch.currency)
    gross = net + tax_for(net, batch.tax_percent, batch.currency)
    cards: list[dict[str, Any]] = [
        {"code": v.code, "qr": mark_safe(qr_svg(login_url(batch.tenant, v.code)))}  # noqa: S308
        for v in batch.vouchers.order_by("id")
    ]
    pages = [cards[i : i + PER_PAGE] for i in range(0, len(cards), PER_PAGE)]
    return render_to_string(
        "hotspot/voucher_cards.html",
        {
            "batch": batch,
            "plan": plan,
            "tenant": batch.tenant,
            "gross": gross,
            "duration": duration_text(plan.duration_seconds),
            "pages": pages,
        },
    )


def batch_pdf(batch: VoucherBatch) -> bytes:
    """PDF bytes of the batch's cards."""
    return render_pdf(batch_html(batch))
