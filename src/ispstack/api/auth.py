"""``POST /api/v1/auth/token/``: an API token for a staff user's username and password."""

from __future__ import annotations

from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from ispstack.core.api.fields import StrictCharField
from ispstack.core.models import User

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
# Django hashes any length; a bound keeps a megabyte "password" from costing a
# PBKDF2 run over it.
PASSWORD_MAX_LENGTH = 4096


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password, as strings of bounded length."""

    username = StrictCharField(max_length=USERNAME_MAX_LENGTH, write_only=True)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
    )


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    serializer_class = TokenRequestSerializer
