"""What the portal API answers: explicit fields only, money as
``{"amount": "12.50", "currency": "EUR"}`` (a decimal string in currency
units, rounded to the currency's minor unit), dates as ISO 8601 dates and
moments as UTC datetimes, bytes as whole numbers."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.notifications.models import NotificationKind
from ispstack.portal.models import PlanChangeTiming, PortalToken
from ispstack.portal.selectors import CAP_MARKS
from ispstack.tickets.choices import CUSTOMER_TYPES

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


# Writes: what the portal's pages let a customer do, as JSON (and multipart
# where a file goes with it). Inputs refuse unknown keys, naming them.

# The largest id a PostgreSQL bigint holds: a larger one names no row.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> StrictIntegerField:
    """An id in a body: a whole number a bigint can hold."""
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class PortalPaymentMethodSerializer(serializers.Serializer):
    """A saved payment method, masked as the page shows it: never more than
    its last four digits; the expiry of a card (null for a bank account)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    display = serializers.CharField(help_text="e.g. Visa ***4242 or Bank ***1234.")
    last4 = serializers.SerializerMethodField()
    is_primary = serializers.BooleanField()
    expiry_month = serializers.IntegerField(source="card_exp_month", allow_null=True)
    expiry_year = serializers.IntegerField(source="card_exp_year", allow_null=True)

    def get_last4(self, method: Any) -> str:
        return str(method.card_last4 if method.kind == "card" else method.iban[-4:])


class PortalNewCardSerializer(Input):
    """A card to save: the card gateway's token of it (``tok_...``, made in
    the customer's browser or app by Stripe.js), never a card number."""

    token = StrictCharField(max_length=200)


class PortalPayInputSerializer(Input):
    """Pay an invoice with a saved card (``method``, an id of
    ``payment-methods/``) or a new card (``token``, saved first), not both.
    ``return_url`` (https) is where the bank sends the customer back after
    3-D Secure when it redirects; without it the portal's own page is used."""

    method = id_field(required=False)
    token = StrictCharField(max_length=200, required=False)
    return_url = StrictCharField(
        max_length=500,
        required=False,
        validators=[URLValidator(schemes=["https"], message="Enter an https URL.")],
    )


class PortalConfirmInputSerializer(Input):
    """The PaymentIntent id (``pi_...``) of the payment waiting for the bank."""

    payment_intent = StrictCharField(max_length=100)


class PortalNextActionSerializer(serializers.Serializer):
    """What the bank asks for before the money moves (3-D Secure): confirm
    with Stripe.js (``stripe.handleNextAction({clientSecret})``) or, when
    ``redirect_url`` is set, send the customer there; then POST
    ``pay/confirm/`` with the ``payment_intent``."""

    type = serializers.CharField(help_text="``use_stripe_sdk`` or ``redirect_to_url``.")
    client_secret = serializers.CharField()
    redirect_url = serializers.CharField(allow_blank=True)


class PortalCardPaymentSerializer(serializers.Serializer):
    """A card payment of an invoice: ``succeeded`` (``payment`` is the
    recorded payment's id) or ``requires_action`` (``next_action`` says what
    the bank wants); the invoice as it stands after it, the account's
    balance (positive when owed) and how many services the payment
    reconnected."""

    payment_intent = serializers.CharField(source="attempt.intent_id")
    status = serializers.ChoiceField(
        choices=["succeeded", "requires_action"], source="attempt.status"
    )
    amount = MoneyField("attempt.amount", "attempt.currency")
    payment = serializers.IntegerField(source="attempt.payment_id", allow_null=True)
    invoice = PortalInvoiceSerializer()
    balance = MoneyField("balance", "invoice.currency")
    reconnected = serializers.IntegerField()
    next_action = PortalNextActionSerializer(allow_null=True)


class PortalTransferSerializer(serializers.Serializer):
    """A bank transfer the customer reported: ``in_review`` until a clerk
    approves it (``payment`` is then the recorded payment's id) or rejects
    it (with ``rejection_reason``)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    amount = MoneyField("amount")
    transferred_on = serializers.DateField()
    reference = serializers.CharField()
    rejection_reason = serializers.CharField()
    reported_at = serializers.DateTimeField(source="created_at")
    payment = serializers.IntegerField(source="payment_id", allow_null=True)


class PortalTransferInputSerializer(Input):
    """A transfer to report, as the page's form (multipart): ``amount`` in
    the account's currency units, ``transferred_on`` (YYYY-MM-DD, not in the
    future), the ``reference`` given to the bank and the ``proof`` (PDF, PNG
    or JPEG, at most 10 MB, its content what its name says)."""

    amount = StrictCharField(max_length=40)
    transferred_on = StrictCharField(max_length=40)
    reference = StrictCharField(max_length=140, required=False, allow_blank=True, default="")
    proof = serializers.FileField()


# Plan changes.


class PortalPlanChoiceSerializer(serializers.Serializer):
    """A plan the service may move to, with its monthly price difference
    (net; positive: it costs more) and whether that makes it an upgrade."""

    plan = PortalPlanSerializer()
    monthly_difference = MoneyField("difference")
    is_upgrade = serializers.BooleanField()


class PortalTimingSerializer(serializers.Serializer):
    """When a change may start: ``next_cycle`` (the next billing period's
    first day) or ``now`` (where the ISP allows it), with that date."""

    timing = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, popped by the metaclass
    effective_date = serializers.DateField()


class PortalPlanChangeRequestSerializer(serializers.Serializer):
    """A plan change request: ``submitted`` (waiting for the ISP), then
    ``approved``, ``applied``, ``rejected`` (with ``reason``) or
    ``cancelled``. ``monthly_difference`` is net, positive when dearer."""

    id = serializers.IntegerField()
    subscription = serializers.IntegerField(source="subscription_id")
    from_plan = serializers.CharField(source="from_plan.name")
    to_plan = PortalPlanSerializer()
    timing = serializers.CharField()
    effective_date = serializers.DateField()
    monthly_difference = MoneyField("monthly_difference")
    state = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    applied_at = serializers.DateTimeField(allow_null=True)


class PortalPlanOptionsSerializer(serializers.Serializer):
    """What the change-plan form shows for a service: its plan, the plans it
    may move to (cheapest first), the timings with their dates, the open
    request if any (a service holds one at a time) and whether it may change
    at all (a terminated service may not)."""

    subscription = serializers.IntegerField(source="sub.pk")
    current_plan = PortalPlanSerializer(source="sub.plan")
    can_change = serializers.BooleanField()
    plans = PortalPlanChoiceSerializer(many=True)
    timings = PortalTimingSerializer(many=True)
    open_request = PortalPlanChangeRequestSerializer(allow_null=True)


class PortalPlanChangeInputSerializer(Input):
    """A request to move ``subscription`` (one of the customer's services) to
    ``plan`` (an id of its ``plan-options``) at ``timing``."""

    subscription = id_field()
    plan = id_field()
    timing = serializers.ChoiceField(
        choices=PlanChangeTiming.choices, required=False, default=PlanChangeTiming.NEXT_CYCLE
    )


# Tickets.


class PortalAttachmentSerializer(serializers.Serializer):
    """A file sent with a ticket or a reply: its name, type and size in bytes."""

    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class PortalTicketSerializer(serializers.Serializer):
    """One of the customer's tickets as the list shows it; ``last_update``
    counts the ticket's changes and public replies (UTC)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    ticket_type = serializers.CharField()
    state = serializers.CharField()
    subscription = serializers.IntegerField(source="subscription_id", allow_null=True)
    created_at = serializers.DateTimeField()
    last_update = serializers.DateTimeField(required=False)


class PortalTicketMessageSerializer(serializers.Serializer):
    """A public reply on a ticket (internal notes are never shown): who wrote
    it (``support`` or ``customer``), when (UTC), the text, its files."""

    id = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    body = serializers.CharField()
    files = serializers.SerializerMethodField()

    def get_author(self, message: Any) -> str:
        return "support" if message.author_id else "customer"

    @extend_schema_field(PortalAttachmentSerializer(many=True))
    def get_files(self, message: Any) -> Any:
        found = self.context.get("files", {}).get(message.pk, [])
        return PortalAttachmentSerializer(found, many=True).data


class PortalTicketDetailSerializer(serializers.Serializer):
    """A ticket with its description, the files sent with it, the public
    replies oldest first and the ticket it follows up (its number, or null)."""

    id = serializers.IntegerField(source="ticket.pk")
    number = serializers.CharField(source="ticket.number")
    subject = serializers.CharField(source="ticket.subject")
    ticket_type = serializers.CharField(source="ticket.ticket_type")
    state = serializers.CharField(source="ticket.state")
    subscription = serializers.IntegerField(source="ticket.subscription_id", allow_null=True)
    created_at = serializers.DateTimeField(source="ticket.created_at")
    description = serializers.CharField(source="ticket.description")
    follows = serializers.CharField(
        source="ticket.follow_up_of.number", allow_null=True, default=None
    )
    files = PortalAttachmentSerializer(many=True, source="opening_files")
    messages = serializers.SerializerMethodField()

    @extend_schema_field(PortalTicketMessageSerializer(many=True))
    def get_messages(self, detail: Any) -> Any:
        return PortalTicketMessageSerializer(
            detail.messages, many=True, context={"files": detail.files}
        ).data


class PortalNewTicketSerializer(Input):
    """A ticket to open, as the page's form: a ``ticket_type`` the portal
    offers, ``subject``, ``description``, optionally one of the customer's
    services (``subscription``) and one ``file`` (multipart)."""

    ticket_type = StrictCharField(
        max_length=30, help_text=f"One of {', '.join(t.value for t in CUSTOMER_TYPES)}."
    )
    subject = StrictCharField(max_length=200)
    description = StrictCharField(max_length=TEXT_MAX_LENGTH)
    subscription = id_field(required=False, allow_null=True)
    file = serializers.FileField(required=False)


class PortalReplyInputSerializer(Input):
    """A reply to one of the customer's tickets, with one ``file`` (multipart)."""

    body = StrictCharField(max_length=TEXT_MAX_LENGTH)
    file = serializers.FileField(required=False)


class PortalReplySerializer(PortalTicketMessageSerializer):
    """The reply written, and the ticket it went to: the same one, or a
    follow-up ticket when the ticket was closed too long ago to reopen."""

    ticket = PortalTicketSerializer()


# The profile.


class PortalProfileSerializer(serializers.Serializer):
    """The profile page: the login's ``name`` and sign-in ``login_email``
    (not changed here), the account's contact ``email`` (invoices and
    notices go there) and ``phone`` (E.164, for SMS notices), and the
    portal ``language`` (empty: the ISP's or the browser's)."""

    name = serializers.CharField(source="user.name")
    login_email = serializers.EmailField(source="user.email", read_only=True)
    email = serializers.CharField(source="customer.email")
    phone = serializers.CharField(source="customer.phone")
    language = serializers.CharField(source="user.language")


class PortalProfileInputSerializer(Input):
    """Fields to change; those left out keep their value."""

    name = StrictCharField(max_length=200, required=False, allow_blank=True)
    email = StrictCharField(max_length=254, required=False, allow_blank=True)
    phone = StrictCharField(max_length=40, required=False, allow_blank=True)
    language = StrictCharField(max_length=10, required=False, allow_blank=True)


class PortalPreferenceSerializer(Input):
    """Whether the customer gets notices of ``kind`` by email and by SMS."""

    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # as above
    email = StrictBooleanField(required=False)
    sms = StrictBooleanField(required=False)


class PortalPreferencesInputSerializer(Input):
    """The kinds to change; a channel left out, or a kind left out, keeps its
    choice."""

    preferences = PortalPreferenceSerializer(many=True, allow_empty=False)
