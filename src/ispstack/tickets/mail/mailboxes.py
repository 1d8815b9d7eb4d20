"""Setting up the support mailboxes a tenant's tickets are read from."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ispstack.core import audit, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant
from ispstack.tickets.models.mail import MailSecurity, SupportMailbox

MAILBOX_FIELDS = (
    "name",
    "host",
    "port",
    "security",
    "username",
    "password",
    "folder",
    "support_address",
    "poll_enabled",
)
# RFC 1123 2.1 host names: dot-separated labels of letters, digits and inner dashes.
_HOST = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOCAL_HOSTS = {"localhost"}


def _is_local(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_mailbox(
    tenant: Tenant, data: dict[str, Any], *, instance: SupportMailbox | None = None
) -> dict[str, Any]:
    """Check mailbox settings (all of them for a new mailbox, the given ones
    merged over ``instance`` for a change); returns the cleaned values.

    Raises InvalidInput naming the field: ``host`` (not a host name or IP
    address), ``port`` (not 1-65535), ``security`` (unknown, or ``none``
    for a server not on this host: the password would cross the network
    in clear, RFC 8314 recommends TLS), ``username``, ``password`` (empty for
    a new mailbox), ``folder`` (empty or control characters),
    ``support_address`` (not an email address), ``name``; Conflict naming
    ``folder`` when the tenant already reads that folder of that account.
    """
    current = {f: getattr(instance, f) for f in MAILBOX_FIELDS} if instance else {}
    merged = {**current, **{k: v for k, v in data.items() if k in MAILBOX_FIELDS}}
    clean: dict[str, Any] = {}
    clean["name"] = str(merged.get("name") or "").strip()
    if not clean["name"] or len(clean["name"]) > 100:
        raise InvalidInput("is required, at most 100 characters", field="name")
    clean["host"] = str(merged.get("host") or "").strip()
    if not (_is_local(clean["host"]) or _HOST.fullmatch(clean["host"]) or _is_ip(clean["host"])):
        raise InvalidInput("must be a host name or an IP address (no scheme or port)", field="host")
    clean["port"] = inputs.whole_number(merged.get("port") or 0, "port")
    if not 1 <= clean["port"] <= 65535:
        raise InvalidInput("must be a whole number from 1 to 65535", field="port")
    clean["security"] = merged.get("security") or MailSecurity.SSL
    if clean["security"] not in MailSecurity.values:
        raise InvalidInput(f"must be one of {', '.join(MailSecurity.values)}", field="security")
    if clean["security"] == MailSecurity.NONE and not _is_local(clean["host"]):
        raise InvalidInput(
            "an unencrypted connection is only allowed to a server on this host; "
            "use TLS or STARTTLS",
            field="security",
        )
    clean["username"] = str(merged.get("username") or "").strip()
    if not clean["username"] or len(clean["username"]) > 255:
        raise InvalidInput("is required, at most 255 characters", field="username")
    clean["password"] = str(merged.get("password") or "")
    if not clean["password"]:
        raise InvalidInput("is required", field="password")
    clean["folder"] = str(merged.get("folder") or "INBOX").strip()
    if len(clean["folder"]) > 200 or _CONTROL.search(clean["folder"]):
        raise InvalidInput("at most 200 characters, no control characters", field="folder")
    clean["support_address"] = str(merged.get("support_address") or "").strip()
    try:
        validate_email(clean["support_address"])
    except ValidationError:
        raise InvalidInput("must be an email address", field="support_address") from None
    clean["poll_enabled"] = inputs.flag(merged.get("poll_enabled", True), "poll_enabled")
    taken = SupportMailbox.objects.filter(
        tenant=tenant,
        host__iexact=clean["host"],
        username=clean["username"],
        folder=clean["folder"],
    )
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise Conflict("this folder of this account is already read by a mailbox", field="folder")
    return clean


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _public(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "password"}


@transaction.atomic
def create_mailbox(*, tenant: Tenant, actor: Any = None, **data: Any) -> SupportMailbox:
    """Add a support mailbox to poll (``MAILBOX_FIELDS``); audited without
    the password. Raises as ``validate_mailbox``."""
    clean = validate_mailbox(tenant, data)
    mailbox = SupportMailbox.objects.create(tenant=tenant, **clean)
    audit.record(
        tenant=tenant, actor=actor, action="mailbox.create", obj=mailbox, after=_public(clean)
    )
    return mailbox


@transaction.atomic
def update_mailbox(*, mailbox: SupportMailbox, actor: Any = None, **data: Any) -> SupportMailbox:
    """Change the given settings of ``mailbox``; audited without the
    password. A new host, account or folder starts reading that folder from
    its beginning (already imported mail is recognised by its Message-ID).
    Raises as ``validate_mailbox``."""
    locked = SupportMailbox.objects.select_for_update().get(pk=mailbox.pk)
    clean = validate_mailbox(locked.tenant, data, instance=locked)
    before = _public({f: getattr(locked, f) for f in MAILBOX_FIELDS})
    moved = any(clean[f] != getattr(locked, f) for f in ("host", "port", "username", "folder"))
    for name, value in clean.items():
        setattr(locked, name, value)
    fields = [*clean, "updated_at"]
    if moved:
        locked.uidvalidity, locked.last_uid = None, 0
        fields += ["uidvalidity", "last_uid"]
    locked.save(update_fields=fields)
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="mailbox.update",
        obj=locked,
        before=before,
        after=_public(clean),
    )
    return locked
