from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "ispstack.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.webhooks import services

        # In the transaction: a delivery row exists exactly when the change
        # committed; the HTTP call itself is an outbox job run after commit.
        events.subscribe(
            events.Event,
            services.on_event,
            in_transaction=True,
            order=100,
            many=services.on_events,
        )
