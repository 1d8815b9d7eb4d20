"""Invoice documents: HTML template -> PDF with WeasyPrint, stored once."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from ispstack.billing.models import Invoice
from ispstack.core.money import quantum


def invoice_html(invoice: Invoice) -> str:
    """The invoice as HTML (template ``billing/invoice.html``)."""
    q = quantum(invoice.currency)

    def money(value: Decimal) -> Decimal:
        return value.quantize(q)

    lines = [
        {
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "net_amount": money(line.net_amount),
            "tax_rate": line.tax_rate,
            "tax_amount": money(line.tax_amount),
            "total": money(line.total),
        }
        for line in invoice.lines.all()
    ]
    totals = {
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "subtotal": money(invoice.subtotal),
        "tax_total": money(invoice.tax_total),
        "total": money(invoice.total),
    }
    return render_to_string(
        "billing/invoice.html",
        {"invoice": totals, "lines": lines, "tenant": invoice.tenant, "customer": invoice.customer},
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes."""
    from weasyprint import HTML

    return HTML(string=invoice_html(invoice)).write_pdf()


def invoice_pdf(invoice: Invoice) -> bytes:
    """The stored PDF of an issued invoice, rendered and stored on first use."""
    if invoice.pdf:
        with invoice.pdf.open("rb") as handle:
            return handle.read()
    content = render_invoice_pdf(invoice)
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(content), save=False)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return content
