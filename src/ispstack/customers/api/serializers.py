"""Serializers of the customers API: the account as shown, and the input of
its writes (types, lengths and ranges from the model's columns)."""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer, StrictCharField
from ispstack.customers.models import Customer
from ispstack.customers.services import INPUT_FIELDS

# A tag is a short word; a customer carries a handful of them.
MAX_TAGS = 20
MAX_TAG_LENGTH = 50


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        exclude = ["tenant"]
        read_only_fields = [
            "account_number",
            "status",
            "created_at",
            "updated_at",
        ]


class CustomerInputSerializer(InputSerializer):
    """Input of ``POST customers/`` and ``PATCH customers/{id}/``. The status is
    not an input: it follows the subscriptions."""

    tags = serializers.ListField(
        child=StrictCharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        help_text="Labels such as vip or government; dunning may exclude them.",
    )

    class Meta:
        model = Customer
        fields = list(INPUT_FIELDS)
        extra_kwargs = {"currency": {"required": False, "help_text": "Default: the tenant's."}}
