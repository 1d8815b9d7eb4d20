"""Serializers of the RADIUS API: NAS, reply attributes, sessions, login attempts.

Output shapes, and the input of each write (types and ranges from the
columns, lengths from ``radius.nas`` where the column is unbounded text);
the services check their input again.
"""

from __future__ import annotations

from rest_framework import serializers

from ispstack.core.api.fields import InputSerializer, StrictCharField
from ispstack.radius.models import Nas
from ispstack.radius.nas import (
    DESCRIPTION_MAX_LENGTH,
    NAS_FIELDS,
    NASNAME_MAX_LENGTH,
    SECRET_LENGTH,
    SHORTNAME_MAX_LENGTH,
)


class SessionSerializer(serializers.Serializer):
    """An accounting session (radacct); octets include gigawords."""

    acctsessionid = serializers.CharField()
    nasipaddress = serializers.CharField()
    framedipaddress = serializers.CharField(allow_null=True)
    acctstarttime = serializers.DateTimeField(allow_null=True)
    acctupdatetime = serializers.DateTimeField(allow_null=True)
    acctstoptime = serializers.DateTimeField(allow_null=True)
    acctinputoctets = serializers.IntegerField(allow_null=True)
    acctoutputoctets = serializers.IntegerField(allow_null=True)
    acctterminatecause = serializers.CharField(allow_null=True)


class AuthAttemptSerializer(serializers.Serializer):
    authdate = serializers.DateTimeField()
    reply = serializers.CharField(allow_null=True)
    callingstationid = serializers.CharField(allow_null=True)


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


class RadiusReplySerializer(serializers.Serializer):
    """The reply attributes FreeRADIUS builds for a subscriber, ``{attribute: [values]}``."""

    attributes = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class RevealedSecretSerializer(serializers.Serializer):
    """The NAS's shared secret, answered only to ``reveal-secret`` (audited)."""

    secret = serializers.CharField()
