"""Per-tenant settings of the provisioning adapters: which IPAM owns the
subscriber addresses, where the ACS and the router are, and how to log in.

Credentials (NetBox API token, GenieACS password, RouterOS password) are
stored encrypted (``core.fields.EncryptedTextField``) and never shown back.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import EncryptedTextField
from ispstack.core.models import Tenant
from ispstack.core.tenancy import TenantQuerySet


def http_url(value: str) -> None:
    """``value`` is an http:// or https:// URL with a host. Plain HTTP is
    allowed (product default: an ACS or IPAM on a management network), and so
    is a single-label host name (``http://genieacs:7557``) that Django's
    URLValidator refuses; other schemes can never be an HTTP API."""
    message = _("Enter an http:// or https:// URL with a host, such as https://netbox.example.net.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
    except ValueError as exc:
        raise ValidationError(message, code="invalid_url") from exc
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise ValidationError(message, code="invalid_url")


def validate_prefix(value: str) -> None:
    """``value`` is a network in CIDR form without host bits (``100.64.0.0/22``)."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValidationError(
            _("Enter a network in CIDR form without host bits, such as 100.64.0.0/22."),
            code="invalid_prefix",
        ) from exc


class IpamBackend(models.TextChoices):
    """Which IPAM hands out a subscriber's address."""

    ISPSTACK = "ispstack", _("ispstack's own pools")
    NETBOX = "netbox", _("NetBox")


class ProvisioningSettings(models.Model):
    """How a tenant's service orders reach NetBox, GenieACS and MikroTik.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with
    ``provisioning.selectors.settings_for`` and build the adapters with
    ``provisioning.adapters.registry.adapters_for``. The defaults configure
    nothing: addresses come from ispstack's pools, no ACS, no router.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="provisioning_settings"
    )
    ipam_backend = models.CharField(
        _("IPAM"),
        max_length=10,
        choices=IpamBackend.choices,
        default=IpamBackend.ISPSTACK,
        help_text=_("Who hands out subscriber addresses: ispstack's own pools or NetBox."),
    )
    netbox_url = models.CharField(
        _("NetBox URL"),
        max_length=200,
        blank=True,
        validators=[http_url],
        help_text=_("Base URL of the NetBox instance, such as https://netbox.example.net."),
    )
    netbox_token = EncryptedTextField(
        _("NetBox API token"), blank=True, help_text=_("A token with write access to IPAM.")
    )
    netbox_prefix = models.CharField(
        _("NetBox prefix"),
        max_length=43,
        blank=True,
        validators=[validate_prefix],
        help_text=_("The prefix (CIDR) that subscriber addresses are taken from by default."),
    )
    netbox_tag = models.SlugField(
        _("NetBox tag"),
        max_length=100,
        blank=True,
        default="ispstack",
        help_text=_(
            "Tag set on every address ispstack allocates, so they are easy to find in NetBox."
        ),
    )
    genieacs_url = models.CharField(
        _("GenieACS NBI URL"),
        max_length=200,
        blank=True,
        validators=[http_url],
        help_text=_("The GenieACS northbound interface, such as http://acs.example.net:7557."),
    )
    genieacs_username = models.CharField(
        _("GenieACS username"),
        max_length=100,
        blank=True,
        help_text=_("For HTTP basic authentication in front of the NBI; empty for none."),
    )
    genieacs_password = EncryptedTextField(_("GenieACS password"), blank=True)
    mikrotik_host = models.CharField(
        _("MikroTik host"),
        max_length=255,
        blank=True,
        help_text=_("Address or name of the RouterOS router; empty when there is none."),
    )
    mikrotik_port = models.PositiveIntegerField(
        _("MikroTik API port"),
        default=8728,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("The RouterOS API service port (8728 by default)."),
    )
    mikrotik_username = models.CharField(_("MikroTik username"), max_length=100, blank=True)
    mikrotik_password = EncryptedTextField(_("MikroTik password"), blank=True)
    mikrotik_suspended_list = models.CharField(
        _("suspension address list"),
        max_length=63,
        default="ispstack-suspended",
        help_text=_("The firewall address list a suspended subscriber's address is put on."),
    )
    router_dry_run = models.BooleanField(
        _("router dry run"),
        default=True,
        help_text=_(
            "Record the commands the router would receive and send none; turn off once "
            "the plan looks right."
        ),
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("timeout (seconds)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("How long one call to NetBox, GenieACS or the router may take."),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("provisioning settings")
        verbose_name_plural = _("provisioning settings")

    def __str__(self) -> str:
        return str(_("Provisioning settings"))

    def clean(self) -> None:
        """The fields each chosen system needs are set. Raises ValidationError
        naming each missing field."""
        errors: dict[str, str] = {}
        self.mikrotik_host = self.mikrotik_host.strip()
        if self.ipam_backend == IpamBackend.NETBOX:
            for name, label in (
                ("netbox_url", "URL"),
                ("netbox_token", "API token"),
                ("netbox_prefix", "prefix"),
            ):
                if not getattr(self, name):
                    errors[name] = f"NetBox needs its {label} when it is the IPAM."
        if self.genieacs_password and not self.genieacs_username:
            errors["genieacs_username"] = "A GenieACS password needs a username."
        if self.mikrotik_host:
            if any(c.isspace() for c in self.mikrotik_host):
                errors["mikrotik_host"] = "A host name or address has no spaces."
            if not self.mikrotik_username:
                errors["mikrotik_username"] = "The router needs an API username."
        elif self.mikrotik_username or self.mikrotik_password:
            errors["mikrotik_host"] = "Enter the router's host for these credentials."
        if not self.mikrotik_suspended_list.strip():
            errors["mikrotik_suspended_list"] = "Name the suspension address list."
        if errors:
            raise ValidationError(errors)
