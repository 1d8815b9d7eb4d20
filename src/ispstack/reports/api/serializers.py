"""Output shapes of the reports API; amounts are decimal strings in the
report's ``currency`` (the tenant's), rates in percent."""

from __future__ import annotations

from rest_framework import serializers

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 2, "allow_null": True}


class MrrMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    as_of = serializers.DateField(help_text="Day the closing MRR was measured.")
    opening = serializers.DecimalField(**MONEY)
    new = serializers.DecimalField(**MONEY)
    expansion = serializers.DecimalField(**MONEY)
    contraction = serializers.DecimalField(**MONEY)
    churn = serializers.DecimalField(**MONEY)
    reactivation = serializers.DecimalField(**MONEY)
    closing = serializers.DecimalField(**MONEY)
    arr = serializers.DecimalField(**MONEY)
    arpu = serializers.DecimalField(**MONEY, allow_null=True)
    customers_opening = serializers.IntegerField()
    customers_closing = serializers.IntegerField()
    new_customers = serializers.IntegerField()
    reactivated_customers = serializers.IntegerField()
    churned_customers = serializers.IntegerField()
    logo_churn_rate = serializers.DecimalField(**RATE)
    revenue_churn_rate = serializers.DecimalField(**RATE)
    net_revenue_churn_rate = serializers.DecimalField(**RATE)


class SummarySerializer(serializers.Serializer):
    logo_churn_rate = serializers.DecimalField(**RATE, help_text="Monthly average, percent.")
    arpu = serializers.DecimalField(**MONEY, allow_null=True)
    gross_margin_percent = serializers.DecimalField(**RATE)
    cltv = serializers.DecimalField(**MONEY, allow_null=True)
    marketing_spend = serializers.DecimalField(**MONEY)
    new_customers = serializers.IntegerField()
    cac = serializers.DecimalField(**MONEY, allow_null=True)


class MrrReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    months = MrrMonthSerializer(many=True)
    summary = SummarySerializer()


class PlanMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    subscriptions = serializers.IntegerField()
    mrr = serializers.DecimalField(**MONEY)


class PlanReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = PlanMonthSerializer(many=True)


class AgingBucketSerializer(serializers.Serializer):
    label = serializers.CharField()
    first = serializers.IntegerField(help_text="First day past due.")
    last = serializers.IntegerField(allow_null=True, help_text="Last day past due; null: open.")
    invoices = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class AgingReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    as_of = serializers.DateField()
    buckets = AgingBucketSerializer(many=True)
