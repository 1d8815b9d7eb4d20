"""The FreeRADIUS tables, with FreeRADIUS's own PostgreSQL names, columns and
types (``mods-config/sql/main/postgresql/schema.sql`` of FreeRADIUS 3.2), so
the stock ``queries.conf`` works unchanged.

Columns beyond the stock schema are nullable and say so in their help text.
``tenant`` on the tables we write attributes each row to an ISP; radacct and
radpostauth are written by FreeRADIUS and are attributed through the
subscription with the same User-Name.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import BrinIndex, GistIndex
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import ClockDateTimeField, CoversNetwork, WithinNetwork
from ispstack.core.models import Tenant
from ispstack.core.tenancy import TenantQuerySet
from ispstack.network.models import Nas, NasType
from ispstack.radius.constraints import CONSTRAINT_RULES

EXTRA = "Not in the FreeRADIUS schema (ispstack)."


class AttributeRow(models.Model):
    """Shared columns of radcheck / radreply / radgroupcheck / radgroupreply."""

    id = models.AutoField(primary_key=True)
    attribute = models.TextField(default="", db_default="")
    op = models.CharField(max_length=2, default="==", db_default="==")
    value = models.TextField(default="", db_default="")
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text=EXTRA
    )

    class Meta:
        abstract = True


class RadCheck(AttributeRow):
    """Per-user check items (``Cleartext-Password``, ``Auth-Type``).

    Each item at most once per username, and usernames differing only in
    case count as one (as subscriptions' usernames do): a unique index on
    ``(lower(username), attribute)``, beyond the stock schema, so no two
    accounts and no two writers ever leave two passwords for one login.
    """

    username = models.TextField(default="", db_default="")

    class Meta:
        db_table = "radcheck"
        verbose_name = "radcheck row"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                "attribute",
                name="radcheck_username_attribute_unique",
                violation_error_message=str(CONSTRAINT_RULES["radcheck_username_attribute_unique"]),
            ),
        ]
        # FreeRADIUS's query compares username as given, which lower() cannot serve.
        indexes = [models.Index(fields=["username", "attribute"], name="radcheck_username")]

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op}"


class RadReply(AttributeRow):
    """Per-user reply items (``Framed-IP-Address``, ``Mikrotik-Rate-Limit``)."""

    username = models.TextField(default="", db_default="")
    op = models.CharField(max_length=2, default="=", db_default="=")

    class Meta:
        db_table = "radreply"
        verbose_name = "radreply row"
        indexes = [models.Index(fields=["username", "attribute"], name="radreply_username")]

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op} {self.value}"


class RadGroupCheck(AttributeRow):
    """Check items of a group."""

    groupname = models.TextField(default="", db_default="")

    class Meta:
        db_table = "radgroupcheck"
        verbose_name = "radgroupcheck row"
        indexes = [models.Index(fields=["groupname", "attribute"], name="radgroupcheck_groupname")]

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute}"


class RadGroupReply(AttributeRow):
    """Reply items of a group."""

    groupname = models.TextField(default="", db_default="")
    op = models.CharField(max_length=2, default="=", db_default="=")

    class Meta:
        db_table = "radgroupreply"
        verbose_name = "radgroupreply row"
        indexes = [models.Index(fields=["groupname", "attribute"], name="radgroupreply_groupname")]

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute} {self.value}"


class RadUserGroup(models.Model):
    """A user's membership of a group, by priority."""

    id = models.AutoField(primary_key=True)
    username = models.TextField(default="", db_default="")
    groupname = models.TextField(default="", db_default="")
    priority = models.IntegerField(default=0, db_default=0)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text=EXTRA
    )

    class Meta:
        db_table = "radusergroup"
        verbose_name = "radusergroup row"
        indexes = [models.Index(fields=["username"], name="radusergroup_username")]

    def __str__(self) -> str:
        return f"{self.username} in {self.groupname}"


class AccountingColumns(models.Model):
    """The columns of a radacct row (RFC 2866), shared by radacct and its archive.

    The stock queries fold gigawords in: ``acctinputoctets`` is
    ``Acct-Input-Gigawords << 32 | Acct-Input-Octets``, octets sent by the
    subscriber; ``acctoutputoctets`` is what the subscriber received.
    """

    acctsessionid = models.TextField()
    username = models.TextField(null=True, blank=True)
    realm = models.TextField(null=True, blank=True)
    nasipaddress = models.GenericIPAddressField()
    nasportid = models.TextField(null=True, blank=True)
    nasporttype = models.TextField(null=True, blank=True)
    acctstarttime = models.DateTimeField(null=True, blank=True)
    acctupdatetime = models.DateTimeField(null=True, blank=True)
    acctstoptime = models.DateTimeField(null=True, blank=True)
    acctinterval = models.BigIntegerField(null=True, blank=True)
    acctsessiontime = models.BigIntegerField(null=True, blank=True)
    acctauthentic = models.TextField(null=True, blank=True)
    connectinfo_start = models.TextField(null=True, blank=True)
    connectinfo_stop = models.TextField(null=True, blank=True)
    acctinputoctets = models.BigIntegerField(null=True, blank=True)
    acctoutputoctets = models.BigIntegerField(null=True, blank=True)
    calledstationid = models.TextField(null=True, blank=True)
    callingstationid = models.TextField(null=True, blank=True)
    acctterminatecause = models.TextField(null=True, blank=True)
    servicetype = models.TextField(null=True, blank=True)
    framedprotocol = models.TextField(null=True, blank=True)
    framedipaddress = models.GenericIPAddressField(null=True, blank=True)
    framedipv6address = models.GenericIPAddressField(null=True, blank=True)
    framedipv6prefix = models.GenericIPAddressField(null=True, blank=True)
    framedinterfaceid = models.TextField(null=True, blank=True)
    delegatedipv6prefix = models.GenericIPAddressField(null=True, blank=True)
    class_field = models.TextField(db_column="class", null=True, blank=True)
    # The counters before the last interim update, kept by the trigger
    # ``radacct_keep_previous_counters`` (migration 0011) so the NOC sees the
    # rate over the last interval; FreeRADIUS's stock queries never name them.
    previnputoctets = models.BigIntegerField(
        null=True, blank=True, help_text=f"Input octets at the previous update. {EXTRA}"
    )
    prevoutputoctets = models.BigIntegerField(
        null=True, blank=True, help_text=f"Output octets at the previous update. {EXTRA}"
    )
    prevupdatetime = models.DateTimeField(
        null=True, blank=True, help_text=f"When the previous update arrived. {EXTRA}"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.username} {self.acctsessionid}"


class RadAcct(AccountingColumns):
    """Accounting sessions, written by FreeRADIUS: open sessions and those
    closed in the last ``RADIUS_ACCT_HOT_DAYS`` days (older ones move to
    ``RadAcctArchive``, see radius.retention), so the stock queries and ours
    work on a table the size of a few days of sessions.

    Indexes, chosen for the stock queries and ours (every accounting write
    pays for each one): unique ``acctuniqueid`` (the stock queries' ``ON
    CONFLICT`` and updates), open sessions by ``acctuniqueid``, the bulk close
    of a rebooted NAS, ``acctupdatetime`` for the usage rollup's watermark and
    ``username, acctstarttime`` for a subscriber's sessions, the
    Simultaneous-Use count and CoA lookups. The stock schema's
    ``acctstarttime, username`` and ``class`` indexes serve no stock query and
    are left out. The console's search finds who is online at an address
    through three partial indexes on open sessions only (a few rows per
    subscriber online): Framed-IP-Address (B-tree, also serves ``<<=`` a
    network) and the Framed-IPv6-Prefix / Delegated-IPv6-Prefix (GiST
    inet_ops, serving ``>>=`` an address and ``<<=`` a network). The two GiST
    indexes leave out sessions without the prefix (IPv4-only subscribers):
    such a Start or Interim-Update then writes no GiST entry, the dearest of
    the index writes, and the search's ``>>=`` / ``<<=`` conditions imply the
    prefix is not NULL, so the planner still uses them.
    """

    radacctid = models.BigAutoField(primary_key=True)
    acctuniqueid = models.TextField()

    class Meta:
        db_table = "radacct"
        verbose_name = "accounting session"
        # A constraint, not unique=True: Django would add a second
        # (text_pattern_ops) index that every accounting write pays for.
        constraints = [
            models.UniqueConstraint(fields=["acctuniqueid"], name="radacct_acctuniqueid_key"),
        ]
        indexes = [
            models.Index(
                fields=["acctuniqueid"],
                name="radacct_active_session_idx",
                condition=models.Q(acctstoptime__isnull=True),
            ),
            models.Index(
                fields=["nasipaddress", "acctstarttime"],
                name="radacct_bulk_close",
                condition=models.Q(acctstoptime__isnull=True),
            ),
            models.Index(fields=["acctupdatetime", "radacctid"], name="radacct_update_idx"),
            models.Index(fields=["username", "acctstarttime"], name="radacct_user_start_idx"),
            models.Index(
                fields=["framedipaddress"],
                name="radacct_open_ip_idx",
                condition=models.Q(acctstoptime__isnull=True),
            ),
            GistIndex(
                fields=["framedipv6prefix"],
                name="radacct_open_v6prefix_idx",
                opclasses=["inet_ops"],
                condition=models.Q(acctstoptime__isnull=True, framedipv6prefix__isnull=False),
            ),
            GistIndex(
                fields=["delegatedipv6prefix"],
                name="radacct_open_pd_idx",
                opclasses=["inet_ops"],
                condition=models.Q(acctstoptime__isnull=True, delegatedipv6prefix__isnull=False),
            ),
        ]


# ``framedipaddress__within="100.64.0.0/22"`` and ``framedipv6prefix__covers=
# "2001:db8:1::5"``: the console's search by address (see the indexes above).
for _name in ("framedipaddress", "framedipv6prefix", "delegatedipv6prefix"):
    _field = RadAcct._meta.get_field(_name)
    assert isinstance(_field, models.Field)
    _field.register_lookup(WithinNetwork)
    _field.register_lookup(CoversNetwork)


class RadAcctArchive(AccountingColumns):
    """Closed sessions moved out of radacct, kept ``RADIUS_ACCT_RETENTION_MONTHS``.

    Rows arrive in ``acctstarttime`` order, so a BRIN index serves the
    retention purge and date ranges at a fraction of a B-tree's size; a
    subscriber's history uses ``username, acctstarttime``. Not in the
    FreeRADIUS schema (ispstack); FreeRADIUS never reads it.
    """

    radacctid = models.BigIntegerField(primary_key=True, help_text="Its id in radacct.")
    acctuniqueid = models.TextField()

    class Meta:
        db_table = "radacct_archive"
        verbose_name = "archived accounting session"
        indexes = [
            BrinIndex(fields=["acctstarttime"], name="radacct_archive_start_brin"),
            models.Index(fields=["username", "acctstarttime"], name="radacct_archive_user_idx"),
        ]


class RadPostAuth(models.Model):
    """Authentication results, written by FreeRADIUS's post-auth (also on reject)."""

    id = models.BigAutoField(primary_key=True)
    username = models.TextField()
    # The stock schema names the column "pass"; a Python keyword, hence db_column.
    password = models.TextField(db_column="pass", null=True, blank=True)
    reply = models.TextField(null=True, blank=True)
    calledstationid = models.TextField(null=True, blank=True)
    callingstationid = models.TextField(null=True, blank=True)
    authdate = models.DateTimeField(db_default=Now())
    class_field = models.TextField(db_column="class", null=True, blank=True)

    class Meta:
        db_table = "radpostauth"
        verbose_name = "post-auth record"
        indexes = [
            models.Index(fields=["username"], name="radpostauth_username_idx"),
            models.Index(fields=["class_field"], name="radpostauth_class_idx"),
            BrinIndex(fields=["authdate"], name="radpostauth_authdate_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.reply}"


class NasReload(models.Model):
    """When a NAS last rebooted (Accounting-On/Off), used by the stock queries."""

    nasipaddress = models.GenericIPAddressField(primary_key=True)
    reloadtime = models.DateTimeField()

    class Meta:
        db_table = "nasreload"
        verbose_name = "NAS reload"

    def __str__(self) -> str:
        return f"{self.nasipaddress} {self.reloadtime}"


class CoaRequest(models.Model):
    """A CoA or Disconnect request ispstack sent (RFC 5176) and its answer."""

    class Kind(models.TextChoices):
        COA = "coa", "CoA-Request"
        DISCONNECT = "disconnect", "Disconnect-Request"

    class Status(models.TextChoices):
        ACK = "ack", "ACK"
        NAK = "nak", "NAK"
        TIMEOUT = "timeout", "No answer"
        NO_NAS = "no_nas", "NAS not registered"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    nas = models.ForeignKey(Nas, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=64)
    acct_session_id = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    error = models.CharField(max_length=200, blank=True, help_text="Error-Cause or timeout")
    created_at = ClockDateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    session_closed = models.BooleanField(
        null=True,
        blank=True,
        help_text="For an acknowledged Disconnect: did the session's accounting Stop follow "
        "(empty: not checked yet; No: the NAS kept the session after every retry).",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "CoA request"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}: {self.status}"


class RateOverride(models.Model):
    """A temporary rate for one subscriber (fair-use throttling), used instead
    of the plan's ``Mikrotik-Rate-Limit`` while it exists. Not in the
    FreeRADIUS schema (ispstack)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    username = models.CharField(max_length=64, unique=True)
    upload_kbps = models.PositiveIntegerField()
    download_kbps = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    created_at = ClockDateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.username}: {self.upload_kbps}/{self.download_kbps} kbit/s ({self.reason})"


class AccessBlock(models.Model):
    """A subscriber refused at login while it exists (``Auth-Type := Reject`` in
    radcheck with a ``Reply-Message``), e.g. a data cap with policy "block".
    Not in the FreeRADIUS schema (ispstack)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    username = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=200)
    created_at = ClockDateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.username} blocked ({self.reason})"


class RadiusSettings(models.Model):
    """How a tenant's subscribers reach RADIUS: what a suspension does and
    which vendor's rate attributes a subscriber without a NAS gets.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with ``radius.selectors.settings_for``.
    Not in the FreeRADIUS schema (ispstack).
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="radius_settings"
    )
    suspension_mode = models.CharField(
        _("suspension"),
        max_length=14,
        default="reject",
        choices=[
            ("reject", _("Reject logins (Auth-Type := Reject)")),
            ("walled_garden", _("Walled garden (RADIUS group, router redirects)")),
        ],
        help_text=_(
            "What a suspended subscriber gets: no login at all, or a login the router "
            "redirects to the payment page."
        ),
    )
    default_nas_type = models.CharField(
        _("default NAS type"),
        max_length=10,
        default=NasType.MIKROTIK,
        choices=NasType.choices,
        help_text=_("Whose speed attributes a subscriber gets when the subscription names no NAS."),
    )
    walled_garden_address_list = models.CharField(
        _("walled-garden address list"),
        max_length=64,
        default="walled-garden",
        help_text=_(
            "The Mikrotik-Address-List a suspended subscriber is put in; the router "
            "redirects that list to the payment page."
        ),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("RADIUS settings")
        verbose_name_plural = _("RADIUS settings")

    def __str__(self) -> str:
        return str(_("RADIUS settings"))
