"""Serializers of the subscriptions API: the subscription, its lifecycle,
billing day, access, add-ons, promotions and scheduled plan changes.

Output shapes, and the inputs of the writes (types, lengths and ranges from the
model's columns; ids scoped to the tenant).
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.catalog.models import Plan
from ispstack.core.api.fields import (
    BoundedDateField,
    Input,
    InputSerializer,
    StrictCharField,
    StrictIntegerField,
    TenantPrimaryKeyRelatedField,
)
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.customers.models import Customer
from ispstack.network.models import PrefixPool
from ispstack.subscriptions.access import ACCESS_FIELDS
from ispstack.subscriptions.equipment import INSTALLATION_FIELDS
from ispstack.subscriptions.models import (
    ConnectionType,
    LastMileTechnology,
    PlanChange,
    ServiceAction,
    Subscription,
    SubscriptionAddOn,
    SubscriptionPromotion,
    SuspensionCause,
)
from ispstack.subscriptions.services import SIGNUP_FIELDS


class SubscriptionSerializer(serializers.ModelSerializer):
    suspension_cause = serializers.ChoiceField(
        choices=SuspensionCause.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it is suspended; empty unless suspended.",
    )
    # Read-only fields lose the model's blank=True in DRF: say "" may come back.
    connection_type = serializers.ChoiceField(
        choices=ConnectionType.choices, allow_blank=True, read_only=True
    )
    last_mile_technology = serializers.ChoiceField(
        choices=LastMileTechnology.choices, allow_blank=True, read_only=True
    )
    ip_address = serializers.CharField(
        source="ip_address.address", read_only=True, default=None, allow_null=True
    )
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
            "nas",
            "framed_ipv6_prefix",
            "delegated_ipv6_prefix",
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
            *INSTALLATION_FIELDS,
            # Kept by the helpdesk's outages (read-only: editable=False).
            "total_outages",
            "total_downtime_minutes",
            "last_outage_date",
        ]
        read_only_fields = [
            "status",
            "suspension_cause",
            "suspended_at",
            "end_date",
            "created_at",
            "updated_at",
            # Changed through subscriptions/{id}/installation/.
            *INSTALLATION_FIELDS,
        ]
        extra_kwargs = {
            "pool": {"required": False},
            "billing_day": {"required": False},
            "start_date": {"required": False},
        }


class PrefixPoolInputs(serializers.Serializer):
    """The IPv6 prefix pools a sign-up or an access change may allocate from."""

    framed_ipv6_pool = TenantPrimaryKeyRelatedField(
        queryset=PrefixPool.objects.all(),
        required=False,
        allow_null=True,
        help_text="Allocate the Framed-IPv6-Prefix from this pool.",
    )
    delegated_ipv6_pool = TenantPrimaryKeyRelatedField(
        queryset=PrefixPool.objects.all(),
        required=False,
        allow_null=True,
        help_text="Allocate the Delegated-IPv6-Prefix from this pool.",
    )


class SignupInputSerializer(PrefixPoolInputs, InputSerializer):
    """Input of ``POST subscriptions/``: a pending subscription for a customer
    on a plan, with its PPPoE credentials and, optionally, a static IPv4 from a
    pool, a NAS and IPv6 prefixes (given, or allocated from prefix pools)."""

    class Meta:
        model = Subscription
        fields = list(SIGNUP_FIELDS)
        extra_kwargs = {
            "password": {
                "required": False,
                "allow_blank": True,
                "write_only": True,
                "help_text": "6-128 characters; generated when empty.",
            },
            "billing_day": {"required": False, "help_text": "1-31; default 1."},
            "start_date": {"required": False, "help_text": "Default: today."},
        }


class TransitionSerializer(Input):
    """Input of a lifecycle action: why, and from which day (default today)."""

    reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH
    )
    on = BoundedDateField(required=False, allow_null=True, default=None)


class SuspendSerializer(TransitionSerializer):
    """Input of ``suspend``: the reason is required."""

    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)
    cause = serializers.ChoiceField(
        choices=SuspensionCause.choices, default=SuspensionCause.ADMINISTRATIVE
    )


class TerminateSerializer(TransitionSerializer):
    """Input of ``terminate``: the reason is required; ``on`` is the last day of service."""

    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


class BillingDaySerializer(Input):
    billing_day = StrictIntegerField(min_value=1, max_value=31)


class PlanChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanChange
        fields = [
            "id",
            "subscription",
            "from_plan",
            "to_plan",
            "effective_date",
            "status",
            "reason",
            "created_at",
        ]


class AttachAddOnSerializer(InputSerializer):
    """Input of ``subscriptions/{id}/addons/``."""

    class Meta:
        model = SubscriptionAddOn
        fields = ["addon", "quantity", "start_date"]
        extra_kwargs = {"start_date": {"required": False, "help_text": "Default: today."}}


class SubscriptionAddOnSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionAddOn
        fields = ["id", "subscription", "addon", "quantity", "start_date", "end_date"]


class GrantPromotionSerializer(InputSerializer):
    """Input of ``subscriptions/{id}/promotions/``."""

    class Meta:
        model = SubscriptionPromotion
        fields = ["promotion", "start_date"]
        extra_kwargs = {"start_date": {"required": False, "help_text": "Default: today."}}


class SubscriptionPromotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionPromotion
        fields = ["id", "subscription", "promotion", "start_date", "cycles_used"]


class AccessSerializer(PrefixPoolInputs, InputSerializer):
    """Input of ``subscriptions/{id}/access/``: a NAS, IPv6 prefixes, or prefix
    pools to allocate them from."""

    class Meta:
        model = Subscription
        fields = list(ACCESS_FIELDS)
        extra_kwargs = {
            "framed_ipv6_prefix": {"required": False, "allow_blank": True},
            "delegated_ipv6_prefix": {"required": False, "allow_blank": True},
        }


class RevealedPasswordSerializer(serializers.Serializer):
    """The PPPoE password, answered only to ``reveal-password`` (audited)."""

    password = serializers.CharField()


class ServiceActionSerializer(serializers.ModelSerializer):
    """A row of the subscription's service action log: who (a staff user's
    id and username, ``portal:<email>`` or the job's name), why, and the
    result (``ok`` or ``failed`` with its message)."""

    class Meta:
        model = ServiceAction
        fields = [
            "id",
            "subscription",
            "action",
            "actor",
            "actor_kind",
            "actor_label",
            "reason",
            "result",
            "message",
            "created_at",
        ]
