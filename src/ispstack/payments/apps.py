from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ispstack.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from ispstack.core import events
        from ispstack.payments import transfers  # noqa: F401  (registers outbox handlers)
        from ispstack.payments.services import on_credit_note_issued, on_invoices_issued

        events.subscribe(events.INVOICES_ISSUED, on_invoices_issued)
        events.subscribe(events.CREDIT_NOTE_ISSUED, on_credit_note_issued)
