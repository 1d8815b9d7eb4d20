"""Output and input shapes of the revenue recognition API; amounts are
decimal strings in the row's ``currency`` units."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.accounting.models import AccountingPeriod, RevenueScheduleEntry
from ispstack.core.api.fields import BoundedDateField, Input


def money() -> serializers.DecimalField:
    """An amount in its row's currency, as stored (four decimals, rounded to the minor unit)."""
    return serializers.DecimalField(max_digits=18, decimal_places=4)


class RecognisedMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    currency = serializers.CharField()
    recognised = money()
    deferred_end = money()
    by_kind = serializers.DictField(child=money(), help_text="Recognised per line kind.")
    by_service = serializers.DictField(
        child=money(), help_text="Recognised per connection type (empty key: none)."
    )
    closed = serializers.BooleanField()


class DeferredBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    invoiced = money()
    recognised = money()
    deferred = money()
    unbilled = money()


class DeferredReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    balances = DeferredBalanceSerializer(many=True)


class ScheduleEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = RevenueScheduleEntry
        fields = [
            "id",
            "source",
            "source_id",
            "invoice_line",
            "credit_note_line",
            "obligation",
            "kind",
            "currency",
            "month",
            "amount",
            "recognised_on",
            "document_date",
        ]
        read_only_fields = fields


class AccountingPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountingPeriod
        fields = ["id", "month", "closed_at", "closed_by"]
        read_only_fields = fields


class CloseMonthInputSerializer(Input):
    month = BoundedDateField(help_text="First day of the month to close, YYYY-MM-DD.")
