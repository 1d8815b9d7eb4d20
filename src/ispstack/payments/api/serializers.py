"""Serializers of the payments API: payments, refunds, statements, payment
methods, bank transfers and statements, SEPA direct debit.

Output shapes, and the input of every write (types, lengths and ranges from
the columns the values land in).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from rest_framework import serializers

from ispstack.core.api.fields import (
    AmountField,
    BoundedDateField,
    Input,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import EARLIEST_DATE, LATEST_DATE, TEXT_MAX_LENGTH
from ispstack.customers.models import Customer
from ispstack.payments import direct_debit
from ispstack.payments.methods import IBAN_INPUT_LENGTH
from ispstack.payments.models import (
    Allocation,
    BankStatement,
    BankTransfer,
    CustomerPaymentMethod,
    DirectDebitBatch,
    Payment,
    Refund,
    StatementLine,
)


def _length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of the column ``name`` of ``model``."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a max_length")
    return field.max_length


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


class PaymentInputSerializer(InputSerializer):
    """Input of ``POST payments/``: the customer by id or by account number."""

    account_number = StrictCharField(
        required=False,
        max_length=_length(Customer, "account_number"),
        help_text="The customer's account number, instead of its id.",
    )
    amount = AmountField(help_text="In the customer's currency.")

    class Meta:
        model = Payment
        fields = ["customer", "account_number", "amount", "received_on", "method", "reference"]
        extra_kwargs = {
            "customer": {
                "required": False,
                "help_text": "The customer's id, or give its account_number.",
            },
            "received_on": {"required": False, "help_text": "Default: the tenant's today."},
            "method": {"required": False, "help_text": "Default: bank_transfer."},
        }


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


class RefundInputSerializer(InputSerializer):
    """Input of ``POST refunds/``: credit paid back to a customer."""

    amount = AmountField(help_text="At most the customer's credit.")

    class Meta:
        model = Refund
        fields = ["customer", "amount", "refunded_on", "method", "reference", "reason"]
        extra_kwargs = {
            "refunded_on": {"required": False, "help_text": "Default: the tenant's today."},
            "method": {"required": False, "help_text": "Default: bank_transfer."},
        }


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


class PaymentMethodInputSerializer(Input):
    """Input of ``POST payment-methods/``: a card (the gateway's token alone, or
    with brand, last4 and expiry) or a bank account (IBAN, holder, mandate)."""

    customer = TenantPrimaryKeyRelatedField(queryset=Customer.objects.all())
    kind = serializers.ChoiceField(choices=CustomerPaymentMethod.Kind.choices)
    primary = StrictBooleanField(default=False)
    token = StrictCharField(
        required=False,
        max_length=_length(CustomerPaymentMethod, "card_token"),
        help_text="The gateway's card token (tok_...); never the card number.",
    )
    brand = StrictCharField(required=False, max_length=_length(CustomerPaymentMethod, "card_brand"))
    last4 = StrictCharField(required=False, max_length=_length(CustomerPaymentMethod, "card_last4"))
    exp_month = StrictIntegerField(required=False, min_value=1, max_value=12)
    exp_year = StrictIntegerField(
        required=False, min_value=EARLIEST_DATE.year, max_value=LATEST_DATE.year
    )
    iban = StrictCharField(
        required=False,
        max_length=IBAN_INPUT_LENGTH,
        help_text="ISO 13616 IBAN, compact or in groups of four.",
    )
    holder_name = StrictCharField(
        required=False, max_length=_length(CustomerPaymentMethod, "holder_name")
    )
    mandate_reference = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=_length(CustomerPaymentMethod, "mandate_reference"),
        help_text="SEPA mandate id (MndtId).",
    )
    mandate_signed_on = BoundedDateField(required=False, allow_null=True)


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


class BankTransferInputSerializer(InputSerializer):
    """Input of ``POST bank-transfers/`` (multipart): the transfer and its proof."""

    amount = AmountField(help_text="In the customer's currency.")

    class Meta:
        model = BankTransfer
        fields = ["customer", "amount", "transferred_on", "reference", "proof"]
        extra_kwargs = {"proof": {"help_text": "PDF, PNG or JPEG, at most 10 MB."}}


class RejectionInputSerializer(Input):
    """Input of ``POST bank-transfers/{id}/reject/``: why, as the customer will read it."""

    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


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


class BankStatementInputSerializer(Input):
    """Input of ``POST bank-statements/`` (multipart): the statement file."""

    file = serializers.FileField(help_text="camt.053 XML, MT940 or OFX, at most 20 MB.")
    format = serializers.ChoiceField(
        choices=BankStatement.Format.choices,
        required=False,
        help_text="Default: recognised from the file.",
    )

    def validate_file(self, upload: Any) -> Any:
        # Checked before the file is read into memory.
        if upload.size > settings.STATEMENT_MAX_FILE_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {settings.STATEMENT_MAX_FILE_BYTES} bytes."
            )
        return upload


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
            "note",
        ]


class MatchInputSerializer(Input):
    """Input of ``POST statement-lines/{id}/match/``: the customer the credit is for."""

    customer = TenantPrimaryKeyRelatedField(queryset=Customer.objects.all())


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


class DirectDebitBatchInputSerializer(InputSerializer):
    """Input of ``POST direct-debit-batches/``: the collection date (ReqdColltnDt)."""

    class Meta:
        model = DirectDebitBatch
        fields = ["collection_date"]


class ReturnsInputSerializer(Input):
    """Input of ``POST direct-debit-batches/returns/`` (multipart): the bank's file."""

    file = serializers.FileField(help_text="pain.002 or camt.054, at most 20 MB.")

    def validate_file(self, upload: Any) -> Any:
        # Checked before the file is read into memory.
        if upload.size > direct_debit.MAX_FILE_BYTES:
            raise serializers.ValidationError("The file is larger than 20 MB.")
        return upload


class CardRefundInputSerializer(Input):
    """Input of ``POST payments/{id}/refund-to-card/``."""

    amount = AmountField(help_text="At most the payment and the customer's credit.")
