"""Network inventory: sites (POPs, towers, cabinets), their sectors, devices
(routers, OLTs, switches, access points, CPEs), OLT PON ports, the ONU stock,
VLANs per site and the plan -> VLAN map.

Who holds an ONU is recorded one floor up (``subscriptions.OnuAssignment``):
a subscription points at its equipment, the inventory knows none of its
holders.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django_fsm import RETURN_VALUE, FSMField, transition

from ispstack.core.fields import EncryptedTextField, InetField
from ispstack.core.models import TenantScopedModel
from ispstack.network.constraints import CONSTRAINT_RULES

#: An ONU serial as printed on the label and reported by the OLT: the vendor
#: id (4 letters, e.g. ZTEG, HWTC, ALCL) and 8 hex digits, ITU-T G.984.3
#: 9.2.4.1 (vendor id + vendor-specific serial number).
ONU_SERIAL_RULE = r"^[A-Z]{4}[0-9A-F]{8}$"
#: A MAC address as stored: six upper-case hex pairs joined by colons (IEEE 802).
MAC_RULE = r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$"


def _latitude() -> models.DecimalField:
    # 6 decimals are about 0.1 m: finer than a handheld GPS reads.
    return models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
        help_text="WGS 84 latitude in degrees, -90..90.",
    )


def _longitude() -> models.DecimalField:
    return models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
        help_text="WGS 84 longitude in degrees, -180..180.",
    )


def _coverage_polygon() -> models.TextField:
    return models.TextField(
        blank=True,
        help_text="Coverage area as a GeoJSON Polygon or MultiPolygon (RFC 7946, "
        "longitude before latitude).",
    )


def _coverage_radius() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        null=True, blank=True, help_text="Coverage radius in metres around the site."
    )


class SiteKind(models.TextChoices):
    POP = "pop", "POP"
    TOWER = "tower", "Tower"
    CABINET = "cabinet", "Street cabinet"


class Site(TenantScopedModel):
    """A place holding network equipment: a POP, a tower or a street cabinet.

    ``latitude``/``longitude`` are WGS 84 degrees. Its coverage is either a
    GeoJSON polygon (``coverage_polygon``) or a circle of
    ``coverage_radius_m`` metres around the site; with neither, the site
    covers nothing itself (its sectors may). See ``network.coverage``.
    """

    kind = models.CharField(max_length=10, choices=SiteKind.choices)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    address = models.CharField(max_length=300, blank=True)
    latitude = _latitude()
    longitude = _longitude()
    coverage_polygon = _coverage_polygon()
    coverage_radius_m = _coverage_radius()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "slug"],
                name="network_site_slug_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_site_slug_unique"]),
            ),
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="network_site_name_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_site_name_unique"]),
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="network_site_gps_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="network_site_name_idx")]

    def __str__(self) -> str:
        return self.name


class DeviceRole(models.TextChoices):
    ROUTER = "router", "Router / NAS"
    OLT = "olt", "OLT"
    SWITCH = "switch", "Switch"
    AP = "ap", "Access point"
    CPE = "cpe", "CPE"


class Device(TenantScopedModel):
    """A managed network device of the ISP.

    ``serial`` is unique within the tenant; ``mac`` is stored as six
    upper-case hex pairs with colons. ``password`` (management credential)
    is encrypted at rest (``core.fields.EncryptedTextField``), never shown
    in lists or API output; staff with ``network.reveal_credentials`` read
    it through ``network.devices.reveal_password`` (audited).
    """

    role = models.CharField(max_length=10, choices=DeviceRole.choices)
    name = models.CharField(max_length=100)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    vendor = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    serial = models.CharField(max_length=60)
    mac = models.CharField(
        "MAC address",
        max_length=17,
        blank=True,
        validators=[RegexValidator(MAC_RULE, "six hex pairs separated by colons")],
    )
    management_address = InetField(null=True, blank=True)
    firmware = models.CharField(max_length=60, blank=True)
    username = models.CharField(max_length=64, blank=True, help_text="Management login.")
    password = EncryptedTextField(
        blank=True, help_text="Management password; encrypted at rest, never listed."
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("reveal_credentials", "Can reveal device management passwords")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "serial"],
                name="network_device_serial_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_device_serial_unique"]),
            ),
            models.UniqueConstraint(
                fields=["tenant", "mac"],
                condition=~models.Q(mac=""),
                name="network_device_mac_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_device_mac_unique"]),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "name", "id"], name="network_device_name_idx"),
            models.Index(fields=["tenant", "role"], name="network_device_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Sector(TenantScopedModel):
    """A sector of a site: the area one access point serves.

    ``azimuth`` is the antenna's bearing in degrees from true north (0-359),
    ``beamwidth`` its horizontal opening in degrees (1-360). Capacity is the
    planned number of subscribers and the throughput in Mbit/s. Its own
    coverage (a polygon, or a radius which with a beamwidth below 360 is the
    wedge azimuth +/- beamwidth/2) replaces the site's when set.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sectors")
    name = models.CharField(max_length=100)
    access_point = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="sectors"
    )
    band = models.CharField(max_length=30, blank=True, help_text="e.g. 5 GHz, 60 GHz, 3.5 GHz.")
    azimuth = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(359)], help_text="Degrees from true north, 0-359."
    )
    beamwidth = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(360)],
        help_text="Horizontal opening in degrees, 1-360.",
    )
    capacity_subscribers = models.PositiveIntegerField(null=True, blank=True)
    capacity_mbps = models.PositiveIntegerField(
        null=True, blank=True, help_text="Planned throughput in Mbit/s."
    )
    coverage_polygon = _coverage_polygon()
    coverage_radius_m = _coverage_radius()

    class Meta:
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                name="network_sector_name_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_sector_name_unique"]),
            ),
            models.CheckConstraint(
                condition=models.Q(azimuth__lte=359), name="network_sector_azimuth_range"
            ),
            models.CheckConstraint(
                condition=models.Q(beamwidth__gte=1, beamwidth__lte=360),
                name="network_sector_beamwidth_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} / {self.name}"


class PonPort(TenantScopedModel):
    """A PON port of an OLT (``slot``/``port``) and how many ONUs it serves.

    ``max_onus`` defaults to 64: the split ratio most GPON plants are built
    with (ITU-T G.984.1 allows up to 128 logical ONUs per port).
    """

    olt = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="pon_ports")
    slot = models.PositiveSmallIntegerField()
    port = models.PositiveSmallIntegerField()
    max_onus = models.PositiveSmallIntegerField(
        default=64, validators=[MinValueValidator(1), MaxValueValidator(256)]
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["olt", "slot", "port"]
        verbose_name = "PON port"
        constraints = [
            models.UniqueConstraint(
                fields=["olt", "slot", "port"],
                name="network_ponport_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_ponport_unique"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.olt.name} {self.slot}/{self.port}"


class OnuState(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    ASSIGNED = "assigned", "Assigned"
    FAULTY = "faulty", "Faulty"
    RETURNED = "returned", "Returned to supplier"


#: Where an assigned ONU may go when it is released.
RELEASE_STATES = (OnuState.IN_STOCK, OnuState.FAULTY, OnuState.RETURNED)


class Onu(TenantScopedModel):
    """An ONU (optical network unit) of the ISP's stock.

    Lifecycle (django-fsm-2, changed only by ``network.onus`` and
    ``subscriptions.equipment``): in_stock -> assigned (to a subscription)
    -> in_stock / faulty / returned on release; in_stock -> faulty;
    in_stock or faulty -> returned (to the supplier); faulty -> in_stock
    once repaired. ``serial`` follows ``ONU_SERIAL_RULE``, unique within the
    tenant.
    """

    serial = models.CharField(
        max_length=12,
        validators=[RegexValidator(ONU_SERIAL_RULE, "4 letters (vendor id) and 8 hex digits")],
    )
    model = models.CharField(max_length=60, blank=True)
    # Not ``protected``: callers refresh their copy after a service changed the row.
    state = FSMField(max_length=10, choices=OnuState.choices, default=OnuState.IN_STOCK)
    pon_port = models.ForeignKey(
        PonPort, null=True, blank=True, on_delete=models.SET_NULL, related_name="onus"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["serial"]
        verbose_name = "ONU"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "serial"],
                name="network_onu_serial_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_onu_serial_unique"]),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state"], name="network_onu_state_idx")]

    def __str__(self) -> str:
        return self.serial

    @transition(field=state, source=OnuState.IN_STOCK, target=OnuState.ASSIGNED)
    def assign(self) -> None:
        """Handed to a subscription."""

    @transition(
        field=state,
        source=OnuState.ASSIGNED,
        target=RETURN_VALUE(*(s.value for s in RELEASE_STATES)),
    )
    def release(self, to_state: str) -> str:
        """Taken back from its subscription, into ``to_state``."""
        return to_state

    @transition(field=state, source=OnuState.IN_STOCK, target=OnuState.FAULTY)
    def mark_faulty(self) -> None:
        """Found broken while in stock."""

    @transition(field=state, source=[OnuState.IN_STOCK, OnuState.FAULTY], target=OnuState.RETURNED)
    def send_back(self) -> None:
        """Returned to the supplier (RMA)."""

    @transition(field=state, source=OnuState.FAULTY, target=OnuState.IN_STOCK)
    def restock(self) -> None:
        """Repaired and back in stock."""


class Vlan(TenantScopedModel):
    """An IEEE 802.1Q VLAN of a site: ``vid`` 1-4094 (0 and 4095 are
    reserved), unique within the site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="vlans")
    vid = models.PositiveSmallIntegerField(
        "VLAN ID", validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["site", "vid"]
        verbose_name = "VLAN"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "vid"],
                name="network_vlan_vid_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_vlan_vid_unique"]),
            ),
            models.CheckConstraint(
                condition=models.Q(vid__gte=1, vid__lte=4094), name="network_vlan_vid_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vid} {self.name}"


class PlanVlan(TenantScopedModel):
    """Which VLAN of a site a plan's subscribers are put in; the row without
    a plan is the site's default VLAN for plans not mapped."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="plan_vlans")
    # A string reference: catalog is a neighbour on the same floor, not imported.
    plan = models.ForeignKey(
        "catalog.Plan", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    vlan = models.ForeignKey(Vlan, on_delete=models.CASCADE, related_name="plan_maps")

    class Meta:
        ordering = ["site", "plan"]
        verbose_name = "plan VLAN"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "plan"],
                name="network_planvlan_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_planvlan_unique"]),
            ),
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(plan__isnull=True),
                name="network_planvlan_default_unique",
                violation_error_message=str(CONSTRAINT_RULES["network_planvlan_default_unique"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site}: {self.plan or 'default'} -> {self.vlan}"
