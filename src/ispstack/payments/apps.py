from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ispstack.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.payments.services import on_invoice_issued

        events.subscribe(events.INVOICE_ISSUED, on_invoice_issued)
