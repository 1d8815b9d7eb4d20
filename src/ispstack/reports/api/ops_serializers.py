"""Output shapes of the operational and helpdesk reports API: data in bytes
(integers), amounts as decimal strings in the report's ``currency``, rates
in percent, times in business hours."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.reports.api.serializers import money, rate


def hours() -> serializers.DecimalField:
    """Business hours, two decimals; null without tickets."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Business hours."
    )


class UsageMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    cap_bytes = serializers.IntegerField(
        allow_null=True, help_text="Bytes per billing cycle; null: unlimited."
    )
    subscriptions = serializers.IntegerField(help_text="Subscriptions with usage on the plan.")
    download_bytes = serializers.IntegerField()
    upload_bytes = serializers.IntegerField()
    total_bytes = serializers.IntegerField()
    average_bytes = serializers.IntegerField(help_text="Per subscription with usage.")
    p95_bytes = serializers.IntegerField(help_text="95th percentile, nearest rank.")
    reached_80 = serializers.IntegerField(allow_null=True)
    reached_100 = serializers.IntegerField(allow_null=True)
    reached_80_percent = rate("Share of the subscriptions at 80 % of the cap or more.")
    reached_100_percent = rate("Share of the subscriptions at the cap or over.")


class UsageReportSerializer(serializers.Serializer):
    rows = UsageMonthSerializer(many=True)


class TopUserSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    subscription_id = serializers.IntegerField()
    username = serializers.CharField()
    customer_id = serializers.IntegerField()
    account_number = serializers.CharField()
    customer = serializers.CharField()
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    cap_bytes = serializers.IntegerField(allow_null=True)
    download_bytes = serializers.IntegerField()
    upload_bytes = serializers.IntegerField()
    total_bytes = serializers.IntegerField()
    cap_percent = rate("The range's bytes against one cycle's cap.")


class TopUsersReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    rows = TopUserSerializer(many=True)


class SiteBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text="0-30, 31-60, 61-90 or 90+.")
    amount = money()


class SiteOverdueSerializer(serializers.Serializer):
    site_id = serializers.IntegerField(allow_null=True, help_text="Null: no site.")
    site = serializers.CharField()
    sector_id = serializers.IntegerField(allow_null=True, help_text="Grouped by sector only.")
    sector = serializers.CharField()
    customers = serializers.IntegerField()
    invoices = serializers.IntegerField()
    buckets = SiteBucketSerializer(many=True)
    total = money()


class OverdueBySiteReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    as_of = serializers.DateField()
    rows = SiteOverdueSerializer(many=True)


class ResolutionMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    group = serializers.CharField(help_text="The priority's or the team's name.")
    resolved = serializers.IntegerField()
    median_hours = hours()
    p90_hours = hours()


class ResolutionReportSerializer(serializers.Serializer):
    by = serializers.CharField()
    rows = ResolutionMonthSerializer(many=True)


class SlaMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    group = serializers.CharField()
    resolved = serializers.IntegerField()
    first_response_measured = serializers.IntegerField()
    first_response_met = serializers.IntegerField()
    first_response_percent = rate()
    resolution_measured = serializers.IntegerField()
    resolution_met = serializers.IntegerField()
    resolution_percent = rate()


class SlaReportSerializer(serializers.Serializer):
    by = serializers.CharField()
    rows = SlaMonthSerializer(many=True)
