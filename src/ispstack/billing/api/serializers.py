"""Serializers of the billing API: invoices, credit notes, charges, plan
changes and billing runs.

Output shapes and the inputs of actions; writes are validated by services.
"""

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


class ChangePlanSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    when = serializers.ChoiceField(choices=["now", "next_cycle", "date"], default="now")
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


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
