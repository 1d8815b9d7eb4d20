"""Serializers of API v1. Output shapes only; writes are validated by services."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.billing.models import Invoice, InvoiceLine
from ispstack.catalog.models import Plan, TaxRate
from ispstack.customers.models import Customer
from ispstack.payments.models import Allocation, Payment, PaymentMethod
from ispstack.subscriptions.models import Subscription, SuspensionCause


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
