"""Token endpoints of the API.

- ``POST /api/v1/auth/token/``: username and password (and optionally a
  ``name``, ``scopes`` and ``expires``) for a new API token, shown once;
- ``GET /api/v1/auth/tokens/``: the caller's own tokens, without secrets;
- ``DELETE /api/v1/auth/tokens/{prefix}/``: revoke one of them.

Failed passwords count towards django-axes' lockout of the username from
the client's address; a locked-out username is refused with 429 even with
the right password (``core.access.lockout_response``). Staff with a
confirmed OTP device (see ``core.admin_site``) must also send ``otp_token``,
the current code, as on the admin's login form.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import QuerySet
from django_otp import match_token
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ispstack.api.models import ApiToken
from ispstack.api.scopes import MAX_SCOPES, valid_scopes
from ispstack.api.tokens import create_token, revoke_token
from ispstack.core.access import client_ip, record_access
from ispstack.core.admin_site import needs_otp
from ispstack.core.api.bearer import LoginRateThrottle
from ispstack.core.api.fields import StrictCharField
from ispstack.core.models import User

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
# Django hashes any length; a bound keeps a megabyte "password" from costing a
# PBKDF2 run over it.
PASSWORD_MAX_LENGTH = 4096
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
DEFAULT_NAME = "API"
# TOTP codes have 6 to 8 digits (RFC 6238 / RFC 4226 section 5.3).
OTP_MAX_LENGTH = 8


class TokenRequestSerializer(serializers.Serializer):
    """Username and password, as strings of bounded length; what the token is
    for (``name``), what it may reach (``scopes``, default ``["*"]``) and when
    it expires (``expires``, UTC when no offset is given; default never);
    ``otp_token``, the current one-time password, for staff with an OTP device."""

    username = StrictCharField(max_length=USERNAME_MAX_LENGTH, write_only=True)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
    )
    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, default=DEFAULT_NAME)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=valid_scopes()),
        required=False,
        min_length=1,
        max_length=MAX_SCOPES,
    )
    expires = serializers.DateTimeField(required=False, allow_null=True, default=None)
    otp_token = StrictCharField(
        max_length=OTP_MAX_LENGTH, required=False, default="", write_only=True
    )


class TokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it: never the secret."""

    class Meta:
        model = ApiToken
        fields = ["prefix", "name", "scopes", "created_at", "expires", "last_used", "revoked"]
        read_only_fields = fields


class NewTokenSerializer(TokenSerializer):
    """A token just created, with the raw ``token``: the only time it is shown."""

    token = serializers.CharField(read_only=True)

    class Meta(TokenSerializer.Meta):
        fields = ["token", *TokenSerializer.Meta.fields]
        read_only_fields = fields


class TokenView(APIView):
    """Exchange a username and password for a new API token."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: NewTokenSerializer})
    def post(self, request: Request) -> Response:
        params = TokenRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # The Django request, not DRF's wrapper: django-axes marks a locked-out
        # attempt on it, and its middleware turns that into the 429.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise ValidationError("unable to log in with this username and password")
        if needs_otp(user):
            # A token must not be a way around the second factor of the admin.
            with transaction.atomic():
                device = match_token(user, data["otp_token"]) if data["otp_token"] else None
            if device is None:
                record_access(
                    user=user,
                    action="staff.login_failed",
                    ip=client_ip(request),
                    details={"reason": "missing or wrong one-time password"},
                )
                raise ValidationError(
                    {"otp_token": "this user needs the current one-time password of its device"}
                )
        # A token for a password is a login: the audit log's staff.login and
        # the user's last_login, as for the admin.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, raw = create_token(
            user=user,
            name=data["name"],
            scopes=data.get("scopes"),
            expires=data["expires"],
            ip=client_ip(request),
        )
        body = NewTokenSerializer(token).data
        body["token"] = raw
        return Response(body, status=status.HTTP_200_OK)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens: list them, revoke one (``DELETE``).

    A revoked token stays in the list, with the time it was revoked.
    """

    serializer_class = TokenSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "prefix"
    lookup_value_regex = "[A-Za-z0-9_]+"

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            # drf-spectacular reads the model without a user.
            return ApiToken.objects.none()
        user = self.request.user
        return ApiToken.objects.for_user(user).filter(user=user)  # type: ignore[misc]

    def perform_destroy(self, instance: ApiToken) -> None:
        revoke_token(token=instance, actor=self.request.user, ip=client_ip(self.request))
