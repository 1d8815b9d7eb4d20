"""The provisioning app's models, one module per area; Django finds them here."""

from ispstack.provisioning.models.settings import IpamBackend, ProvisioningSettings

__all__ = ["IpamBackend", "ProvisioningSettings"]
