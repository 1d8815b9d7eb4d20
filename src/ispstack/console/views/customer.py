"""The Customer 360: one page answering who the customer is, what they have,
what they owe, whether they are online and what happened, with the actions a
role may take (each calling its app's service) and the documents' PDFs.

Panels are tabs (``?tab=``); each reads in a fixed number of queries
(``console.selectors.customer``). A tab clicked on the page is fetched
with HTMX and answered with that panel alone (the header, already on the
page, is not read again); the same URL opened directly is the whole page.
Who sees what follows the model permissions the API's viewsets declare for
the same reads and actions, so the console and the API agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.billing import services as billing
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.documents import document_pdf
from ispstack.billing.models import CreditNote, Invoice
from ispstack.billing.proration import add_charge
from ispstack.billing.selectors import next_invoice
from ispstack.catalog.models import Plan
from ispstack.console import links
from ispstack.console.access import StaffView
from ispstack.console.forms import customer as customer_forms
from ispstack.console.selectors import customer as panels
from ispstack.core import clock, display, paging
from ispstack.core.api.base import pdf_response
from ispstack.core.errors import ServiceError
from ispstack.customers.models import Customer
from ispstack.customers.services import update_customer
from ispstack.payments import services as payments
from ispstack.payments.statement_mail import send_statement
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.tickets.outages import selectors as outage_selectors

# The API's statement needs these three (payments.api STATEMENT_PERMS); sending
# it asks no more.
STATEMENT_PERMS = ("customers.view_customer", "billing.view_invoice", "payments.view_payment")
MONEY_PERMS = ("billing.view_invoice", "payments.view_payment")


@dataclass(frozen=True)
class Tab:
    """A panel of the page: its ``?tab=`` key, label and the permissions it reads with."""

    key: str
    label: Any
    perms: tuple[str, ...]


TABS = (
    Tab("subscriptions", gettext_lazy("Subscriptions"), ("subscriptions.view_subscription",)),
    Tab("invoices", gettext_lazy("Invoices"), ("billing.view_invoice",)),
    Tab("payments", gettext_lazy("Payments"), ("payments.view_payment",)),
    Tab("sessions", gettext_lazy("Sessions"), ("radius.view_radacct",)),
    Tab("usage", gettext_lazy("Usage"), ("usage.view_dailyusage",)),
    Tab("dunning", gettext_lazy("Dunning"), ("collections.view_dunningexecution",)),
    Tab(
        "service-actions",
        gettext_lazy("Service actions"),
        ("subscriptions.view_subscription", "subscriptions.view_serviceaction"),
    ),
    Tab("history", gettext_lazy("History"), ()),
    Tab("notes", gettext_lazy("Notes"), ()),
)


# The panels that read the customer's subscriptions (their tab needs them).
PANELS_OF_SUBSCRIPTIONS = frozenset({"subscriptions", "sessions", "usage"})


@dataclass(frozen=True)
class Action:
    """An action of the page: label, permissions, its form and the service call.

    ``run(view, form, customer)`` calls the app's service and returns the
    success message; a ServiceError it raises is shown next to its field.
    """

    key: str
    label: Any
    perms: tuple[str, ...]
    form: Callable[..., forms.Form]
    run: Callable[[Any, Any, Customer], str]
    money: bool = False
    danger: bool = False


def _subscriptions_in(customer: Customer, *statuses: str) -> list[Subscription]:
    qs = Subscription.objects.filter(customer=customer).select_related("plan").order_by("pk")
    return list(qs.filter(status__in=statuses) if statuses else qs)


def _suspend(view: Any, form: Any, customer: Customer) -> str:
    sub = subscriptions.suspend(
        subscription=form.chosen(),
        actor=view.request.user,
        reason=form.cleaned_data["reason"],
        cause=form.cleaned_data["cause"],
    )
    return _("%(username)s is suspended.") % {"username": sub.username}


def _reconnect(view: Any, form: Any, customer: Customer) -> str:
    sub = subscriptions.reconnect(
        subscription=form.chosen(), actor=view.request.user, reason=form.cleaned_data["reason"]
    )
    return _("%(username)s is reconnected.") % {"username": sub.username}


def _change_plan(view: Any, form: Any, customer: Customer) -> str:
    data = form.cleaned_data
    result = billing.change_plan(
        subscription=form.chosen(),
        plan=data["plan"],
        when=data["when"],
        on=data["on"] or None,
        actor=view.request.user,
        reason=data["reason"],
    )
    if isinstance(result, Subscription):
        return _("%(username)s is now on %(plan)s.") % {
            "username": result.username,
            "plan": result.plan.name,
        }
    return _("%(username)s moves to %(plan)s on %(day)s.") % {
        "username": result.subscription.username,
        "plan": result.to_plan.name,
        "day": result.effective_date,
    }


def _add_charge(view: Any, form: Any, customer: Customer) -> str:
    data = form.cleaned_data
    charge = add_charge(
        subscription=form.chosen(),
        description=data["description"],
        amount=data["amount"],
        charge_date=_date(data["charge_date"], "charge_date"),
        actor=view.request.user,
    )
    return _("Charge “%(description)s” added to the next invoice.") % {
        "description": charge.description
    }


def _record_payment(view: Any, form: Any, customer: Customer) -> str:
    data = form.cleaned_data
    payment = payments.record_payment(
        tenant=view.require_tenant(),
        customer=customer,
        amount=data["amount"],
        received_on=data["received_on"] or None,
        method=data["method"],
        reference=data["reference"],
        actor=view.request.user,
    )
    return _("Payment of %(amount)s %(currency)s recorded.") % {
        "amount": payment.amount,
        "currency": payment.currency,
    }


def _credit_note(view: Any, form: Any, customer: Customer) -> str:
    data = form.cleaned_data
    invoice = Invoice.objects.get(pk=data["invoice"], customer=customer)
    lines = None
    if data["line"] is not None:
        lines = [{"line": data["line"], "amount": data["amount"]}]
    elif data["amount"]:
        raise ServiceError("choose the line the amount credits", field="line")
    note = create_credit_note(
        invoice=invoice, reason=data["reason"], lines=lines, actor=view.request.user
    )
    return _("Credit note %(number)s of %(total)s %(currency)s issued.") % {
        "number": note.number,
        "total": note.total,
        "currency": note.currency,
    }


def _send_statement(view: Any, form: Any, customer: Customer) -> str:
    data = form.cleaned_data
    send_statement(customer=customer, start=data["start"], end=data["end"], actor=view.request.user)
    return _("The statement is on its way to %(email)s.") % {"email": customer.email}


def _date(value: str, field: str) -> dt.date | None:
    from ispstack.core import inputs

    return inputs.day(value, field) if value else None


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in (
        Action(
            "record-payment",
            gettext_lazy("Record payment"),
            ("payments.add_payment",),
            customer_forms.PaymentForm,
            _record_payment,
            money=True,
        ),
        Action(
            "add-charge",
            gettext_lazy("Add charge"),
            ("subscriptions.view_subscription", "billing.add_charge"),
            customer_forms.ChargeForm,
            _add_charge,
            money=True,
        ),
        Action(
            "credit-note",
            gettext_lazy("Credit note"),
            ("billing.view_invoice", "billing.add_creditnote"),
            customer_forms.CreditNoteForm,
            _credit_note,
            money=True,
        ),
        Action(
            "send-statement",
            gettext_lazy("Send statement"),
            STATEMENT_PERMS,
            customer_forms.StatementForm,
            _send_statement,
            money=True,
        ),
        Action(
            "change-plan",
            gettext_lazy("Change plan"),
            ("subscriptions.change_subscription", "billing.add_charge"),
            customer_forms.ChangePlanForm,
            _change_plan,
        ),
        Action(
            "reconnect",
            gettext_lazy("Reconnect"),
            ("subscriptions.change_subscription",),
            customer_forms.ReconnectForm,
            _reconnect,
        ),
        Action(
            "suspend",
            gettext_lazy("Suspend"),
            ("subscriptions.change_subscription",),
            customer_forms.SuspendForm,
            _suspend,
            danger=True,
        ),
    )
}


class CustomerView(StaffView):
    """``/staff/customers/<id>/?tab=``: the Customer 360."""

    required_perms = ("customers.view_customer",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user: Any = request.user
        tabs = [t for t in TABS if user.has_perms(t.perms)]
        wanted = request.GET.get("tab", "")
        self.page = paging.page_number(request.GET.get("page"))
        tab = next((t for t in tabs if t.key == wanted), tabs[0])
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted and not htmx.history_restore_request and wanted:
            response = self._panel(pk, tabs, tab)
        else:
            response = self._page(pk, tabs, tab)
        # The panel alone and the whole page share a URL: caches keep both.
        patch_vary_headers(response, ("HX-Request",))
        return response

    def _page(self, pk: int, tabs: list[Tab], tab: Tab) -> HttpResponse:
        user: Any = self.request.user
        sees_money = user.has_perms(MONEY_PERMS)
        head = panels.customer_head(pk, user, balance=sees_money)
        if head is None:
            raise Http404("No such customer.")
        customer, subs = head.customer, head.subscriptions
        context: dict[str, Any] = {
            "title": customer.name,
            "customer": customer,
            "tabs": tabs,
            "tab": tab.key,
            "actions": [
                (a, links.customer_action_url(pk, a.key))
                for a in ACTIONS.values()
                if user.has_perms(a.perms)
            ],
            "sees_money": sees_money,
        }
        today = clock.today(customer.tenant)
        sees_subscriptions = user.has_perm("subscriptions.view_subscription")
        sees_outages = user.has_perm("tickets.view_outage")
        if not sees_subscriptions:
            subs = []
        # The header's figures and the opening panel's in one statement.
        opening = tab.key == "subscriptions"
        self.overview = panels.overview(
            customer,
            subs,
            today,
            online=sees_subscriptions,
            charges=sees_money and sees_subscriptions,
            outages=sees_outages,
            usage=opening and user.has_perm("usage.view_dailyusage"),
            uptime=opening and sees_outages,
        )
        if sees_subscriptions:
            context["online"] = self.overview.online
        if sees_money:
            context["balance"] = head.balance
            context["balance_abs"] = abs(context["balance"])
            context["next_invoice"] = next_invoice(
                customer,
                today,
                head.subscriptions,
                charges=self.overview.charges,
            )
        context["subscriptions"] = subs
        if sees_outages:
            context["outages"] = outage_selectors.open_outages_by_id(
                customer.tenant, self.overview.outage_ids or []
            )
        getattr(self, f"panel_{tab.key.replace('-', '_')}")(context, customer, subs, today)
        return render(self.request, "console/customer/detail.html", context)

    overview: panels.Overview | None = None

    def _panel(self, pk: int, tabs: list[Tab], tab: Tab) -> HttpResponse:
        """A tab clicked on the page (HTMX): the tabs and that panel only, without
        the header's reads (balance, next invoice, online session)."""
        subs: list[Subscription] = []
        if tab.key in PANELS_OF_SUBSCRIPTIONS:
            # The customer rides along with its subscriptions (one query
            # less); read alone when it has none the user may see.
            subs = panels.subscriptions_with_customer(
                self.scoped(Subscription.objects.filter(customer_id=pk))
            )
        if subs:
            customer = subs[0].customer
        else:
            customer = self.get_scoped(Customer.objects.select_related("tenant"), pk=pk)
        context: dict[str, Any] = {"customer": customer, "tabs": tabs, "tab": tab.key}
        context["subscriptions"] = subs
        today = clock.today(customer.tenant)
        getattr(self, f"panel_{tab.key.replace('-', '_')}")(context, customer, subs, today)
        return render(self.request, "console/customer/_tabs.html", context)

    def panel_subscriptions(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        # Read with the header (``_page``), or here for the panel alone.
        read = self.overview or panels.overview(
            customer,
            subs,
            today,
            usage=self.request.user.has_perm("usage.view_dailyusage"),
            uptime=self.request.user.has_perm("tickets.view_outage"),
        )
        usage = read.usage or {}
        uptime = read.uptime or {}
        context["rows"] = [
            {
                "sub": s,
                "down": display.speed(s.plan.download_kbps),
                "up": display.speed(s.plan.upload_kbps),
                "usage": usage.get(s.pk),
                "uptime": uptime.get(s.pk),
                "service_url": links.customer_action_url(
                    customer.pk, "suspend" if s.status == SubscriptionStatus.ACTIVE else "reconnect"
                ),
            }
            for s in subs
        ]

    def panel_invoices(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        context["page"] = panels.invoices(customer, self.page)
        if self.request.user.has_perm("billing.view_creditnote"):
            context["credit_notes"] = panels.credit_notes(customer)

    def panel_payments(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        context["page"] = panels.payments(customer, self.page)
        if self.request.user.has_perm("payments.view_customerpaymentmethod"):
            context["methods"] = [
                {"method": m, "iban": panels.masked_iban(m.iban) if m.iban else ""}
                for m in panels.payment_methods(customer)
            ]

    def panel_sessions(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        context["sessions"] = panels.sessions(customer, subs)

    def panel_usage(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        choice = self.request.GET.get("subscription", "")
        sub = next((s for s in subs if str(s.pk) == choice), subs[0] if subs else None)
        context["usage_subscription"] = sub
        if sub is not None:
            usage = panels.cycle_usage([sub], today)[sub.pk]
            context["chart"] = panels.usage_chart(usage)

    def panel_dunning(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        context.update(panels.dunning(customer))

    def panel_service_actions(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        context["page"] = panels.service_actions(customer, self.page)

    def panel_history(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        user = self.request.user
        readable = {
            "subscription": "subscriptions.view_subscription",
            "invoice": "billing.view_invoice",
            "credit_note": "billing.view_creditnote",
            "payment": "payments.view_payment",
        }
        include = {kind for kind, perm in readable.items() if user.has_perm(perm)}
        context["page"] = panels.audit_trail(customer, include=include, page=self.page)

    def panel_notes(
        self, context: dict[str, Any], customer: Customer, subs: list[Subscription], today: Any
    ) -> None:
        if self.request.user.has_perm("customers.change_customer"):
            context["notes_form"] = customer_forms.NotesForm(initial={"notes": customer.notes})


class CustomerActionView(StaffView):
    """``/staff/customers/<id>/<action>/``: the form of one action (GET) and
    its service call (POST); success goes back to the 360 with a message, an
    error stays on the form next to the field the service names."""

    required_perms = ("customers.view_customer",)

    def _setup(self, pk: int, action: str) -> tuple[Customer, Action]:
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404("No such action.")
        customer = self.get_scoped(Customer.objects.select_related("tenant"), pk=pk)
        if not self.request.user.has_perms(spec.perms):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        self.require_tenant()
        return customer, spec

    def _form(self, spec: Action, customer: Customer, data: Any = None) -> forms.Form:
        initial: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        if spec.key in ("suspend", "reconnect", "change-plan", "add-charge"):
            statuses = {
                "suspend": (SubscriptionStatus.ACTIVE,),
                "reconnect": (SubscriptionStatus.SUSPENDED,),
            }.get(spec.key, (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED))
            kwargs["subscriptions"] = _subscriptions_in(customer, *statuses)
            chosen = self.request.GET.get("subscription", "")
            if chosen.isdigit():
                initial["subscription"] = int(chosen)
        if spec.key == "change-plan":
            kwargs["plans"] = self.scoped(Plan.objects.filter(is_active=True)).order_by(
                "monthly_price", "name"
            )
        if spec.key == "credit-note":
            kwargs["invoices"] = list(
                panels.open_invoices_for_credit(customer).prefetch_related("lines")[:24]
            )
        if spec.key == "send-statement":
            today = clock.today(customer.tenant)
            initial = {"start": today.replace(day=1) - dt.timedelta(days=90), "end": today}
            initial["start"] = initial["start"].replace(day=1)
        return spec.form(data, initial=initial, **kwargs)

    def _page(self, customer: Customer, spec: Action, form: forms.Form) -> HttpResponse:
        return render(
            self.request,
            "console/customer/action.html",
            {
                "title": f"{spec.label}: {customer.name}",
                "customer": customer,
                "action": spec,
                "form": form,
            },
        )

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        customer, spec = self._setup(pk, action)
        return self._page(customer, spec, self._form(spec, customer))

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        customer, spec = self._setup(pk, action)
        form = self._form(spec, customer, request.POST)
        if form.is_valid():
            try:
                message = spec.run(self, form, customer)
            except ServiceError as exc:
                field = _FIELD_OF.get(exc.field or "", exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                messages.success(request, message)
                tab = "subscriptions" if not spec.money else "payments"
                if spec.key in ("credit-note", "add-charge"):
                    tab = "invoices"
                return redirect(f"{reverse('console:customer', args=[customer.pk])}?tab={tab}")
        return self._page(customer, spec, form)


# Service error fields that the forms call otherwise.
_FIELD_OF = {"status": "subscription", "lines": "line", "account": None}


class CustomerNotesView(StaffView):
    """``POST /staff/customers/<id>/notes/``: save the notes (customers.update_customer)."""

    required_perms = ("customers.view_customer", "customers.change_customer")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = self.get_scoped(Customer.objects.all(), pk=pk)
        self.require_tenant()
        form = customer_forms.NotesForm(request.POST)
        url = f"{reverse('console:customer', args=[customer.pk])}?tab=notes"
        if not form.is_valid():
            messages.error(
                request, "; ".join(str(e) for errs in form.errors.values() for e in errs)
            )
            return redirect(url)
        try:
            update_customer(customer=customer, actor=request.user, notes=form.cleaned_data["notes"])
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Notes saved."))
        return redirect(url)


class InvoicePdfView(StaffView):
    """``/staff/invoices/<id>/pdf/``: the invoice as billing.documents renders it."""

    required_perms = ("billing.view_invoice",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self.get_scoped(Invoice.objects.select_related("customer", "tenant"), pk=pk)
        return pdf_response(document_pdf(invoice), f"{invoice.number}.pdf")


class CreditNotePdfView(StaffView):
    """``/staff/credit-notes/<id>/pdf/``: the credit note's PDF."""

    required_perms = ("billing.view_creditnote",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = self.get_scoped(
            CreditNote.objects.select_related("customer", "tenant", "invoice"), pk=pk
        )
        return pdf_response(document_pdf(note), f"{note.number}.pdf")
