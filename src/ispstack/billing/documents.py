"""Invoice and credit-note documents: HTML template -> PDF with WeasyPrint,
rendered once and stored, in the tenant's language (its branding locale's:
``notifications.language.in_tenant_language``) with amounts in its number
format."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ispstack.billing.models import CreditNote, Invoice
from ispstack.core.money import quantum
from ispstack.notifications.language import in_tenant_language


def document_html(document: Invoice | CreditNote) -> str:
    """The document as HTML (template ``billing/invoice.html``, which extends
    ``billing/document_base.html``: the page, letterhead and table style that
    every PDF document of ispstack shares)."""
    q = quantum(document.currency)

    def money(value: Decimal) -> Decimal:
        return value.quantize(q)

    is_note = isinstance(document, CreditNote)
    lines: list[dict[str, Any]] = []
    for line in document.lines.all():
        source: Any = getattr(line, "invoice_line", line)
        lines.append(
            {
                "description": line.description,
                "quantity": source.quantity,
                "unit_price": source.unit_price,
                "net_amount": money(line.net_amount),
                "tax_rate": line.tax_rate,
                "tax_amount": money(line.tax_amount),
                "total": money(line.total),
            }
        )
    totals = {
        "number": document.number,
        "issue_date": document.issue_date,
        "due_date": None if is_note else document.due_date,  # type: ignore[union-attr]
        "currency": document.currency,
        "subtotal": money(document.subtotal),
        "tax_total": money(document.tax_total),
        "total": money(document.total),
    }
    return render_to_string(
        "billing/invoice.html",
        {
            "title": _("Credit note") if is_note else _("Invoice"),
            "number": document.number,
            "invoice": totals,
            "lines": lines,
            "tenant": document.tenant,
            "logo": document.tenant.logo.path if document.tenant.logo else "",
            "customer": document.customer,
            "corrects": document.invoice.number if is_note else "",  # type: ignore[union-attr]
            "reason": document.reason if is_note else "",  # type: ignore[union-attr]
            "tax_note": "" if is_note else document.tax_note,  # type: ignore[union-attr]
        },
    )


_fonts = threading.local()


def render_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document (WeasyPrint).

    Each thread keeps one font configuration for all its documents: making
    one (fontconfig's list of the system's fonts) was about an eighth of an
    invoice's rendering, and a worker renders every invoice of a run. Safe
    to share because no template loads a font of its own (``@font-face``
    would add it to the configuration for the documents after)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return HTML(string=html, base_url="/").write_pdf(font_config=_fonts.config)


def document_pdf(document: Invoice | CreditNote) -> bytes:
    """The stored PDF of an issued invoice or credit note, rendered and stored on first use."""
    if document.pdf:
        with document.pdf.open("rb") as handle:
            return handle.read()
    # A legal document: in the tenant's language, the same whoever asks first.
    with in_tenant_language(document.tenant_id):
        content = render_pdf(document_html(document))
    document.pdf.save(f"{document.number}.pdf", ContentFile(content), save=False)
    type(document).objects.filter(pk=document.pk).update(pdf=document.pdf.name)
    return content
