"""Output shapes of the reports API; amounts are decimal strings in the
report's ``currency`` (the tenant's), rates in percent."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import (
    Input,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
)
from ispstack.reports.models import Frequency, RelativeRange, ReportDelivery, ReportSchedule


def money(*, allow_null: bool = False) -> serializers.DecimalField:
    """An amount in the report's currency, two decimals."""
    return serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=allow_null)


def rate(help_text: str = "Percent.") -> serializers.DecimalField:
    """A rate in percent, two decimals; null when it has no base (no customers)."""
    return serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True, help_text=help_text
    )


class MrrMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    as_of = serializers.DateField(help_text="Day the closing MRR was measured.")
    opening = money()
    new = money()
    expansion = money()
    contraction = money()
    churn = money()
    reactivation = money()
    closing = money()
    arr = money()
    arpu = money(allow_null=True)
    customers_opening = serializers.IntegerField()
    customers_closing = serializers.IntegerField()
    new_customers = serializers.IntegerField()
    reactivated_customers = serializers.IntegerField()
    churned_customers = serializers.IntegerField()
    logo_churn_rate = rate()
    revenue_churn_rate = rate()
    net_revenue_churn_rate = rate()


class SummarySerializer(serializers.Serializer):
    logo_churn_rate = rate("Monthly average, percent.")
    arpu = money(allow_null=True)
    gross_margin_percent = rate()
    cltv = money(allow_null=True)
    marketing_spend = money()
    new_customers = serializers.IntegerField()
    cac = money(allow_null=True)


class MrrReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    months = MrrMonthSerializer(many=True)
    summary = SummarySerializer()


class PlanMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    plan_id = serializers.IntegerField()
    plan = serializers.CharField()
    subscriptions = serializers.IntegerField()
    mrr = money()


class PlanReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = PlanMonthSerializer(many=True)


class AgingBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text="0-30, 31-60, 61-90 or 90+.")
    first = serializers.IntegerField(help_text="First day past due.")
    last = serializers.IntegerField(allow_null=True, help_text="Last day past due; null: open.")
    invoices = serializers.IntegerField()
    amount = money()


class AgingReportSerializer(serializers.Serializer):
    currency = serializers.CharField()
    as_of = serializers.DateField()
    buckets = AgingBucketSerializer(many=True)


class ReportScheduleSerializer(serializers.ModelSerializer):
    """A report schedule as shown; ``next_run_at`` and ``last_run_at`` are
    aware UTC, ``send_time`` the tenant's local time as ``HH:MM`` (a wall-clock
    time has no offset, so it is no RFC 3339 ``time``), ``last_status`` empty
    before the first run."""

    send_time = serializers.SerializerMethodField(help_text="HH:MM in the tenant's time zone.")
    last_status = serializers.CharField(
        read_only=True, help_text="sent or failed; empty before the first run."
    )

    class Meta:
        model = ReportSchedule
        exclude = ["tenant"]
        read_only_fields = ["next_run_at", "last_run_at", "last_error"]

    def get_send_time(self, schedule: ReportSchedule) -> str:
        return schedule.send_time.strftime("%H:%M")


class ReportDeliverySerializer(serializers.ModelSerializer):
    """One sending of a scheduled report: when it was due (aware UTC), the
    period it covers, the addresses it is mailed to and the file's name."""

    class Meta:
        model = ReportDelivery
        fields = [
            "id",
            "schedule",
            "due_at",
            "period_start",
            "period_end",
            "recipients",
            "filename",
        ]


class ReportScheduleInputSerializer(Input):
    """Input of ``POST report-schedules/`` and ``PATCH report-schedules/{id}/``;
    the service checks the rules (the report, its filters, the recipients)."""

    report = StrictCharField(max_length=50, help_text="A report's slug: mrr, plans, aging...")
    params = serializers.DictField(
        child=serializers.CharField(max_length=100, allow_blank=True),
        required=False,
        help_text='The report\'s filters, e.g. {"plan": "3", "tag": "business"}.',
    )
    period = serializers.ChoiceField(choices=RelativeRange.choices, required=False)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    weekday = StrictIntegerField(
        min_value=0, max_value=6, required=False, allow_null=True, help_text="0 Monday."
    )
    day_of_month = StrictIntegerField(min_value=1, max_value=31, required=False, allow_null=True)
    send_time = StrictCharField(max_length=8, help_text="HH:MM in the tenant's time zone.")
    recipients = serializers.ListField(
        child=StrictEmailField(max_length=254), min_length=1, max_length=20
    )
    is_active = StrictBooleanField(required=False)
