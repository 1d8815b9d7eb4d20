"""MAC onboarding: a router's DHCP lease script reports each device it leases
an address to; ispstack keeps a MAC profile per device and, by the tenant's
hotspot policy, lets known devices log in by MAC through FreeRADIUS."""
