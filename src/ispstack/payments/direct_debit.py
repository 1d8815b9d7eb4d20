"""SEPA direct debit: pain.008 collections and the bank's returns.

``create_batch`` collects every open invoice due by the collection date of
customers whose primary payment method is a bank account with a signed
mandate, in one pain.008.001.02 file (sepaxml, validated against its XSD).
The first collection on a mandate is FRST, later ones RCUR (SEPA Core
rulebook). An invoice is in at most one pending collection. ``settle_batch``
books the collected money as payments once the bank has credited it.
``import_returns`` reads the bank's pain.002 status report or camt.054
R-transactions: each returned collection (reason code such as AM04
insufficient funds, MD01 no mandate) is marked, its payment reversed (the
invoice is open again) and the tenant's return fee charged on the next
invoice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from lxml import etree

from ispstack.billing.models import OPEN_STATUSES, Invoice
from ispstack.billing.proration import add_charge
from ispstack.core import audit, inputs
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, to_minor_units
from ispstack.payments.models import (
    CustomerPaymentMethod,
    DirectDebitBatch,
    DirectDebitItem,
    PaymentMethod,
)
from ispstack.payments.selectors import settings_for
from ispstack.payments.services import record_payment, reverse_payment

# A bank's returns file lists a day's rejected collections: a few kilobytes
# each; 20 MB, as for statements, bounds what is parsed in memory.
MAX_FILE_BYTES = 20 * 1024 * 1024


def _creditor(tenant: Tenant) -> dict[str, Any]:
    creditor = settings_for(tenant)
    missing = [
        name
        for name, value in (
            ("sepa_creditor_id", creditor.sepa_creditor_id),
            ("sepa_creditor_iban", creditor.sepa_creditor_iban),
            ("sepa_creditor_bic", creditor.sepa_creditor_bic),
        )
        if not value
    ]
    if missing:
        raise InvalidInput("the tenant's SEPA creditor data is incomplete", field=missing[0])
    return {
        "name": (tenant.legal_name or tenant.name)[:70],
        "IBAN": creditor.sepa_creditor_iban,
        "BIC": creditor.sepa_creditor_bic,
        "batch": True,
        "creditor_id": creditor.sepa_creditor_id,
        "currency": "EUR",
    }


@transaction.atomic
def create_batch(
    *, tenant: Tenant, collection_date: dt.date | str, actor: Any = None
) -> DirectDebitBatch:
    """Build the pain.008 for every collectable invoice due by ``collection_date``
    (a date, or ``YYYY-MM-DD``, between 1970 and 2199).

    Raises InvalidInput when the date is not one, the creditor data is
    missing or nothing is due.
    """
    from sepaxml import SepaDD

    collection_date = inputs.day(collection_date, "collection_date")

    sepa = SepaDD(_creditor(tenant), schema="pain.008.001.02", clean=True)
    mandates = {
        m.customer_id: m
        for m in CustomerPaymentMethod.objects.for_tenant(tenant)
        .filter(
            kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT,
            is_primary=True,
            mandate_signed_on__isnull=False,
        )
        .exclude(mandate_reference="")
    }
    invoices = (
        Invoice.objects.for_tenant(tenant)
        .select_for_update()
        .filter(
            status__in=OPEN_STATUSES,
            due_date__lte=collection_date,
            customer_id__in=mandates.keys(),
            currency="EUR",
        )
        .exclude(debits__status=DirectDebitItem.Status.PENDING)
        .order_by("due_date", "pk")
    )
    batch = DirectDebitBatch(
        tenant=tenant, collection_date=collection_date, message_id=uuid.uuid4().hex[:35], xml=""
    )
    items = []
    used = set(
        DirectDebitItem.objects.for_tenant(tenant)
        .filter(status__in=[DirectDebitItem.Status.COLLECTED, DirectDebitItem.Status.PENDING])
        .values_list("method_id", flat=True)
    )
    for invoice in invoices:
        amount = invoice.amount_due
        if amount <= ZERO:
            continue
        method = mandates[invoice.customer_id]
        sequence = "RCUR" if method.pk in used else "FRST"
        used.add(method.pk)
        end_to_end = f"{invoice.number}-{uuid.uuid4().hex[:8]}"[:35]
        sepa.add_payment(
            {
                "name": method.holder_name,
                "IBAN": method.iban,
                **({"BIC": method.bic} if method.bic else {}),
                "amount": to_minor_units(amount, "EUR"),
                "type": sequence,
                "collection_date": collection_date,
                "mandate_id": method.mandate_reference,
                "mandate_date": method.mandate_signed_on,
                "description": f"Invoice {invoice.number}",
                "endtoend_id": end_to_end,
            }
        )
        items.append(
            DirectDebitItem(
                tenant=tenant,
                invoice=invoice,
                method=method,
                amount=amount,
                sequence_type=sequence,
                end_to_end_id=end_to_end,
            )
        )
    if not items:
        raise InvalidInput(f"nothing to collect on {collection_date}", field="collection_date")
    batch.xml = sepa.export(validate=True).decode()
    batch.total = sum((i.amount for i in items), ZERO)
    batch.count = len(items)
    batch.save()
    for item in items:
        item.batch = batch
    DirectDebitItem.objects.bulk_create(items)
    audit.record(
        tenant=tenant,
        actor=actor,
        action="direct_debit.batch",
        obj=batch,
        after={"count": batch.count, "total": str(batch.total)},
    )
    return batch


@transaction.atomic
def settle_batch(*, batch: DirectDebitBatch, actor: Any = None) -> DirectDebitBatch:
    """The bank credited the collection: each pending item becomes a payment."""
    batch = DirectDebitBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != DirectDebitBatch.Status.CREATED:
        raise InvalidTransition("the batch was settled already", field="status")
    for item in batch.items.filter(status=DirectDebitItem.Status.PENDING).select_related(
        "invoice__customer"
    ):
        item.payment = record_payment(
            tenant=batch.tenant,
            customer=item.invoice.customer,
            amount=item.amount,
            received_on=batch.collection_date,
            method=PaymentMethod.DIRECT_DEBIT,
            reference=item.end_to_end_id,
            actor=actor,
        )
        item.status = DirectDebitItem.Status.COLLECTED
        item.save(update_fields=["payment", "status", "updated_at"])
    batch.status = DirectDebitBatch.Status.SETTLED
    batch.save(update_fields=["status", "updated_at"])
    return batch


def parse_returns(data: bytes) -> list[tuple[str, str]]:
    """(original EndToEndId, reason code) of every rejected or returned
    transaction in a pain.002 (TxInfAndSts with TxSts RJCT) or a camt.054
    (entries with RtrInf), at most ``MAX_FILE_BYTES``. Raises InvalidInput
    (field ``file``) naming the line at fault."""
    if not isinstance(data, bytes):
        raise InvalidInput("must be the file's content (bytes)", field="file")
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("the file is larger than 20 MB", field="file")
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(
            f"not well-formed XML, line {exc.lineno}: {exc.msg}", field="file"
        ) from None

    def local(node: Any, name: str) -> list[Any]:
        return node.xpath(f".//*[local-name()='{name}']")

    def text(node: Any, name: str) -> str:
        found = local(node, name)
        return (found[0].text or "").strip() if found else ""

    returns = []
    for tx in local(root, "TxInfAndSts"):
        if text(tx, "TxSts") == "RJCT":
            returns.append((text(tx, "OrgnlEndToEndId"), text(tx, "Cd")))
    for tx in local(root, "TxDtls"):
        if local(tx, "RtrInf"):
            reason = text(local(tx, "RtrInf")[0], "Cd")
            returns.append((text(tx, "EndToEndId"), reason))
    if not returns and not local(root, "TxInfAndSts") and not local(root, "Ntry"):
        raise InvalidInput("not a pain.002 status report or camt.054 notification", field="file")
    for end_to_end, reason in returns:
        if not end_to_end:
            raise InvalidInput("a returned transaction has no end-to-end id", field="file")
        if not reason:
            raise InvalidInput(f"{end_to_end}: no reason code", field="file")
    return returns


@transaction.atomic
def import_returns(*, tenant: Tenant, data: bytes, actor: Any = None) -> list[DirectDebitItem]:
    """Mark returned collections, reverse their payments, charge the return fee.

    A return seen twice changes nothing the second time; an unknown
    end-to-end id is refused (nothing is written).
    """
    returned = []
    for end_to_end, reason in parse_returns(data):
        item = (
            DirectDebitItem.objects.for_tenant(tenant)
            .select_for_update()
            .filter(end_to_end_id=end_to_end)
            .select_related("invoice", "batch")
            .first()
        )
        if item is None:
            raise InvalidInput(f"{end_to_end}: no such collection", field="file")
        if item.status == DirectDebitItem.Status.RETURNED:
            continue
        if item.payment is not None:
            reverse_payment(
                payment=item.payment,
                reason=f"direct debit returned: {reason}",
                on=item.batch.collection_date,
                actor=actor,
            )
        item.status = DirectDebitItem.Status.RETURNED
        item.return_reason = reason[:4]
        item.save(update_fields=["status", "return_reason", "updated_at"])
        fee = Decimal(settings_for(tenant).direct_debit_return_fee)
        subscription = (
            item.invoice.lines.filter(subscription__isnull=False)
            .values_list("subscription", flat=True)
            .first()
        )
        if fee > ZERO and subscription is not None:
            from ispstack.subscriptions.models import Subscription

            add_charge(
                subscription=Subscription.objects.get(pk=subscription),
                description=f"Returned direct debit {item.end_to_end_id} ({reason})",
                amount=fee,
            )
        returned.append(item)
    return returned
