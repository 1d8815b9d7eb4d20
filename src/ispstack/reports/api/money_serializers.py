"""Output shapes of the money reports' API (``reports.money``); amounts are
decimal strings in the report's ``currency`` (the tenant's), rates in percent."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.reports.api.serializers import money, rate


class PaymentOutcomeMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    method = serializers.CharField(help_text="card, direct_debit or bank_transfer.")
    succeeded = serializers.IntegerField(help_text="Attempts that became a payment in the month.")
    succeeded_amount = money()
    failed = serializers.IntegerField(
        help_text="Cards refused or abandoned, collections returned, transfers rejected."
    )
    failed_amount = money()
    pending = serializers.IntegerField(help_text="Attempts still open on the month's last day.")
    pending_amount = money()
    success_rate = rate("succeeded / (succeeded + failed), percent; null without outcomes.")


class PaymentSuccessReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = PaymentOutcomeMonthSerializer(many=True)


class DunningStepMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    campaign_id = serializers.IntegerField()
    campaign = serializers.CharField()
    position = serializers.IntegerField(help_text="The step's position; 0: before the first step.")
    action = serializers.CharField(help_text="The step's action; empty for position 0.")
    reached = serializers.IntegerField()
    recovered = serializers.IntegerField(help_text="Paid in full before the next step.")
    recovered_amount = money()
    suspended = serializers.IntegerField()
    reconnected = serializers.IntegerField()


class DunningReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = DunningStepMonthSerializer(many=True)


class RevenueMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    line_type = serializers.CharField(
        help_text="recurring, addon, proration, discount, one_time, top_up or usage."
    )
    service = serializers.CharField(help_text="Connection type; empty when unknown.")
    invoiced = money()
    credited = money()
    net = money()


class RevenueReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = RevenueMonthSerializer(many=True)


class MethodMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    method = serializers.CharField()
    payments = serializers.IntegerField()
    amount = money()


class PaymentMethodsReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = MethodMonthSerializer(many=True)


class CreditMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    kind = serializers.CharField(help_text="credit_note or refund.")
    reason = serializers.CharField(help_text="As written; empty when none was given.")
    count = serializers.IntegerField()
    net = money()
    total = money()


class CreditsReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = CreditMonthSerializer(many=True)
