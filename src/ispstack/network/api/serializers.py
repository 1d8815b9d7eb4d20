"""Serializers of the network API: the NAS registry.

Output shapes, and the input of each write (types and ranges from the
columns, lengths from ``network.nas`` where the column is unbounded text);
the services check their input again.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer, StrictCharField
from ispstack.network.models import Nas
from ispstack.network.nas import (
    DESCRIPTION_MAX_LENGTH,
    NAS_FIELDS,
    NASNAME_MAX_LENGTH,
    SECRET_LENGTH,
    SHORTNAME_MAX_LENGTH,
)


class NasSerializer(serializers.ModelSerializer):
    """A NAS; the shared secret can be written, never read."""

    secret = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Nas
        fields = ["id", "nasname", "shortname", "type", "secret", "coa_port", "description"]


class NasInputSerializer(InputSerializer):
    """Input of ``POST nas/`` and ``PATCH nas/{id}/``."""

    # Declared rather than derived from the column: an address taken by any
    # tenant is the service's Conflict (409), not a uniqueness validator's 400.
    nasname = StrictCharField(
        max_length=NASNAME_MAX_LENGTH,
        help_text="The NAS's IPv4 or IPv6 address, the source of its RADIUS requests.",
    )
    secret = StrictCharField(
        min_length=SECRET_LENGTH[0],
        max_length=SECRET_LENGTH[1],
        trim_whitespace=False,
        help_text="RADIUS shared secret (RFC 2865), printable characters; never shown.",
    )

    class Meta:
        model = Nas
        fields = sorted(NAS_FIELDS)
        extra_kwargs = {
            "shortname": {"max_length": SHORTNAME_MAX_LENGTH},
            "description": {"max_length": DESCRIPTION_MAX_LENGTH},
            "coa_port": {
                "min_value": 1,
                "max_value": 65535,
                "help_text": "CoA/Disconnect port (RFC 5176); empty: 3799.",
            },
        }


class RevealedSecretSerializer(serializers.Serializer):
    """The NAS's shared secret, answered only to ``reveal-secret`` (audited)."""

    secret = serializers.CharField()
