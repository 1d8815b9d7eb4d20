"""The portal's paying pages: pay an invoice by card (3-D Secure included),
report a bank transfer with its proof, and manage saved payment methods.

Thin views over ``portal.services`` (writes) and ``portal.selectors``
(reads): every id is looked up among the signed-in customer's rows, so
another customer's invoice, method or payment answers 404. A refused card,
a bad file or nothing left to pay comes back as the form with the message
next to its field, never a server error.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.billing.models import OPEN_STATUSES, Invoice
from ispstack.core.errors import InvalidTransition, NotFound, ServiceError
from ispstack.payments.gateways import CardDeclined, gateway
from ispstack.payments.models import CardPayment
from ispstack.payments.selectors import balance
from ispstack.payments.transfers import MAX_PROOF_BYTES
from ispstack.portal import selectors, services
from ispstack.portal.views.base import PortalView


def _field_error(exc: ServiceError, fields: tuple[str, ...]) -> dict[str, str]:
    """The error as the form shows it: next to its field when the form has
    it (``fields``), else on top of the form (``form``)."""
    return {exc.field if exc.field in fields else "form": exc.message}


# The pay form's fields: a refused card is the card chosen ("method") unless
# it was refused while being saved from its token.
_PAY_FIELDS = ("method", "token", "invoice")
_TRANSFER_FIELDS = ("amount", "transferred_on", "reference", "proof")


class PayInvoiceView(PortalView):
    """``/my/<tenant>/invoices/<id>/pay/``: pay what is due with a saved card or
    a new card token. Answers the outcome: paid (with the new balance and
    any reconnected service), the bank's 3-D Secure step, or the form again
    with the reason (a refused card: 402; nothing due: 409)."""

    nav = "invoices"

    def _invoice(self, pk: int) -> Invoice:
        return get_object_or_404(selectors.invoices_of(self.customer), pk=pk)

    def _form(
        self,
        invoice: Invoice,
        status: int = 200,
        errors: dict[str, str] | None = None,
        **extra: Any,
    ) -> HttpResponse:
        cards = list(selectors.cards_of(self.customer))
        chosen = extra.pop("chosen", None) or next(
            (str(c.pk) for c in cards if c.is_primary), str(cards[0].pk) if cards else "new"
        )
        return self.page(
            "portal/pay.html",
            {
                "invoice": invoice,
                "payable": invoice.status in OPEN_STATUSES and invoice.amount_due > 0,
                "cards": cards,
                "chosen": chosen,
                "errors": errors or {},
                **extra,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._form(self._invoice(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(pk)
        choice = request.POST.get("method", "")
        token = request.POST.get("token", "") if choice == "new" else ""
        return_url = ""
        if settings.STRIPE_3DS_REDIRECT:
            return_url = request.build_absolute_uri(
                reverse("portal:pay-return", kwargs={"tenant": self.tenant.slug, "pk": invoice.pk})
            )
        try:
            result = services.pay_invoice(
                user=self.user,
                invoice=invoice,
                method_id=None if choice == "new" else choice,
                token=token,
                return_url=return_url,
            )
        except NotFound as exc:
            if exc.field == "method":
                raise Http404("No such card.") from None
            raise
        except CardDeclined as exc:
            field = "token" if exc.field == "token" else "method"
            return self._form(invoice, 402, {field: exc.message}, chosen=choice)
        except InvalidTransition as exc:
            return self._form(invoice, 409, _field_error(exc, _PAY_FIELDS), chosen=choice)
        except ServiceError as exc:
            return self._form(invoice, 400, _field_error(exc, _PAY_FIELDS), chosen=choice)
        return self._outcome(invoice, result)

    def _outcome(self, invoice: Invoice, result: services.PayResult) -> HttpResponse:
        attempt = result.attempt
        if attempt.status == CardPayment.Status.FAILED:
            return self._form(
                invoice,
                402,
                {"method": attempt.error or _("The bank did not confirm the payment.")},
            )
        if attempt.status == CardPayment.Status.CANCELED:
            return self._form(invoice, 409, {"form": _("The payment was canceled.")})
        invoice = Invoice.objects.get(pk=invoice.pk)
        if attempt.status == CardPayment.Status.REQUIRES_ACTION:
            return self.page(
                "portal/pay_action.html",
                {
                    "invoice": invoice,
                    "attempt": attempt,
                    "bank_url": gateway().retrieve_intent(attempt.intent_id).redirect_url,
                },
                status=202,
            )
        board = selectors.dashboard(self.customer, self.today)
        return self.page(
            "portal/pay_done.html",
            {
                "invoice": invoice,
                "attempt": attempt,
                "balance": balance(self.customer),
                "reconnected": result.reconnected,
                "services": board.services,
            },
        )


class PayReturnView(PayInvoiceView):
    """``/my/<tenant>/invoices/<id>/pay/return/?payment_intent=pi_...``: back
    from the bank (Stripe's return URL, or the customer's "I have confirmed"):
    settle the attempt and show the outcome. Repeating it pays once."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(pk)
        intent_id = request.GET.get("payment_intent", "")
        attempt = selectors.card_payments_of(self.customer).filter(
            invoice=invoice, intent_id=intent_id
        )
        if not intent_id or not attempt.exists():
            raise Http404("No such payment.")
        try:
            result = services.finish_payment(user=self.user, intent_id=intent_id)
        except NotFound:
            raise Http404("No such payment.") from None
        except ServiceError as exc:
            return self._form(invoice, 400, _field_error(exc, _PAY_FIELDS))
        return self._outcome(invoice, result)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        raise Http404("Use the payment form.")


class TransfersView(PortalView):
    """``/my/<tenant>/transfers/``: report a bank transfer (amount, date,
    reference, proof: PDF, PNG or JPEG up to 10 MB) for review, and the
    transfers reported with their state (and a rejection's reason)."""

    nav = "transfers"

    def _show(self, status: int = 200, errors: dict[str, str] | None = None, **values: Any) -> Any:
        return self.page(
            "portal/transfers.html",
            {
                "transfers": list(selectors.transfers_of(self.customer)[: selectors.PAGE_SIZE]),
                "errors": errors or {},
                "values": values,
                "today": self.today.isoformat(),
                "max_mb": MAX_PROOF_BYTES // (1024 * 1024),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._show()

    def post(self, request: HttpRequest) -> HttpResponse:
        values = {
            "amount": request.POST.get("amount", ""),
            "transferred_on": request.POST.get("transferred_on", ""),
            "reference": request.POST.get("reference", ""),
        }
        try:
            services.report_transfer(user=self.user, proof=request.FILES.get("proof"), **values)
        except ServiceError as exc:
            return self._show(400, _field_error(exc, _TRANSFER_FIELDS), **values)
        messages.success(
            request, _("Thank you: your transfer was sent for review. We will email you.")
        )
        return redirect("portal:transfers", tenant=self.tenant.slug)


class MethodsView(PortalView):
    """``/my/<tenant>/payment-methods/``: the saved methods, masked, with
    "make primary" and "remove"; and a form to add a card (a gateway token)."""

    nav = "methods"

    def _show(self, status: int = 200, errors: dict[str, str] | None = None) -> HttpResponse:
        return self.page(
            "portal/methods.html",
            {"methods": list(selectors.methods_of(self.customer)), "errors": errors or {}},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._show()

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            card = services.add_card(user=self.user, token=request.POST.get("token", ""))
        except CardDeclined as exc:
            return self._show(402, {"token": exc.message})
        except ServiceError as exc:
            return self._show(400, {"token": exc.message})
        messages.success(request, _("Your card %(card)s was saved.") % {"card": card.display})
        return redirect("portal:methods", tenant=self.tenant.slug)


class MethodActionView(PortalView):
    """``/my/<tenant>/payment-methods/<id>/primary/`` and ``.../remove/`` (POST)."""

    nav = "methods"
    action = "primary"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            if self.action == "remove":
                method = services.remove_method(user=self.user, method_id=pk)
                note = _("%(method)s was removed.")
            else:
                method = services.make_primary(user=self.user, method_id=pk)
                note = _("%(method)s is now your primary payment method.")
        except NotFound:
            raise Http404("No such payment method.") from None
        messages.success(request, note % {"method": method.display})
        return redirect("portal:methods", tenant=self.tenant.slug)
