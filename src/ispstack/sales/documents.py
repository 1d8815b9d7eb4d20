"""The quote document: the invoice's template base (``billing/document_base.html``)
rendered to PDF by WeasyPrint (``billing.documents.render_pdf``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ispstack.billing.documents import render_pdf
from ispstack.core import clock
from ispstack.core.money import quantum
from ispstack.notifications.language import in_tenant_language
from ispstack.sales import selectors
from ispstack.sales.models import LineKind, Quote


def quote_html(quote: Quote) -> str:
    """The quote as HTML: its lines grouped per plan (one subscription each),
    amounts to the currency's minor unit, totals and tax per rate."""
    q = quantum(quote.currency)

    def money(value: Decimal) -> Decimal:
        return Decimal(value).quantize(q)

    groups: list[dict[str, Any]] = []
    for line in selectors.lines_of(quote):
        if line.kind == LineKind.PLAN:
            groups.append({"title": line.description, "lines": []})
        groups[-1]["lines"].append(
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": (
                    line.unit_price
                    if line.kind not in (LineKind.PROMOTION, LineKind.BUNDLE)
                    else None
                ),
                "discount": line.discount_percent.normalize() if line.discount_percent else None,
                "net_amount": money(line.net_amount),
                "tax_rate": line.tax_rate,
                "tax_amount": money(line.tax_amount),
                "total": money(line.total),
            }
        )
    return render_to_string(
        "sales/quote.html",
        {
            "title": _("Quote"),
            "number": f"{quote.number} v{quote.version}",
            "quote": quote,
            # A sent quote is dated the day it went out, whenever it is printed.
            "date": (
                clock.local_date(quote.tenant, quote.sent_at)
                if quote.sent_at
                else clock.today(quote.tenant)
            ),
            "tenant": quote.tenant,
            "logo": quote.tenant.logo.path if quote.tenant.logo else "",
            "groups": groups,
            "taxes": quote.taxes,
            "totals": {
                "recurring": money(quote.recurring_total),
                "one_time": money(quote.one_time_total),
                "subtotal": money(quote.subtotal),
                "tax_total": money(quote.tax_total),
                "total": money(quote.total),
            },
        },
    )


def quote_pdf(quote: Quote) -> bytes:
    """PDF bytes of the quote as it stands (a draft's PDF changes with it),
    in the tenant's language like its invoices (``in_tenant_language``)."""
    with in_tenant_language(quote.tenant_id):
        return render_pdf(quote_html(quote))
