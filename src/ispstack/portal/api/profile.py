"""The portal API's profile, as the profile pages (``portal.views.profile``):
the login's name, the account's contact email and phone, the portal
language, and which notices the customer gets by email and by SMS. Writes
go through ``portal.services`` (``update_profile``, ``set_language``,
``set_preferences``); a PATCH changes the fields it names, all or none."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ispstack.notifications.models import NotificationKind
from ispstack.notifications.selectors import preferences_of
from ispstack.portal import services
from ispstack.portal.api import serializers as s
from ispstack.portal.api.views import PortalViewMixin

CHANNELS = ("email", "sms")


class ProfileView(PortalViewMixin):
    """The profile: GET it; PATCH ``name``, ``email``, ``phone`` (normalised
    to E.164) or ``language`` (a code the portal offers, or empty). The
    sign-in address is not changed here."""

    def _profile(self) -> Response:
        user = self.portal_user
        return Response(s.PortalProfileSerializer({"user": user, "customer": user.customer}).data)

    @extend_schema(responses={200: s.PortalProfileSerializer})
    def get(self, request: Request) -> Response:
        return self._profile()

    @extend_schema(
        request=s.PortalProfileInputSerializer, responses={200: s.PortalProfileSerializer}
    )
    def patch(self, request: Request) -> Response:
        data = self.validated(s.PortalProfileInputSerializer)
        user = self.portal_user
        # One transaction: a bad language leaves the contact fields unchanged too.
        with transaction.atomic():
            if data.keys() & {"name", "email", "phone"}:
                customer = user.customer
                services.update_profile(
                    user=user,
                    name=data.get("name", user.name),
                    email=data.get("email", customer.email),
                    phone=data.get("phone", customer.phone),
                )
            if "language" in data:
                services.set_language(user=user, language=data["language"])
        return self._profile()


def _rows(customer_id: int) -> list[dict[str, Any]]:
    chosen = preferences_of(customer_id)
    return [
        {"kind": kind, "label": str(label), **chosen[kind]}
        for kind, label in NotificationKind.choices
    ]


class PreferencesView(PortalViewMixin):
    """Which notices the customer gets, per kind and channel (email, SMS):
    GET them all; PATCH the kinds and channels to change. Legal and
    transactional messages (password links, receipts of what the customer
    asked for) are not listed: they always go."""

    @extend_schema(responses={200: s.PortalPreferenceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(s.PortalPreferenceSerializer(_rows(self.customer.pk), many=True).data)

    @extend_schema(
        request=s.PortalPreferencesInputSerializer,
        responses={200: s.PortalPreferenceSerializer(many=True)},
    )
    def patch(self, request: Request) -> Response:
        changes = self.validated(s.PortalPreferencesInputSerializer)["preferences"]
        customer = self.customer
        chosen = preferences_of(customer.pk)
        for change in changes:
            for channel in CHANNELS:
                if channel in change:
                    chosen[change["kind"]][channel] = change[channel]
        # The page's form posts the boxes that are on; the service reads it so.
        posted = {
            f"{kind}-{channel}": "on"
            for kind, channels in chosen.items()
            for channel in CHANNELS
            if channels[channel]
        }
        services.set_preferences(user=self.portal_user, posted=posted)
        return Response(s.PortalPreferenceSerializer(_rows(customer.pk), many=True).data)
