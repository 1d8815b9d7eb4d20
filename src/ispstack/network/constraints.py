"""What each database constraint of the network app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "network_ippool_name_unique": Rule("name", "is taken: pool names are unique within the ISP"),
    "network_ipaddress_unique": Rule(
        "pool", "gave this address out already: an address has one holder at a time"
    ),
    "network_prefixpool_name_unique": Rule(
        "name", "is taken: prefix pool names are unique within the ISP"
    ),
    "nas_nasname_unique": Rule(
        "nasname",
        "is taken: a NAS address belongs to one ISP only (FreeRADIUS loads every NAS "
        "as a client, keyed by its address)",
    ),
    "network_site_slug_unique": Rule("slug", "is taken: site slugs are unique within the ISP"),
    "network_site_name_unique": Rule("name", "is taken: site names are unique within the ISP"),
    "network_site_gps_range": Rule(
        "latitude", "must lie within -90..90 and the longitude within -180..180 (WGS 84)"
    ),
    "network_device_serial_unique": Rule(
        "serial", "is taken: a device serial is unique within the ISP"
    ),
    "network_device_mac_unique": Rule("mac", "is taken: a MAC address is unique within the ISP"),
    "network_sector_name_unique": Rule("name", "is taken: sector names are unique within a site"),
    "network_sector_azimuth_range": Rule("azimuth", "must be 0-359 degrees"),
    "network_sector_beamwidth_range": Rule("beamwidth", "must be 1-360 degrees"),
    "network_ponport_unique": Rule("port", "is taken: the OLT has this slot/port already"),
    "network_onu_serial_unique": Rule("serial", "is taken: an ONU serial is unique within the ISP"),
    "network_vlan_vid_unique": Rule("vid", "is taken: a VLAN ID is unique within a site"),
    "network_vlan_vid_range": Rule("vid", "must be 1-4094 (IEEE 802.1Q)"),
    "network_planvlan_unique": Rule("plan", "has a VLAN at this site already"),
    "network_planvlan_default_unique": Rule("plan", "the site has a default VLAN already"),
}
