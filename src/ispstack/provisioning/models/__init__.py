"""The provisioning app's models, one module per area; Django finds them here."""

from ispstack.provisioning.models.leads import Lead, SiteSurvey, SurveyPhoto
from ispstack.provisioning.models.orders import OrderStep, ServiceOrder
from ispstack.provisioning.models.settings import IpamBackend, ProvisioningSettings

__all__ = [
    "IpamBackend",
    "Lead",
    "OrderStep",
    "ProvisioningSettings",
    "ServiceOrder",
    "SiteSurvey",
    "SurveyPhoto",
]
