"""The signed-in portal's pages: dashboard, service, documents and payments."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string

from ispstack.billing.documents import document_pdf, render_pdf
from ispstack.core import inputs, paging
from ispstack.core.api.base import pdf_response
from ispstack.core.errors import InvalidInput
from ispstack.payments.documents import statement_pdf
from ispstack.payments.selectors import statement
from ispstack.portal import selectors
from ispstack.portal.plan_changes.selectors import latest_request
from ispstack.portal.views.base import PortalView


class DashboardView(PortalView):
    """``/my/<tenant>/``: balance, next invoice, each service's state and usage,
    and a banner for the outages hitting the customer's services."""

    nav = "dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        board = selectors.dashboard(self.customer, self.today, recent_invoices=3)
        outages = selectors.outages_by_id(self.customer, board.outage_ids)
        return self.page(
            "portal/dashboard.html",
            {"board": board, "recent_invoices": board.recent_invoices, "outages": outages},
        )


class ServiceView(PortalView):
    """``/my/<tenant>/services/<id>/``: plan, speed, address, usage and its
    daily chart, sessions, the latest plan change request and the link to
    change the plan, and a banner for the outages hitting this service."""

    nav = "dashboard"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        detail = selectors.service_detail(self.customer, pk, self.today)
        if detail is None:
            raise Http404("No such service.")
        service = detail.service
        plan_request = latest_request(service.subscription)
        outages = selectors.outages_of(self.customer, subscription_id=pk)
        days = selectors.usage_days(service.subscription, service.usage.start, self.today)
        return self.page(
            "portal/service.html",
            {"detail": detail, "days": days, "plan_request": plan_request, "outages": outages},
        )


class DocumentsView(PortalView):
    """``/my/<tenant>/invoices/``: invoices (paged) and credit notes."""

    nav = "invoices"

    def get(self, request: HttpRequest) -> HttpResponse:
        number = paging.page_number(request.GET.get("page"))
        invoices = paging.page_of(selectors.invoices_of(self.customer), number, selectors.PAGE_SIZE)
        notes = list(selectors.credit_notes_of(self.customer)[: selectors.PAGE_SIZE])
        return self.page("portal/invoices.html", {"invoices": invoices, "credit_notes": notes})


class InvoicePdfView(PortalView):
    """``/my/<tenant>/invoices/<id>/pdf/``: the invoice's PDF (billing's)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(selectors.invoices_of(self.customer), pk=pk)
        return pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")


class CreditNotePdfView(PortalView):
    """``/my/<tenant>/credit-notes/<id>/pdf/``: the credit note's PDF."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = get_object_or_404(selectors.credit_notes_of(self.customer), pk=pk)
        return pdf_response(document_pdf(note), f"{note.number}.pdf")


def _statement_period(view: PortalView, request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = view.today
    default_start = today.replace(day=1) - dt.timedelta(days=365)
    start = inputs.day(request.GET.get("start") or default_start.isoformat(), "start")
    end = inputs.day(request.GET.get("end") or today.isoformat(), "end")
    if start > end:
        raise InvalidInput("must not be after the end date", field="start")
    return start, end


class PaymentsView(PortalView):
    """``/my/<tenant>/payments/``: payments (paged) with receipts, and the statement form."""

    nav = "payments"

    def get(self, request: HttpRequest) -> HttpResponse:
        number = paging.page_number(request.GET.get("page"))
        payments = paging.page_of(selectors.payments_of(self.customer), number, selectors.PAGE_SIZE)
        today = self.today
        return self.page(
            "portal/payments.html",
            {
                "payments": payments,
                "statement_start": (today.replace(day=1) - dt.timedelta(days=365)).isoformat(),
                "statement_end": today.isoformat(),
            },
        )


class ReceiptPdfView(PortalView):
    """``/my/<tenant>/payments/<id>/receipt/``: a receipt of one payment as PDF."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        payment = get_object_or_404(selectors.payments_of(self.customer), pk=pk)
        html = render_to_string(
            "portal/receipt_pdf.html",
            {"payment": payment, "customer": self.customer, "tenant": self.tenant},
        )
        name = f"receipt-{payment.received_on:%Y%m%d}-{payment.pk}.pdf"
        return pdf_response(render_pdf(html), name)


class StatementPdfView(PortalView):
    """``/my/<tenant>/statement.pdf?start=&end=``: the account statement
    (payments' statement) between two dates, by default the last year."""

    nav = "payments"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            start, end = _statement_period(self, request)
        except InvalidInput as exc:
            return self.page("portal/error.html", {"error": exc}, status=400)
        pdf = statement_pdf(statement(self.customer, start, end))
        return pdf_response(pdf, f"statement-{self.customer.account_number}-{end}.pdf")
