"""Serializers of the contracts API: a contract with its versions and
subscriptions, and the inputs of its writes. Amounts are decimal strings in
the contract's currency units; dates are the tenant's local dates."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import (
    AmountField,
    BoundedDateField,
    Input,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.customers.models import Customer
from ispstack.sales.models import (
    CommitmentShortfall,
    Contract,
    ContractSubscription,
    ContractVersion,
    PlanChangeRule,
    ServiceCredit,
    TerminationFeeRule,
)
from ispstack.subscriptions.models import Subscription


def _months(**kwargs: object) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=120, **kwargs)  # type: ignore[arg-type]


def _percent(**kwargs: object) -> StrictDecimalField:
    return StrictDecimalField(max_digits=6, decimal_places=3, **kwargs)  # type: ignore[arg-type]


class ScheduleStepSerializer(Input):
    """A step of a declining fee: through ``through_month`` of the term, a
    fixed ``amount`` or a ``percent`` of the remaining months' commitment."""

    through_month = _months()
    amount = AmountField(required=False)
    percent = _percent(required=False)


class CreditTierSerializer(Input):
    """A month's availability below ``below`` (percent) credits ``credit_percent`` of its fee."""

    below = _percent()
    credit_percent = _percent()


class ContractVersionSerializer(serializers.ModelSerializer):
    """A version's terms as they were, why, by whom and when (aware UTC)."""

    class Meta:
        model = ContractVersion
        fields = ["version", "terms", "reason", "changed_by", "actor_label", "created_at"]
        read_only_fields = fields


class ContractSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription under the contract from ``linked_on`` until ``released_on``."""

    username = serializers.CharField(source="subscription.username", read_only=True)

    class Meta:
        model = ContractSubscription
        fields = ["subscription", "username", "linked_on", "released_on"]
        read_only_fields = fields


class ServiceCreditSerializer(serializers.ModelSerializer):
    """An SLA credit of a month (its first day): availability measured
    (null when entered by hand), net amount in the contract's currency, the
    credit note that issued it."""

    class Meta:
        model = ServiceCredit
        fields = [
            "id",
            "month",
            "availability_percent",
            "outage_minutes",
            "amount",
            "credit_note",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class CommitmentShortfallSerializer(serializers.ModelSerializer):
    """A month (its first day) measured against the minimum commitment: net
    amounts in the contract's currency; ``charge`` the billing charge of a
    positive ``amount`` (null otherwise)."""

    class Meta:
        model = CommitmentShortfall
        fields = ["id", "month", "committed", "billed", "amount", "charge", "created_at"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    """A contract with its current terms, versions and subscriptions."""

    versions = ContractVersionSerializer(many=True, read_only=True)
    links = ContractSubscriptionSerializer(many=True, read_only=True)
    credits = ServiceCreditSerializer(many=True, read_only=True)
    shortfalls = CommitmentShortfallSerializer(many=True, read_only=True)
    termination_fee_schedule = ScheduleStepSerializer(many=True, read_only=True)
    sla_credit_tiers = CreditTierSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "customer",
            "currency",
            "status",
            "version",
            "term_months",
            "start_date",
            "term_start",
            "end_date",
            "auto_renew",
            "renewal_term_months",
            "notice_days",
            "monthly_commitment",
            "termination_fee_rule",
            "termination_fee_amount",
            "termination_fee_schedule",
            "plan_change_rule",
            "downgrade_fee",
            "sla_uptime_percent",
            "sla_credit_tiers",
            "notes",
            "signed_on",
            "ended_on",
            "termination_reason",
            "termination_fee",
            "quote",
            "links",
            "versions",
            "credits",
            "shortfalls",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class _TermsInput(Input):
    term_months = _months(required=False)
    start_date = BoundedDateField(required=False)
    auto_renew = StrictBooleanField(required=False)
    renewal_term_months = _months(required=False)
    notice_days = StrictIntegerField(min_value=0, max_value=365, required=False)
    monthly_commitment = AmountField(required=False)
    termination_fee_rule = serializers.ChoiceField(
        choices=TerminationFeeRule.choices, required=False
    )
    termination_fee_amount = AmountField(required=False)
    termination_fee_schedule = serializers.ListField(
        child=ScheduleStepSerializer(), required=False, max_length=120
    )
    plan_change_rule = serializers.ChoiceField(choices=PlanChangeRule.choices, required=False)
    downgrade_fee = AmountField(required=False)
    sla_uptime_percent = _percent(required=False, allow_null=True)
    sla_credit_tiers = serializers.ListField(
        child=CreditTierSerializer(), required=False, max_length=120
    )
    notes = StrictCharField(max_length=10_000, required=False, allow_blank=True)

    def to_internal_value(self, data: object) -> object:
        clean = super().to_internal_value(data)
        # The service takes the steps as plain dicts, dropping absent keys.
        for field in ("termination_fee_schedule", "sla_credit_tiers"):
            if field in clean:
                clean[field] = [dict(step) for step in clean[field]]
        return clean


class ContractInputSerializer(_TermsInput):
    """Input of a new draft contract: the customer, its subscriptions under
    it and the terms (``term_months`` required)."""

    customer = TenantPrimaryKeyRelatedField(queryset=Customer.objects.all())
    subscriptions = TenantPrimaryKeyRelatedField(
        queryset=Subscription.objects.all(), many=True, required=False
    )


class AmendInputSerializer(_TermsInput):
    """An amendment: why (required) and the terms that change."""

    reason = StrictCharField(max_length=10_000)


class TerminateInputSerializer(Input):
    """Terminate early: why, and the last day of service (default today)."""

    reason = StrictCharField(max_length=10_000)
    on = BoundedDateField(required=False)


class FeePreviewSerializer(serializers.Serializer):
    """The early termination fee if the contract ended on ``on``."""

    on = serializers.DateField()
    fee = serializers.DecimalField(max_digits=14, decimal_places=4)
    currency = serializers.CharField()
    month_of_term = serializers.IntegerField()
    remaining_months = serializers.IntegerField()


class RenewInputSerializer(Input):
    """Renew now: the new term's months (default the renewal term) and why."""

    term_months = _months(required=False)
    reason = StrictCharField(max_length=10_000, required=False, allow_blank=True)


class SubscriptionInputSerializer(Input):
    """A subscription of the contract's customer."""

    subscription = TenantPrimaryKeyRelatedField(queryset=Subscription.objects.all())


class ReleaseInputSerializer(SubscriptionInputSerializer):
    """A subscription to take out of the contract, and why."""

    reason = StrictCharField(max_length=10_000)


class ActivateInputSerializer(Input):
    """The day the customer signed (default today)."""

    signed_on = BoundedDateField(required=False)


class ServiceCreditInputSerializer(Input):
    """A month (any day of it) to credit: measured from outages, or an
    ``amount`` by hand with its ``reason``."""

    month = BoundedDateField()
    amount = AmountField(required=False)
    reason = StrictCharField(max_length=10_000, required=False, allow_blank=True)
