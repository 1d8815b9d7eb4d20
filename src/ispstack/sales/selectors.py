"""Reads of sales shared by the API, the console and the admin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ispstack.sales.models import Quote, QuoteLine


def quotes() -> QuerySet[Quote]:
    """Quotes with what their lists show (recipient), newest first; scope it per user."""
    return Quote.objects.select_related("customer", "lead", "tenant").order_by("-id")


def lines_of(quote: Quote) -> list[QuoteLine]:
    """The quote's lines in order: each plan line followed by what goes on it."""
    lines = list(
        QuoteLine.objects.filter(quote=quote).select_related("plan", "addon", "promotion", "bundle")
    )
    ordered: list[QuoteLine] = []
    for plan in (line for line in lines if line.plan_line_id is None):
        ordered.append(plan)
        ordered.extend(line for line in lines if line.plan_line_id == plan.pk)
    return ordered


def versions_of(quote: Quote) -> list[Any]:
    """Every version of the quote's number, oldest first."""
    return list(
        Quote.objects.filter(tenant_id=quote.tenant_id, number=quote.number).order_by("version")
    )
