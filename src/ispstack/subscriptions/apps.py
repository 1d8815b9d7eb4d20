from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "ispstack.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"
