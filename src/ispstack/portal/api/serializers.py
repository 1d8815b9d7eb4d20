"""What the portal API answers: explicit fields only, money as
``{"amount": "12.50", "currency": "EUR"}`` (a decimal string in currency
units, rounded to the currency's minor unit), dates as ISO 8601 dates and
moments as UTC datetimes, bytes as whole numbers."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ispstack.core.api.fields import StrictCharField
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.portal.models import PortalToken
from ispstack.portal.selectors import CAP_MARKS

# Django hashes any length; a bound keeps a megabyte "password" from costing a
# hash over it. Logins are email addresses (254) or account numbers (40).
PASSWORD_MAX_LENGTH = 4096
LOGIN_MAX_LENGTH = 254
SLUG_MAX_LENGTH = Tenant._meta.get_field("slug").max_length
NAME_MAX_LENGTH = PortalToken._meta.get_field("name").max_length
DEFAULT_NAME = "Portal API"


def money(amount: Decimal | int | str, currency: str) -> dict[str, str]:
    """``amount`` in ``currency`` as the API writes money."""
    value = round_money(Decimal(amount), currency)
    return {"amount": str(value), "currency": currency}


class PortalMoneySerializer(serializers.Serializer):
    """An amount of money: a decimal string in currency units and its ISO 4217 code."""

    amount = serializers.CharField(help_text="Decimal string in currency units, e.g. 12.50.")
    currency = serializers.CharField(help_text="ISO 4217 code.")


@extend_schema_field(PortalMoneySerializer)
class MoneyField(serializers.Field):
    """A money object from two attributes of the object: ``amount`` and
    ``currency`` (dotted paths; ``currency`` defaults to ``currency``)."""

    def __init__(self, amount: str, currency: str = "currency", **kwargs: Any) -> None:
        self.amount_path, self.currency_path = amount, currency
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, str]:
        return money(attrgetter(self.amount_path)(value), attrgetter(self.currency_path)(value))


# Tokens.


class PortalTokenRequestSerializer(serializers.Serializer):
    """The portal sign-in as strings of bounded length: the ISP's ``tenant``
    slug (as in ``/my/<slug>/``), ``login`` (an email address or an account
    number), ``password``, and what the token is for (``name``)."""

    tenant = StrictCharField(max_length=SLUG_MAX_LENGTH)
    login = StrictCharField(max_length=LOGIN_MAX_LENGTH, write_only=True)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
    )
    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, default=DEFAULT_NAME)


class PortalTokenSerializer(serializers.ModelSerializer):
    """A portal token as its owner sees it: never the secret."""

    class Meta:
        model = PortalToken
        fields = ["prefix", "name", "created_at", "expires", "last_used", "revoked"]
        read_only_fields = fields


class PortalNewTokenSerializer(PortalTokenSerializer):
    """A token just created, with the raw ``token``: the only time it is shown."""

    token = serializers.CharField(read_only=True)

    class Meta(PortalTokenSerializer.Meta):
        fields = ["token", *PortalTokenSerializer.Meta.fields]
        read_only_fields = fields


# The account and its services.


class PortalNextInvoiceSerializer(serializers.Serializer):
    """The next invoice's estimate: when a billing run will issue it and its total with tax."""

    date = serializers.DateField()
    amount = MoneyField("amount")


class PortalAccountSerializer(serializers.Serializer):
    """The dashboard's account: ``balance`` positive when owed, negative in
    credit; ``credit`` what is in credit (0 when owing); ``next_invoice``
    null when no service will be billed."""

    account_number = serializers.CharField(source="customer.account_number")
    name = serializers.CharField(source="customer.name")
    status = serializers.CharField(source="customer.status")
    currency = serializers.CharField(source="customer.currency")
    balance = MoneyField("balance", "customer.currency")
    credit = MoneyField("credit", "customer.currency")
    next_invoice = PortalNextInvoiceSerializer(allow_null=True)


class PortalPlanSerializer(serializers.Serializer):
    """A service's plan: name, speeds in kbit/s, cap in bytes (null: none) and
    its monthly price before tax."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    download_kbps = serializers.IntegerField()
    upload_kbps = serializers.IntegerField()
    data_cap_bytes = serializers.IntegerField(allow_null=True)
    monthly_price = MoneyField("monthly_price")


class PortalCapMarkSerializer(serializers.Serializer):
    """A mark of the usage bar: its ``percent`` of the allowance, whether it is ``reached``."""

    percent = serializers.IntegerField()
    reached = serializers.BooleanField()


class PortalCycleUsageSerializer(serializers.Serializer):
    """Data used this cycle (``cycle_start``..``cycle_end``, tenant-local
    dates) against the allowance (cap plus top-ups; null: no cap), in bytes;
    ``percent`` whole percent used (may pass 100; null without a cap),
    ``level`` the highest mark reached (``ok``, ``80``, ``95``, ``100``)."""

    cycle_start = serializers.DateField(source="start")
    cycle_end = serializers.DateField(source="end")
    used_bytes = serializers.IntegerField()
    allowance_bytes = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    level = serializers.SerializerMethodField()
    marks = serializers.SerializerMethodField()

    def get_level(self, usage: Any) -> str | None:
        bar = usage.bar
        return None if bar is None else str(bar["level"])

    @extend_schema_field(PortalCapMarkSerializer(many=True))
    def get_marks(self, usage: Any) -> list[dict[str, Any]]:
        percent = usage.percent
        return [
            {"percent": mark, "reached": percent is not None and percent >= mark}
            for mark in CAP_MARKS
        ]


class PortalCurrentSessionSerializer(serializers.Serializer):
    """The open connection: when it started (UTC), seconds online, its address."""

    started_at = serializers.DateTimeField(source="session.acctstarttime")
    online_seconds = serializers.IntegerField(allow_null=True)
    ip_address = serializers.SerializerMethodField()

    def get_ip_address(self, service: Any) -> str | None:
        return str(service.session.framedipaddress or "") or None


class PortalServiceSerializer(serializers.Serializer):
    """One service as the dashboard shows it: plan, status, address (the open
    session's, else the fixed one, null: assigned on connecting), whether it
    is online now and its usage this cycle."""

    id = serializers.IntegerField(source="subscription.pk")
    username = serializers.CharField(source="subscription.username")
    status = serializers.CharField(source="subscription.status")
    plan = PortalPlanSerializer(source="subscription.plan")
    ip_address = serializers.SerializerMethodField()
    online = serializers.BooleanField()
    session = serializers.SerializerMethodField()
    usage = PortalCycleUsageSerializer()

    def get_ip_address(self, service: Any) -> str | None:
        if service.session is not None and service.session.framedipaddress:
            return str(service.session.framedipaddress)
        fixed = service.subscription.ip_address
        return str(fixed.address) if fixed is not None else None

    @extend_schema_field(PortalCurrentSessionSerializer(allow_null=True))
    def get_session(self, service: Any) -> dict[str, Any] | None:
        if service.session is None:
            return None
        return dict(PortalCurrentSessionSerializer(service).data)


class PortalSessionRowSerializer(serializers.Serializer):
    """A past or open connection: start and stop (UTC; stop null while open),
    seconds online, bytes both directions, the address it had."""

    start = serializers.DateTimeField(allow_null=True)
    stop = serializers.DateTimeField(allow_null=True)
    seconds = serializers.IntegerField(allow_null=True)
    total_bytes = serializers.IntegerField()
    ip_address = serializers.CharField(source="ip")


class PortalServiceDetailSerializer(PortalServiceSerializer):
    """The service page: the service and its latest sessions, newest first."""

    sessions = PortalSessionRowSerializer(many=True)

    def to_representation(self, instance: Any) -> Any:
        data = dict(PortalServiceSerializer(instance.service).data)
        data["sessions"] = PortalSessionRowSerializer(instance.sessions, many=True).data
        return data


class PortalUsageDaySerializer(serializers.Serializer):
    """One tenant-local day's bytes: sent (upload), received (download), both."""

    day = serializers.DateField()
    upload_bytes = serializers.IntegerField()
    download_bytes = serializers.IntegerField()
    total_bytes = serializers.IntegerField()


class PortalServiceUsageSerializer(serializers.Serializer):
    """A service's usage this cycle against its cap, and its days so far."""

    subscription = serializers.IntegerField(source="service.subscription.pk")
    usage = PortalCycleUsageSerializer(source="service.usage")
    days = PortalUsageDaySerializer(many=True)


# Documents and payments.


class PortalInvoiceLineSerializer(serializers.Serializer):
    """A line of an invoice; amounts in the invoice's currency, ``tax_rate`` in percent."""

    description = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=6)
    net_amount = MoneyField("net_amount", "invoice.currency")
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3)
    tax_amount = MoneyField("tax_amount", "invoice.currency")
    total = MoneyField("total", "invoice.currency")


class PortalInvoiceSerializer(serializers.Serializer):
    """An invoice as the documents page lists it."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    paid_on = serializers.DateField(allow_null=True)
    subtotal = MoneyField("subtotal")
    tax_total = MoneyField("tax_total")
    total = MoneyField("total")
    amount_paid = MoneyField("amount_paid")
    amount_credited = MoneyField("amount_credited")
    amount_due = MoneyField("amount_due")


class PortalInvoiceDetailSerializer(PortalInvoiceSerializer):
    """An invoice with its lines."""

    lines = PortalInvoiceLineSerializer(many=True)


class PortalCreditNoteLineSerializer(serializers.Serializer):
    """A line of a credit note; amounts in the note's currency."""

    description = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    net_amount = MoneyField("net_amount", "credit_note.currency")
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3)
    tax_amount = MoneyField("tax_amount", "credit_note.currency")
    total = MoneyField("total", "credit_note.currency")


class PortalCreditNoteSerializer(serializers.Serializer):
    """A credit note: what it credits (``invoice``'s number) and why."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    invoice = serializers.CharField(source="invoice.number")
    issue_date = serializers.DateField()
    reason = serializers.CharField()
    subtotal = MoneyField("subtotal")
    tax_total = MoneyField("tax_total")
    total = MoneyField("total")


class PortalCreditNoteDetailSerializer(PortalCreditNoteSerializer):
    """A credit note with its lines."""

    lines = PortalCreditNoteLineSerializer(many=True)


class PortalAllocationSerializer(serializers.Serializer):
    """What part of a payment paid: an invoice (its number), or a refund (null)."""

    invoice = serializers.CharField(source="invoice.number", allow_null=True, default=None)
    amount = MoneyField("amount", "payment.currency")


class PortalPaymentSerializer(serializers.Serializer):
    """A payment received: when, how, how much, what it paid (no allocation:
    held as credit), and the day it was returned (null: it stands)."""

    id = serializers.IntegerField()
    received_on = serializers.DateField()
    method = serializers.CharField()
    reference = serializers.CharField()
    amount = MoneyField("amount")
    reversed_on = serializers.DateField(allow_null=True)
    allocations = PortalAllocationSerializer(many=True, source="allocations.all")
