"""Models of the provisioning app (one module per area)."""

from ispstack.provisioning.models.leads import Lead, SiteSurvey, SurveyPhoto
from ispstack.provisioning.models.orders import OrderStep, ServiceOrder

__all__ = ["Lead", "OrderStep", "ServiceOrder", "SiteSurvey", "SurveyPhoto"]
