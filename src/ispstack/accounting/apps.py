from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "ispstack.accounting"
    label = "accounting"
    verbose_name = "Accounting"

    def ready(self) -> None:
        from ispstack.accounting import services
        from ispstack.core import events
        from ispstack.sales.events import QuoteAccepted

        # In the acceptance's transaction: the terms must exist before the
        # first invoice bills the charges.
        events.subscribe(QuoteAccepted, services.on_quote_accepted, in_transaction=True)
