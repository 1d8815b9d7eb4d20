from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "ispstack.accounting"
    label = "accounting"
    verbose_name = "Accounting"
