"""REST API of the network app: the NAS registry, IPv4 pools and IPv6 prefix pools."""
