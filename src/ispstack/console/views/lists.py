"""The console's lists: customers, subscriptions, invoices, payments, bank
statement lines, bank transfers and outbox jobs (framework: ``console.lists``).

Each list reads with the view permission of its model; each bulk action
needs the change permission and calls the owning app's service per row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ispstack.billing import services as billing_services
from ispstack.billing.models import OPEN_STATUSES, Invoice, InvoiceStatus
from ispstack.catalog.models import Plan
from ispstack.console.lists import (
    ANY,
    BulkAction,
    CustomerColumn,
    ExportColumn,
    ListView,
    LocalTimeColumn,
    MoneyColumn,
    StatusColumn,
    TenantFilterSet,
    amount_range,
    badge,
    customer_link,
    date_range,
    export_time,
    money_number,
    search_filter,
)
from ispstack.core import clock, outbox
from ispstack.core.models import Job
from ispstack.customers.models import Customer, CustomerStatus
from ispstack.network.models import Nas
from ispstack.payments import statements, transfers
from ispstack.payments.models import BankTransfer, Payment, PaymentMethod, StatementLine
from ispstack.subscriptions import services as subscription_services
from ispstack.subscriptions.models import Subscription, SubscriptionStatus, SuspensionCause


class _YesNo(forms.Select):
    """Any / Yes / No for a filter that may be left out."""

    def __init__(self) -> None:
        super().__init__(choices=[("", ANY), ("true", _("Yes")), ("false", _("No"))])


def _today(tenant: Any) -> dt.date:
    return clock.today(tenant) if tenant is not None else clock.now().date()


def _customer_filter() -> django_filters.NumberFilter:
    """``?customer=<id>``: one customer's rows (the 360 view links here)."""
    return django_filters.NumberFilter(
        field_name="customer_id", widget=django_filters.widgets.forms.HiddenInput()
    )


CUSTOMER_EXPORT = [
    ExportColumn(_("Account number"), lambda r: r.customer.account_number if r.customer else ""),
    ExportColumn(_("Customer"), lambda r: r.customer.name if r.customer else ""),
]


# --------------------------------------------------------------------------
# Customers


class CustomerFilter(TenantFilterSet):
    q = search_filter(_("Account number, name, email, phone"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=CustomerStatus.choices, empty_label=ANY
    )
    created = date_range(_("Created between"), method="filter_created")

    class Meta:
        model = Customer
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(account_number__iexact=value)
            | models.Q(name__icontains=value)
            | models.Q(email__icontains=value)
            | models.Q(phone__icontains=value)
        )

    def filter_created(self, queryset: Any, name: str, value: slice | None) -> Any:
        # Days in the tenant's zone would need a per-row zone; UTC days are
        # close enough for "created between".
        if value and value.start:
            queryset = queryset.filter(created_at__date__gte=value.start.date())
        if value and value.stop:
            queryset = queryset.filter(created_at__date__lte=value.stop.date())
        return queryset


class CustomerTable(tables.Table):
    account_number = tables.Column(verbose_name=_("Account"))
    name = tables.Column(verbose_name=_("Name"))
    email = tables.Column(verbose_name=_("Email"))
    phone = tables.Column(verbose_name=_("Phone"))
    status = StatusColumn(verbose_name=_("Status"))
    currency = tables.Column(verbose_name=_("Currency"))
    created_at = LocalTimeColumn(verbose_name=_("Created"))

    def render_account_number(self, record: Customer) -> str:
        return customer_link(record)


class CustomerListView(ListView):
    """``/staff/customers/``: subscriber accounts."""

    list_name = "customers"
    title = _("Customers")
    model = Customer
    required_perms = ("customers.view_customer",)
    table_class = CustomerTable
    filterset_class = CustomerFilter
    sorts = {
        "account_number": ("account_number",),
        "name": ("name",),
        "status": ("status",),
        "created_at": ("created_at",),
    }
    default_sort = "account_number"
    keyset_sorts = ("id", "account_number", "name", "created_at")
    export_columns = [
        ExportColumn(_("Account number"), lambda r: r.account_number),
        ExportColumn(_("Name"), lambda r: r.name),
        ExportColumn(_("Email"), lambda r: r.email),
        ExportColumn(_("Phone"), lambda r: r.phone),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Currency"), lambda r: r.currency),
        ExportColumn(_("Created"), lambda r: export_time(r.created_at, r._list_tenant)),
    ]


# --------------------------------------------------------------------------
# Subscriptions


class SubscriptionFilter(TenantFilterSet):
    customer = _customer_filter()
    q = search_filter(_("Username, account number, customer name"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=SubscriptionStatus.choices, empty_label=ANY
    )
    suspension_cause = django_filters.ChoiceFilter(
        label=_("Suspended for"), choices=SuspensionCause.choices, empty_label=ANY
    )
    plan = django_filters.ModelChoiceFilter(
        label=_("Plan"), queryset=Plan.objects.none(), empty_label=ANY
    )
    nas = django_filters.ModelChoiceFilter(
        label=_("NAS"), queryset=Nas.objects.none(), empty_label=ANY
    )
    start_date = date_range(_("Started between"))

    scoped_choices = {"plan": Plan, "nas": Nas}

    class Meta:
        model = Subscription
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(username__icontains=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(customer__name__icontains=value)
        )


class SubscriptionTable(tables.Table):
    username = tables.Column(verbose_name=_("Username"))
    customer = CustomerColumn()
    plan = tables.Column(verbose_name=_("Plan"), accessor="plan__name")
    status = StatusColumn(verbose_name=_("Status"))
    suspension_cause = tables.Column(verbose_name=_("Suspended for"))
    nas = tables.Column(verbose_name=_("NAS"), accessor="nas__shortname")
    ip_address = tables.Column(verbose_name=_("IPv4 address"), accessor="ip_address__address")
    start_date = tables.DateColumn(verbose_name=_("Start"), format="Y-m-d")
    billing_day = tables.Column(verbose_name=_("Billing day"), attrs={"td": {"class": "num"}})


def _suspend(sub: Subscription, user: Any, reason: str) -> Any:
    return subscription_services.suspend(subscription=sub, actor=user, reason=reason)


def _reconnect(sub: Subscription, user: Any, reason: str) -> Any:
    return subscription_services.reconnect(subscription=sub, actor=user, reason=reason)


class SubscriptionListView(ListView):
    """``/staff/subscriptions/``: services, with suspend / reconnect in bulk."""

    list_name = "subscriptions"
    title = _("Subscriptions")
    model = Subscription
    required_perms = ("subscriptions.view_subscription",)
    table_class = SubscriptionTable
    filterset_class = SubscriptionFilter
    sorts = {
        "username": ("username",),
        "customer": ("customer__name",),
        "plan": ("plan__name",),
        "status": ("status",),
        "start_date": ("start_date",),
        "billing_day": ("billing_day",),
    }
    default_sort = "username"
    keyset_sorts = ("id", "username", "start_date")
    export_columns = [
        ExportColumn(_("Username"), lambda r: r.username),
        *CUSTOMER_EXPORT,
        ExportColumn(_("Plan"), lambda r: r.plan.name),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Suspended for"), lambda r: r.get_suspension_cause_display()),
        ExportColumn(_("NAS"), lambda r: r.nas.shortname if r.nas else ""),
        ExportColumn(_("IPv4 address"), lambda r: r.ip_address.address if r.ip_address else ""),
        ExportColumn(_("Start"), lambda r: r.start_date),
        ExportColumn(_("Billing day"), lambda r: r.billing_day),
    ]
    actions = [
        BulkAction(
            "suspend",
            _("Suspend"),
            "subscriptions.change_subscription",
            _suspend,
            confirm=_("The subscribers lose access at once (RADIUS rejects them)."),
            needs_reason=True,
            danger=True,
        ),
        BulkAction(
            "reconnect",
            _("Reconnect"),
            "subscriptions.change_subscription",
            _reconnect,
            confirm=_("The subscribers get access again."),
        ),
    ]

    def get_queryset(self) -> Any:
        return Subscription.objects.select_related("customer", "plan", "nas", "ip_address")


# --------------------------------------------------------------------------
# Invoices


class InvoiceFilter(TenantFilterSet):
    customer = _customer_filter()
    q = search_filter(_("Invoice number, account number, customer name"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=InvoiceStatus.choices, empty_label=ANY
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=_YesNo(),
    )
    issue_date = date_range(_("Issued between"))
    due_date = date_range(_("Due between"))
    total = amount_range(_("Total between"))

    class Meta:
        model = Invoice
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(number__iexact=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(customer__name__icontains=value)
        )

    def filter_overdue(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        tenant = getattr(getattr(self.request, "user", None), "tenant", None)
        overdue = models.Q(status__in=OPEN_STATUSES, due_date__lt=_today(tenant))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class InvoiceTable(tables.Table):
    number = tables.Column(verbose_name=_("Number"))
    customer = CustomerColumn()
    issue_date = tables.DateColumn(verbose_name=_("Issued"), format="Y-m-d")
    due_date = tables.DateColumn(verbose_name=_("Due"), format="Y-m-d")
    status = StatusColumn(verbose_name=_("Status"))
    total = MoneyColumn(verbose_name=_("Total"))
    amount_due = MoneyColumn(verbose_name=_("Still due"), orderable=False)
    sent_at = LocalTimeColumn(verbose_name=_("Emailed"))

    def render_due_date(self, value: dt.date, record: Invoice) -> str:
        today = _today(getattr(record, "_list_tenant", None))
        if record.status in OPEN_STATUSES and value < today:
            return format_html("{} {}", f"{value:%Y-%m-%d}", badge("failed", _("overdue")))
        return f"{value:%Y-%m-%d}"


def _void(invoice: Invoice, user: Any, reason: str) -> Any:
    return billing_services.void_invoice(invoice=invoice, actor=user, reason=reason)


class InvoiceListView(ListView):
    """``/staff/invoices/``: invoices, filterable by status, dates, amount and
    overdue; void in bulk."""

    list_name = "invoices"
    title = _("Invoices")
    model = Invoice
    required_perms = ("billing.view_invoice",)
    table_class = InvoiceTable
    filterset_class = InvoiceFilter
    sorts = {
        "number": ("number",),
        "customer": ("customer__name",),
        "issue_date": ("issue_date",),
        "due_date": ("due_date",),
        "status": ("status",),
        "total": ("total",),
    }
    default_sort = "-issue_date"
    keyset_sorts = ("id", "number", "issue_date")
    export_columns = [
        ExportColumn(_("Number"), lambda r: r.number),
        *CUSTOMER_EXPORT,
        ExportColumn(_("Issued"), lambda r: r.issue_date),
        ExportColumn(_("Due"), lambda r: r.due_date),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Currency"), lambda r: r.currency),
        ExportColumn(_("Net"), lambda r: money_number(r.subtotal, r.currency)),
        ExportColumn(_("Tax"), lambda r: money_number(r.tax_total, r.currency)),
        ExportColumn(_("Total"), lambda r: money_number(r.total, r.currency)),
        ExportColumn(_("Paid"), lambda r: money_number(r.amount_paid, r.currency)),
        ExportColumn(_("Credited"), lambda r: money_number(r.amount_credited, r.currency)),
        ExportColumn(_("Still due"), lambda r: money_number(r.amount_due, r.currency)),
    ]
    actions = [
        BulkAction(
            "void",
            _("Void"),
            "billing.change_invoice",
            _void,
            confirm=_(
                "Voided invoices are cancelled for good; only invoices with nothing paid "
                "on them can be voided."
            ),
            needs_reason=True,
            danger=True,
        ),
    ]

    def get_queryset(self) -> Any:
        return Invoice.objects.select_related("customer")


# --------------------------------------------------------------------------
# Payments


class PaymentFilter(TenantFilterSet):
    customer = _customer_filter()
    q = search_filter(_("Reference, account number, customer name"))
    method = django_filters.ChoiceFilter(
        label=_("Method"), choices=PaymentMethod.choices, empty_label=ANY
    )
    received_on = date_range(_("Received between"))
    amount = amount_range(_("Amount between"))
    unallocated = django_filters.BooleanFilter(
        label=_("Unallocated credit"),
        method="filter_unallocated",
        widget=_YesNo(),
    )
    reversed = django_filters.BooleanFilter(
        label=_("Reversed"),
        field_name="reversed_on",
        lookup_expr="isnull",
        exclude=True,
        widget=_YesNo(),
    )

    class Meta:
        model = Payment
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(reference__icontains=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(customer__name__icontains=value)
        )

    def filter_unallocated(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.filter(unallocated__gt=0) if value else queryset.filter(unallocated=0)


class PaymentTable(tables.Table):
    received_on = tables.DateColumn(verbose_name=_("Received"), format="Y-m-d")
    customer = CustomerColumn()
    amount = MoneyColumn(verbose_name=_("Amount"))
    method = tables.Column(verbose_name=_("Method"))
    reference = tables.Column(verbose_name=_("Reference"))
    unallocated = MoneyColumn(verbose_name=_("Unallocated"))
    reversed_on = tables.DateColumn(verbose_name=_("Reversed"), format="Y-m-d")


class PaymentListView(ListView):
    """``/staff/payments/``: payments received."""

    list_name = "payments"
    title = _("Payments")
    model = Payment
    required_perms = ("payments.view_payment",)
    table_class = PaymentTable
    filterset_class = PaymentFilter
    sorts = {
        "received_on": ("received_on",),
        "customer": ("customer__name",),
        "amount": ("amount",),
        "method": ("method",),
        "reference": ("reference",),
    }
    default_sort = "-received_on"
    keyset_sorts = ("id", "received_on")
    export_columns = [
        ExportColumn(_("Received"), lambda r: r.received_on),
        *CUSTOMER_EXPORT,
        ExportColumn(_("Method"), lambda r: r.get_method_display()),
        ExportColumn(_("Reference"), lambda r: r.reference),
        ExportColumn(_("Currency"), lambda r: r.currency),
        ExportColumn(_("Amount"), lambda r: money_number(r.amount, r.currency)),
        ExportColumn(_("Unallocated"), lambda r: money_number(r.unallocated, r.currency)),
        ExportColumn(_("Reversed"), lambda r: r.reversed_on),
        ExportColumn(_("Reversal reason"), lambda r: r.reversal_reason),
    ]

    def get_queryset(self) -> Any:
        return Payment.objects.select_related("customer")


# --------------------------------------------------------------------------
# Bank statement lines


class StatementLineFilter(TenantFilterSet):
    customer = _customer_filter()
    q = search_filter(_("Counterparty, IBAN, remittance, bank reference"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=StatementLine.Status.choices, empty_label=ANY
    )
    booked_on = date_range(_("Booked between"))
    amount = amount_range(_("Amount between"))

    class Meta:
        model = StatementLine
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(counterparty_name__icontains=value)
            | models.Q(counterparty_iban__icontains=value.replace(" ", ""))
            | models.Q(remittance__icontains=value)
            | models.Q(bank_reference__iexact=value)
        )


class StatementLineTable(tables.Table):
    booked_on = tables.DateColumn(verbose_name=_("Booked"), format="Y-m-d")
    amount = MoneyColumn(verbose_name=_("Amount"))
    counterparty_name = tables.Column(verbose_name=_("From / to"))
    counterparty_iban = tables.Column(verbose_name=_("IBAN"))
    remittance = tables.Column(verbose_name=_("Remittance"), attrs={"td": {"class": "wrap"}})
    status = StatusColumn(verbose_name=_("Status"))
    customer = CustomerColumn()
    note = tables.Column(verbose_name=_("Note"), attrs={"td": {"class": "wrap"}})
    bank_reference = tables.Column(verbose_name=_("Bank reference"))


MATCH_RULES = {
    "invoice_number": _("invoice number in the remittance"),
    "account_number": _("account number in the remittance"),
    "mandate_iban": _("payer's IBAN saved on the account"),
}


def _match(line: StatementLine, user: Any, reason: str) -> str:
    line = statements.match_by_rules(line=line, actor=user)
    assert line.customer is not None  # a matched line has its customer
    return _("Matched to %(account)s %(name)s (%(rule)s)") % {
        "account": line.customer.account_number,
        "name": line.customer.name,
        "rule": MATCH_RULES.get(line.match_rule, line.match_rule),
    }


class StatementLineListView(ListView):
    """``/staff/statement-lines/``: imported bank transactions, the unmatched
    ones waiting for a clerk."""

    list_name = "statement-lines"
    title = _("Bank statement lines")
    model = StatementLine
    required_perms = ("payments.view_statementline",)
    table_class = StatementLineTable
    filterset_class = StatementLineFilter
    sorts = {
        "booked_on": ("booked_on",),
        "amount": ("amount",),
        "counterparty_name": ("counterparty_name",),
        "status": ("status",),
    }
    default_sort = "-booked_on"
    keyset_sorts = ("id", "booked_on")
    export_columns = [
        ExportColumn(_("Booked"), lambda r: r.booked_on),
        ExportColumn(_("Currency"), lambda r: r.currency),
        ExportColumn(_("Amount"), lambda r: money_number(r.amount, r.currency)),
        ExportColumn(_("From / to"), lambda r: r.counterparty_name),
        ExportColumn(_("IBAN"), lambda r: r.counterparty_iban),
        ExportColumn(_("Remittance"), lambda r: r.remittance),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        *CUSTOMER_EXPORT,
        ExportColumn(_("Note"), lambda r: r.note),
        ExportColumn(_("Bank reference"), lambda r: r.bank_reference),
    ]

    actions = [
        BulkAction(
            "match",
            _("Match to the customer the line names"),
            "payments.change_statementline",
            _match,
            confirm=_(
                "Each unmatched credit is matched to the one customer its remittance "
                "(invoice or account number) or the payer's saved IBAN names, and becomes "
                "that customer's payment. A line naming no customer, or several, is left "
                "unmatched and reported."
            ),
        ),
    ]

    def get_queryset(self) -> Any:
        return StatementLine.objects.select_related("customer")


# --------------------------------------------------------------------------
# Bank transfers


class TransferFilter(TenantFilterSet):
    customer = _customer_filter()
    q = search_filter(_("Reference, account number, customer name"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=BankTransfer.Status.choices, empty_label=ANY
    )
    transferred_on = date_range(_("Transferred between"))
    amount = amount_range(_("Amount between"))

    class Meta:
        model = BankTransfer
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(reference__icontains=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(customer__name__icontains=value)
        )


class TransferTable(tables.Table):
    transferred_on = tables.DateColumn(verbose_name=_("Transferred"), format="Y-m-d")
    customer = CustomerColumn()
    amount = MoneyColumn(verbose_name=_("Amount"))
    reference = tables.Column(verbose_name=_("Reference"))
    status = StatusColumn(verbose_name=_("Status"))
    reviewed_at = LocalTimeColumn(verbose_name=_("Reviewed"))
    rejection_reason = tables.Column(
        verbose_name=_("Rejection reason"), attrs={"td": {"class": "wrap"}}
    )
    created_at = LocalTimeColumn(verbose_name=_("Submitted"))


def _approve(transfer: BankTransfer, user: Any, reason: str) -> Any:
    return transfers.approve_transfer(transfer=transfer, actor=user)


def _reject(transfer: BankTransfer, user: Any, reason: str) -> Any:
    return transfers.reject_transfer(transfer=transfer, actor=user, reason=reason)


class TransferListView(ListView):
    """``/staff/transfers/``: bank transfers customers reported, with proof,
    approved (a payment is recorded) or rejected in bulk."""

    list_name = "transfers"
    title = _("Bank transfers")
    model = BankTransfer
    required_perms = ("payments.view_banktransfer",)
    table_class = TransferTable
    filterset_class = TransferFilter
    sorts = {
        "transferred_on": ("transferred_on",),
        "customer": ("customer__name",),
        "amount": ("amount",),
        "status": ("status",),
        "created_at": ("created_at",),
    }
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at", "transferred_on")
    export_columns = [
        ExportColumn(_("Transferred"), lambda r: r.transferred_on),
        *CUSTOMER_EXPORT,
        ExportColumn(_("Currency"), lambda r: r.currency),
        ExportColumn(_("Amount"), lambda r: money_number(r.amount, r.currency)),
        ExportColumn(_("Reference"), lambda r: r.reference),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Reviewed"), lambda r: export_time(r.reviewed_at, r._list_tenant)),
        ExportColumn(_("Rejection reason"), lambda r: r.rejection_reason),
        ExportColumn(_("Submitted"), lambda r: export_time(r.created_at, r._list_tenant)),
    ]
    actions = [
        BulkAction(
            "approve",
            _("Approve"),
            "payments.change_banktransfer",
            _approve,
            confirm=_(
                "Approve only transfers you found on the bank account: each becomes a "
                "payment and the customer is told."
            ),
        ),
        BulkAction(
            "reject",
            _("Reject"),
            "payments.change_banktransfer",
            _reject,
            confirm=_("The customer is told the reason."),
            needs_reason=True,
            danger=True,
        ),
    ]

    def get_queryset(self) -> Any:
        return BankTransfer.objects.select_related("customer")


# --------------------------------------------------------------------------
# Outbox jobs


class JobFilter(TenantFilterSet):
    kind = django_filters.CharFilter(label=_("Kind"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Job.Status.choices, empty_label=ANY
    )
    late = django_filters.BooleanFilter(
        label=_("Late"),
        method="filter_late",
        widget=_YesNo(),
        help_text=_("Waiting jobs whose next try is past due."),
    )
    error = django_filters.CharFilter(
        label=_("Error contains"), field_name="last_error", lookup_expr="icontains"
    )

    class Meta:
        model = Job
        fields: list[str] = []

    def filter_late(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        late = models.Q(status=Job.Status.PENDING, next_attempt_at__lt=clock.now())
        return queryset.filter(late) if value else queryset.exclude(late)


class JobTable(tables.Table):
    id = tables.Column(verbose_name=_("Job"), attrs={"td": {"class": "num"}})
    kind = tables.Column(verbose_name=_("Kind"))
    status = StatusColumn(verbose_name=_("Status"))
    attempts = tables.Column(verbose_name=_("Attempts"), attrs={"td": {"class": "num"}})
    next_attempt_at = LocalTimeColumn(verbose_name=_("Next try"))
    last_error = tables.Column(verbose_name=_("Last error"), attrs={"td": {"class": "wrap"}})
    finished_at = LocalTimeColumn(verbose_name=_("Finished"))
    created_at = LocalTimeColumn(verbose_name=_("Created"))

    def render_attempts(self, value: int, record: Job) -> str:
        return f"{value} / {record.max_attempts}"

    def render_next_attempt_at(self, value: dt.datetime, record: Job) -> str:
        if record.status != Job.Status.PENDING:
            return ""
        return export_time(value, getattr(record, "_list_tenant", None))


def _retry(job: Job, user: Any, reason: str) -> Any:
    return outbox.retry_now(job=job, actor=user)


class JobListView(ListView):
    """``/staff/jobs/``: the outbox (emails, CoA, webhooks), with the failed
    and late ones, and "retry now" in bulk."""

    list_name = "jobs"
    title = _("Background jobs")
    model = Job
    required_perms = ("core.view_job",)
    table_class = JobTable
    filterset_class = JobFilter
    sorts = {
        "kind": ("kind",),
        "status": ("status",),
        "attempts": ("attempts",),
        "next_attempt_at": ("next_attempt_at",),
        "created_at": ("created_at",),
    }
    default_sort = "-id"
    keyset_sorts = ("id", "next_attempt_at", "created_at")
    export_columns = [
        ExportColumn(_("Job"), lambda r: r.pk),
        ExportColumn(_("Kind"), lambda r: r.kind),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Attempts"), lambda r: r.attempts),
        ExportColumn(_("Most attempts"), lambda r: r.max_attempts),
        ExportColumn(_("Next try"), lambda r: export_time(r.next_attempt_at, r._list_tenant)),
        ExportColumn(_("Last error"), lambda r: r.last_error),
        ExportColumn(_("Finished"), lambda r: export_time(r.finished_at, r._list_tenant)),
        ExportColumn(_("Created"), lambda r: export_time(r.created_at, r._list_tenant)),
    ]
    actions = [
        BulkAction(
            "retry",
            _("Retry now"),
            "core.change_job",
            _retry,
            confirm=_("Each failed job gets one more attempt, at once."),
        ),
    ]


__all__ = [
    "CustomerListView",
    "InvoiceListView",
    "JobListView",
    "PaymentListView",
    "StatementLineListView",
    "SubscriptionListView",
    "TransferListView",
]
