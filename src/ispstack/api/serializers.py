"""Serializers of API v1. Output shapes only; writes are validated by services."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.billing.models import (
    BillingRun,
    BillingRunFailure,
    Charge,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
)
from ispstack.catalog.models import AddOn, Bundle, Plan, Promotion, TaxRate
from ispstack.collections.models import DunningCampaign, DunningExecution, DunningStep
from ispstack.customers.models import Customer
from ispstack.payments.models import (
    Allocation,
    BankStatement,
    BankTransfer,
    CustomerPaymentMethod,
    DirectDebitBatch,
    Payment,
    PaymentMethod,
    Refund,
    StatementLine,
)
from ispstack.radius.models import Nas
from ispstack.subscriptions.models import (
    PlanChange,
    Subscription,
    SubscriptionAddOn,
    SubscriptionPromotion,
    SuspensionCause,
)
from ispstack.usage.models import TopUp


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        exclude = ["tenant"]
        read_only_fields = ["account_number", "created_at", "updated_at"]


class TaxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxRate
        fields = ["id", "name", "rate"]


class PlanSerializer(serializers.ModelSerializer):
    tax_rate = serializers.PrimaryKeyRelatedField(queryset=TaxRate.objects.all())

    class Meta:
        model = Plan
        exclude = ["tenant"]
        read_only_fields = ["created_at", "updated_at"]


class SubscriptionSerializer(serializers.ModelSerializer):
    ip_address = serializers.CharField(source="ip_address.address", read_only=True, default=None)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())

    class Meta:
        model = Subscription
        fields = [
            "id",
            "customer",
            "plan",
            "username",
            "password",
            "pool",
            "ip_address",
            "billing_day",
            "start_date",
            "nas",
            "framed_ipv6_prefix",
            "delegated_ipv6_prefix",
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "pool": {"required": False},
            "billing_day": {"required": False},
            "start_date": {"required": False},
        }


class TransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class SuspendSerializer(TransitionSerializer):
    cause = serializers.ChoiceField(
        choices=SuspensionCause.choices, default=SuspensionCause.ADMINISTRATIVE
    )


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "kind",
            "description",
            "subscription",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "net_amount",
            "tax_rate",
            "tax_amount",
            "total",
        ]


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "status",
            "currency",
            "issue_date",
            "due_date",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "amount_credited",
            "amount_due",
            "paid_on",
            "lines",
            "created_at",
        ]


class AllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = Allocation
        fields = ["invoice", "invoice_number", "amount"]


class PaymentSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    account_number = serializers.CharField(source="customer.account_number", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "account_number",
            "amount",
            "currency",
            "received_on",
            "method",
            "reference",
            "unallocated",
            "allocations",
            "created_at",
        ]


class PaymentCreateSerializer(serializers.Serializer):
    """Input of POST /payments/: the customer by id or by account number."""

    customer = serializers.IntegerField(required=False)
    account_number = serializers.CharField(required=False)
    amount = serializers.CharField(help_text="Decimal string in the customer's currency.")
    received_on = serializers.DateField(required=False)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = serializers.CharField(required=False, allow_blank=True, default="")


class CreditNoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = ["invoice_line", "description", "net_amount", "tax_rate", "tax_amount", "total"]


class CreditNoteSerializer(serializers.ModelSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "customer",
            "invoice",
            "invoice_number",
            "issue_date",
            "reason",
            "currency",
            "subtotal",
            "tax_total",
            "total",
            "unallocated",
            "lines",
            "created_at",
        ]


class CreditLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Invoice line id")
    amount = serializers.CharField(help_text="Net amount to credit, decimal string")


class CreditNoteCreateSerializer(serializers.Serializer):
    """Input of POST /invoices/{id}/credit-notes/: no ``lines`` credits everything left."""

    reason = serializers.CharField()
    lines = CreditLineInputSerializer(many=True, required=False)
    issue_date = serializers.DateField(required=False)


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = [
            "id",
            "customer",
            "amount",
            "currency",
            "refunded_on",
            "method",
            "reference",
            "reason",
            "created_at",
        ]


class RefundCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    amount = serializers.CharField()
    refunded_on = serializers.DateField(required=False)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StatementEntrySerializer(serializers.Serializer):
    day = serializers.DateField()
    kind = serializers.CharField()
    reference = serializers.CharField()
    description = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=4)
    balance = serializers.DecimalField(max_digits=14, decimal_places=4)


class StatementSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    opening_balance = serializers.DecimalField(max_digits=14, decimal_places=4)
    closing_balance = serializers.DecimalField(max_digits=14, decimal_places=4)
    entries = StatementEntrySerializer(many=True)


class ChangePlanSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    when = serializers.ChoiceField(choices=["now", "next_cycle", "date"], default="now")
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BillingDaySerializer(serializers.Serializer):
    billing_day = serializers.IntegerField()


class ChargeCreateSerializer(serializers.Serializer):
    description = serializers.CharField()
    amount = serializers.CharField(help_text="Net of tax, decimal string")
    charge_date = serializers.DateField(required=False, allow_null=True, default=None)


class ChargeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Charge
        fields = [
            "id",
            "subscription",
            "kind",
            "description",
            "amount",
            "tax_rate",
            "charge_date",
            "period_start",
            "period_end",
            "invoice",
            "created_at",
        ]


class PlanChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanChange
        fields = [
            "id",
            "subscription",
            "from_plan",
            "to_plan",
            "effective_date",
            "status",
            "reason",
            "created_at",
        ]


class AddOnSerializer(serializers.ModelSerializer):
    class Meta:
        model = AddOn
        fields = [
            "id",
            "code",
            "name",
            "monthly_price",
            "currency",
            "tax_rate",
            "cycle_months",
            "is_active",
        ]


class PromotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Promotion
        fields = ["id", "code", "name", "kind", "value", "cycles", "is_active"]


class BundleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bundle
        fields = [
            "id",
            "code",
            "name",
            "plans",
            "addons",
            "discount_kind",
            "discount_value",
            "requires_all_products",
            "is_active",
        ]


class AttachAddOnSerializer(serializers.Serializer):
    addon = serializers.IntegerField()
    quantity = serializers.IntegerField(default=1)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)


class SubscriptionAddOnSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionAddOn
        fields = ["id", "subscription", "addon", "quantity", "start_date", "end_date"]


class GrantPromotionSerializer(serializers.Serializer):
    promotion = serializers.IntegerField()
    start_date = serializers.DateField(required=False, allow_null=True, default=None)


class SubscriptionPromotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionPromotion
        fields = ["id", "subscription", "promotion", "start_date", "cycles_used"]


class BillingRunFailureSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingRunFailure
        fields = ["subscription", "username", "error"]


class BillingRunSerializer(serializers.ModelSerializer):
    failures = BillingRunFailureSerializer(many=True, read_only=True)

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "as_of",
            "status",
            "subscriptions_seen",
            "invoices_created",
            "totals",
            "chunks_total",
            "chunks_done",
            "failures",
            "created_at",
            "finished_at",
        ]


class BillingRunCreateSerializer(serializers.Serializer):
    as_of = serializers.DateField()


class PaymentMethodSerializer(serializers.ModelSerializer):
    display = serializers.CharField(read_only=True)

    class Meta:
        model = CustomerPaymentMethod
        fields = [
            "id",
            "customer",
            "kind",
            "display",
            "is_primary",
            "card_brand",
            "card_last4",
            "card_exp_month",
            "card_exp_year",
            "bic",
            "holder_name",
            "mandate_reference",
            "mandate_signed_on",
            "created_at",
        ]


class PaymentMethodCreateSerializer(serializers.Serializer):
    """A card (gateway token, brand, last4, expiry) or a bank account (IBAN, holder, mandate)."""

    customer = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CustomerPaymentMethod.Kind.choices)
    primary = serializers.BooleanField(default=False)
    token = serializers.CharField(required=False)
    brand = serializers.CharField(required=False)
    last4 = serializers.CharField(required=False)
    exp_month = serializers.IntegerField(required=False)
    exp_year = serializers.IntegerField(required=False)
    iban = serializers.CharField(required=False)
    holder_name = serializers.CharField(required=False)
    mandate_reference = serializers.CharField(required=False, allow_blank=True)
    mandate_signed_on = serializers.DateField(required=False, allow_null=True)


class BankTransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankTransfer
        fields = [
            "id",
            "customer",
            "amount",
            "currency",
            "transferred_on",
            "reference",
            "proof",
            "status",
            "rejection_reason",
            "reviewed_at",
            "payment",
            "created_at",
        ]
        read_only_fields = fields


class BankTransferCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    amount = serializers.CharField()
    transferred_on = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    proof = serializers.FileField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = [
            "id",
            "format",
            "filename",
            "account_iban",
            "lines_total",
            "lines_matched",
            "lines_unmatched",
            "created_at",
        ]


class BankStatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=BankStatement.Format.choices, required=False)


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementLine
        fields = [
            "id",
            "statement",
            "bank_reference",
            "booked_on",
            "amount",
            "currency",
            "counterparty_name",
            "counterparty_iban",
            "remittance",
            "status",
            "match_rule",
            "customer",
            "payment",
        ]


class MatchSerializer(serializers.Serializer):
    customer = serializers.IntegerField()


class DirectDebitBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = DirectDebitBatch
        fields = [
            "id",
            "collection_date",
            "message_id",
            "status",
            "currency",
            "total",
            "count",
            "created_at",
        ]


class DirectDebitBatchCreateSerializer(serializers.Serializer):
    collection_date = serializers.DateField()


class ReturnsUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class DunningStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningStep
        fields = ["position", "delay_days", "action", "config"]


class DunningCampaignSerializer(serializers.ModelSerializer):
    steps = DunningStepSerializer(many=True, read_only=True)

    class Meta:
        model = DunningCampaign
        fields = [
            "id",
            "name",
            "trigger_after_days",
            "minimum_amount",
            "exclude_tags",
            "priority",
            "is_active",
            "steps",
        ]


class DunningStepInputSerializer(serializers.Serializer):
    delay_days = serializers.IntegerField(min_value=0, default=0)
    action = serializers.CharField()
    config = serializers.DictField(required=False, default=dict)


class DunningCampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField()
    trigger_after_days = serializers.IntegerField(min_value=0, default=1)
    minimum_amount = serializers.CharField(default="0")
    exclude_tags = serializers.ListField(child=serializers.CharField(), default=list)
    priority = serializers.IntegerField(default=0)
    steps = DunningStepInputSerializer(many=True)


class DunningExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningExecution
        fields = [
            "id",
            "campaign",
            "customer",
            "status",
            "next_position",
            "started_on",
            "next_action_on",
            "finished_on",
            "outstanding_amount",
            "recovered_amount",
            "promise_to_pay_until",
            "canceled_reason",
        ]


class PromiseSerializer(serializers.Serializer):
    until = serializers.DateField()


class RefundAmountSerializer(serializers.Serializer):
    amount = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    """An accounting session (radacct); octets include gigawords."""

    acctsessionid = serializers.CharField()
    nasipaddress = serializers.CharField()
    framedipaddress = serializers.CharField(allow_null=True)
    acctstarttime = serializers.DateTimeField(allow_null=True)
    acctupdatetime = serializers.DateTimeField(allow_null=True)
    acctstoptime = serializers.DateTimeField(allow_null=True)
    acctinputoctets = serializers.IntegerField(allow_null=True)
    acctoutputoctets = serializers.IntegerField(allow_null=True)
    acctterminatecause = serializers.CharField(allow_null=True)


class AuthAttemptSerializer(serializers.Serializer):
    authdate = serializers.DateTimeField()
    reply = serializers.CharField(allow_null=True)
    callingstationid = serializers.CharField(allow_null=True)


class TopUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopUp
        fields = ["id", "subscription", "cycle_start", "extra_bytes", "created_at"]


class TopUpCreateSerializer(serializers.Serializer):
    gigabytes = serializers.CharField()
    price = serializers.CharField(required=False, allow_blank=True, default="")


class NasSerializer(serializers.ModelSerializer):
    """A NAS; the shared secret can be written, never read."""

    secret = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Nas
        fields = ["id", "nasname", "shortname", "type", "secret", "coa_port", "description"]


class AccessSerializer(serializers.Serializer):
    """Input of ``subscriptions/{id}/access/``: a NAS, IPv6 prefixes, or prefix
    pools to allocate them from."""

    nas = serializers.IntegerField(required=False, allow_null=True)
    framed_ipv6_prefix = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    delegated_ipv6_prefix = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    framed_ipv6_pool = serializers.IntegerField(required=False, allow_null=True)
    delegated_ipv6_pool = serializers.IntegerField(required=False, allow_null=True)


class RadiusReplySerializer(serializers.Serializer):
    """The reply attributes FreeRADIUS builds for a subscriber, ``{attribute: [values]}``."""

    attributes = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class DailyUsageSerializer(serializers.Serializer):
    """One day of a subscription's usage (tenant-local date), in bytes."""

    day = serializers.DateField()
    input_octets = serializers.IntegerField(help_text="Sent by the subscriber (upload).")
    output_octets = serializers.IntegerField(help_text="Received by the subscriber (download).")
    total_octets = serializers.IntegerField()


class CapStatusSerializer(serializers.Serializer):
    """The current billing cycle against the data cap."""

    cycle_start = serializers.DateField()
    cycle_end = serializers.DateField()
    used_bytes = serializers.IntegerField()
    allowance_bytes = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    cap_policy = serializers.CharField()
    restriction = serializers.CharField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    """``subscriptions/{id}/usage/``: the cycle's standing and the daily rows."""

    cycle = CapStatusSerializer()
    days = DailyUsageSerializer(many=True)
