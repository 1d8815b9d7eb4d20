from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ispstack.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from ispstack.billing.events import CreditNoteIssued, InvoicesIssued
        from ispstack.core import events, tenant_settings
        from ispstack.payments import (  # noqa: F401  (registers outbox handlers)
            methods,
            statement_mail,
            transfers,
        )
        from ispstack.payments.models import DirectDebitSettings
        from ispstack.payments.services import on_credit_note_issued, on_invoices_issued

        tenant_settings.register(DirectDebitSettings)

        # Credit is consumed in the same commit as the invoice or credit note,
        # so a document is never shown open while credit waits to pay it.
        events.subscribe(InvoicesIssued, on_invoices_issued, in_transaction=True)
        events.subscribe(CreditNoteIssued, on_credit_note_issued, in_transaction=True)
