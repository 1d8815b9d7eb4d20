"""Serializers of the RADIUS API: reply attributes, sessions, login attempts."""

from __future__ import annotations

from rest_framework import serializers


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


class RadiusReplySerializer(serializers.Serializer):
    """The reply attributes FreeRADIUS builds for a subscriber, ``{attribute: [values]}``."""

    attributes = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
