"""Serializers of the payments API: payments, refunds, statements, payment
methods, bank transfers and statements, SEPA direct debit.

Output shapes and the inputs of actions; writes are validated by services.
"""

from __future__ import annotations

from rest_framework import serializers

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


class RefundAmountSerializer(serializers.Serializer):
    amount = serializers.CharField()
