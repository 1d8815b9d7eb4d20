"""Serializers of the accounting API: journal entries with their lines."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.accounting.models import JournalEntry, JournalLine


class JournalLineSerializer(serializers.ModelSerializer):
    account_code = serializers.CharField(source="account.code", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    account_type = serializers.CharField(source="account.type", read_only=True)

    class Meta:
        model = JournalLine
        fields = [
            "id",
            "account",
            "account_code",
            "account_name",
            "account_type",
            "debit",
            "credit",
        ]


class JournalEntrySerializer(serializers.ModelSerializer):
    lines = JournalLineSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "number",
            "document_date",
            "booking_date",
            "period",
            "source_type",
            "source_id",
            "kind",
            "source_reference",
            "memo",
            "currency",
            "lines",
        ]
