"""Adapters to the systems outside ispstack that a service order drives:
IPAM (NetBox), the TR-069 ACS (GenieACS) and the router (MikroTik RouterOS).
``base`` holds the interfaces the order steps call; each implementation lives
in its own module and is chosen per tenant."""
