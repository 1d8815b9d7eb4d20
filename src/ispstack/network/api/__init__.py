"""REST API of the network app: IPv4 pools and IPv6 prefix pools."""
