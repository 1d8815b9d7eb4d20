"""REST API of the network app: the NAS registry."""
