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
}
