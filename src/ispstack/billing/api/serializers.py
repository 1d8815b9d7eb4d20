"""Serializers of the billing API: invoices, credit notes, charges, plan
changes and billing runs.

Output shapes, and the input of each write (types, lengths and ranges from
the columns the values land in); the services check their input again.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ispstack.billing.credit_notes import MAX_CREDIT_LINES
from ispstack.billing.models import (
    BillingRun,
    BillingRunFailure,
    Charge,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
)
from ispstack.catalog.models import Plan
from ispstack.core.api.fields import (
    AmountField,
    BoundedDateField,
    Input,
    InputSerializer,
    StrictCharField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH


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
            "voided_on",
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


class CreditLineInputSerializer(Input):
    """One line of a partial credit note: which invoice line, and how much of its net."""

    line = TenantPrimaryKeyRelatedField(
        queryset=InvoiceLine.objects.all(), help_text="Id of a line of this invoice."
    )
    amount = AmountField(help_text="Net amount to credit (the tax follows at the line's rate).")


class CreditNoteInputSerializer(InputSerializer):
    """Input of ``POST invoices/{id}/credit-notes/``: no ``lines`` credits all that is left."""

    lines: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=CreditLineInputSerializer(),
        required=False,
        allow_empty=False,
        max_length=MAX_CREDIT_LINES,
        help_text="The lines to credit; without it, all that is left of every line.",
    )

    class Meta:
        model = CreditNote
        fields = ["reason", "lines", "issue_date"]
        extra_kwargs = {
            "issue_date": {"required": False, "help_text": "Default: the tenant's today."},
        }


class ChangePlanInputSerializer(Input):
    """Input of ``POST subscriptions/{id}/change-plan/``."""

    plan = TenantPrimaryKeyRelatedField(queryset=Plan.objects.all())
    when = serializers.ChoiceField(
        choices=["now", "next_cycle", "date"],
        default="now",
        help_text="now: prorated from ``on`` or today; next_cycle; date: on ``on``.",
    )
    on = BoundedDateField(required=False, allow_null=True, default=None)
    reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )


class ChargeInputSerializer(InputSerializer):
    """Input of ``POST subscriptions/{id}/charges/``."""

    amount = AmountField(help_text="Net of tax, in the customer's currency.")

    class Meta:
        model = Charge
        fields = ["description", "amount", "charge_date"]
        extra_kwargs = {
            "charge_date": {
                "required": False,
                "allow_null": True,
                "default": None,
                "help_text": "The first billing run that may invoice it (default: today).",
            }
        }


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


class BillingRunInputSerializer(InputSerializer):
    """Input of ``POST billing-runs/``: the business date to bill."""

    class Meta:
        model = BillingRun
        fields = ["as_of"]
