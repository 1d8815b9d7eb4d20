from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "ispstack.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"
