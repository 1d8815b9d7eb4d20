"""From lead to online: leads, site surveys, service orders run as resumable
steps, and the adapters to NetBox, GenieACS and MikroTik."""
