"""MAC onboarding tables: each router's secret for its DHCP lease script and
the devices (MAC profiles) routers reported."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import EncryptedTextField
from ispstack.core.models import TenantScopedModel
from ispstack.network.models import Nas
from ispstack.subscriptions.models import Subscription


class RouterSecret(TenantScopedModel):
    """The shared secret one router signs its lease-script reports with
    (HMAC-SHA256, see ``onboarding.signing``). ``key_id`` is public and names
    the router in the ``X-Ispstack-Key`` header; ``secret`` is write-only
    (revealed on purpose, audited) and rotated, never edited."""

    nas = models.OneToOneField(Nas, on_delete=models.CASCADE, related_name="+", verbose_name="NAS")
    key_id = models.CharField(_("key id"), max_length=32, unique=True)
    secret = EncryptedTextField(_("secret"))
    allow_token = models.BooleanField(
        _("accept the secret as a token"),
        default=False,
        help_text=_(
            "For RouterOS scripts, which cannot compute HMAC-SHA256: the secret travels in "
            "a header over HTTPS (verify the certificate on the router)."
        ),
    )
    rotated_at = models.DateTimeField(_("rotated"), null=True, blank=True)

    class Meta:
        verbose_name = _("router onboarding secret")
        permissions = [("reveal_routersecret", "Can reveal a router's onboarding secret")]

    def __str__(self) -> str:
        return f"onboarding key {self.key_id}"


class MacProfile(TenantScopedModel):
    """A device a router saw on its DHCP server: MAC (upper case, colons, as
    RouterOS writes it in Calling-Station-Id), last address and host name,
    the router, first and last seen (aware UTC)."""

    mac_address = models.CharField(_("MAC address"), max_length=17)
    last_ip = models.GenericIPAddressField(_("last IP"), null=True, blank=True)
    hostname = models.CharField(_("host name"), max_length=255, blank=True)
    nas = models.ForeignKey(
        Nas, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="NAS"
    )
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    mac_auth = models.BooleanField(
        _("MAC authentication"), default=False, help_text=_("Logs in by its MAC (radcheck).")
    )
    captive_user = models.ForeignKey(
        "hotspot.CaptiveUser",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Made for the device by the tenant's policy; it logs in by its MAC."),
    )

    class Meta:
        verbose_name = _("MAC profile")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "mac_address"], name="hotspot_mac_unique"),
        ]

    def __str__(self) -> str:
        return self.mac_address
