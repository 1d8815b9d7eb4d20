"""Customer statement as PDF (WeasyPrint), rendered on request."""

from __future__ import annotations

from django.template.loader import render_to_string

from ispstack.billing.documents import render_pdf
from ispstack.core.money import round_money
from ispstack.payments.selectors import Statement


def statement_pdf(statement: Statement) -> bytes:
    """The statement as PDF bytes."""
    c = statement.currency
    html = render_to_string(
        "payments/statement.html",
        {
            "statement": statement,
            "customer": statement.customer,
            "tenant": statement.customer.tenant,
            "opening": round_money(statement.opening_balance, c),
            "closing": round_money(statement.closing_balance, c),
            "entries": [
                {
                    "day": e.day,
                    "description": e.description,
                    "reference": e.reference,
                    "amount": round_money(e.amount, c),
                    "balance": round_money(e.balance, c),
                }
                for e in statement.entries
            ],
        },
    )
    return render_pdf(html)
