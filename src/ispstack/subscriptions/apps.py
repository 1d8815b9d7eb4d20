from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "ispstack.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from ispstack.core import tenant_settings
        from ispstack.network.prefixes import register_holders
        from ispstack.subscriptions.access import HOLDER_COLUMN, holders_of
        from ispstack.subscriptions.models import SubscriptionSettings

        tenant_settings.register(SubscriptionSettings)

        # A subscription's framed and delegated IPv6 prefixes are what its
        # pools hand out (network sits below subscriptions).
        for kind, column in HOLDER_COLUMN.items():
            register_holders(kind, holders_of(column))
