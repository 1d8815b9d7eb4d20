"""Customer payment methods: a card (a gateway token, never the number) or a
bank account for direct debit (IBAN validated with schwifty, the SEPA
mandate reference and signature date). One method per customer is primary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Job
from ispstack.customers.models import Customer
from ispstack.payments.gateways import gateway
from ispstack.payments.models import CustomerPaymentMethod

# ISO 13616-1: an IBAN has at most 34 characters; its print format adds a
# space after every group of four, so typed input may be 8 characters longer.
IBAN_INPUT_LENGTH = 34 + 8


def parse_iban(value: Any, field: str = "iban") -> IBAN:
    """A valid IBAN (country format and check digits, ISO 13616), compact or in
    its print format; raises InvalidInput (not a string, too long, invalid)."""
    text = inputs.text(value, field, required=True, max_length=IBAN_INPUT_LENGTH)
    try:
        return IBAN(text)
    except SchwiftyException as exc:
        raise InvalidInput(f"'{text}' is not a valid IBAN ({exc})", field=field) from None


@transaction.atomic
def add_card(
    *,
    customer: Customer,
    token: str,
    brand: str,
    last4: str,
    exp_month: Any,
    exp_year: Any,
    primary: Any = False,
    actor: Any = None,
) -> CustomerPaymentMethod:
    """Save a card as the gateway's token with brand, last four digits and expiry
    (month 1..12, a four-digit year between 1970 and 2199).

    Raises InvalidInput naming the field (token missing, last4 not four
    digits, a month or year out of range, a value too long for its column).
    """
    token = inputs.text(token, "token", required=True)
    brand = inputs.text(brand, "brand") or "card"
    last4 = inputs.text(last4, "last4")
    if not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
        raise InvalidInput("must be the last 4 digits", field="last4")
    month = inputs.whole_number(exp_month, "exp_month")
    if not 1 <= month <= 12:
        raise InvalidInput("must be 1 to 12", field="exp_month")
    year = inputs.whole_number(exp_year, "exp_year")
    if not inputs.EARLIEST_DATE.year <= year <= inputs.LATEST_DATE.year:
        raise InvalidInput(
            f"must be a year from {inputs.EARLIEST_DATE.year} to {inputs.LATEST_DATE.year}",
            field="exp_year",
        )
    values = {
        "card_token": token,
        "card_brand": brand,
        "card_last4": last4,
        "card_exp_month": month,
        "card_exp_year": year,
    }
    _check(values)
    return _save(
        customer,
        actor,
        inputs.flag(primary, "primary"),
        CustomerPaymentMethod(
            tenant=customer.tenant,
            customer=customer,
            kind=CustomerPaymentMethod.Kind.CARD,
            **values,
        ),
    )


@transaction.atomic
def add_bank_account(
    *,
    customer: Customer,
    iban: str,
    holder_name: str,
    mandate_reference: str = "",
    mandate_signed_on: dt.date | str | None = None,
    primary: Any = False,
    actor: Any = None,
) -> CustomerPaymentMethod:
    """Save a bank account (validated IBAN) with its direct-debit mandate, if any:
    the SEPA mandate id (MndtId, at most 35 characters) and the date it was signed.

    Raises InvalidInput naming the field.
    """
    account = parse_iban(iban)
    holder = inputs.text(holder_name, "holder_name", required=True)
    reference = inputs.text(mandate_reference, "mandate_reference")
    signed_on = (
        None
        if mandate_signed_on in (None, "")
        else inputs.day(mandate_signed_on, "mandate_signed_on")
    )
    if reference and signed_on is None:
        raise InvalidInput("a mandate needs its signature date", field="mandate_signed_on")
    values = {
        "iban": account.compact,
        "bic": str(account.bic or ""),
        "holder_name": holder,
        "mandate_reference": reference,
        "mandate_signed_on": signed_on,
    }
    _check(values)
    return _save(
        customer,
        actor,
        inputs.flag(primary, "primary"),
        CustomerPaymentMethod(
            tenant=customer.tenant,
            customer=customer,
            kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT,
            **values,
        ),
    )


# The API's input names of the card columns, so an error names what was sent.
_INPUT_NAMES = {
    "card_token": "token",
    "card_brand": "brand",
    "card_last4": "last4",
    "card_exp_month": "exp_month",
    "card_exp_year": "exp_year",
}


def _check(values: dict[str, Any]) -> None:
    """``core.inputs.check_values`` on a payment method's columns, naming the input field."""
    try:
        inputs.check_values(CustomerPaymentMethod, values)
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, field=_INPUT_NAMES.get(exc.field or "", exc.field)
        ) from None


def _save(
    customer: Customer, actor: Any, primary: Any, method: CustomerPaymentMethod
) -> CustomerPaymentMethod:
    """Save ``method``; primary when asked (``primary``: a yes/no flag, see
    ``core.inputs.flag``) or when it is the customer's first. Methods of one
    customer are saved one at a time (its row lock), so two primaries
    saved at once end with one."""
    wanted = inputs.flag(primary, "primary")
    Customer.objects.select_for_update().get(pk=customer.pk)
    others = CustomerPaymentMethod.objects.filter(customer=customer, removed_at__isnull=True)
    method.is_primary = wanted or not others.exists()
    if method.is_primary:
        others.update(is_primary=False)
    method.save()
    audit.record(
        tenant=customer.tenant,
        actor=actor,
        action="payment_method.add",
        obj=method,
        after={"kind": method.kind, "display": method.display},
    )
    return method


def _locked(method: CustomerPaymentMethod) -> CustomerPaymentMethod:
    """``method`` read again under its customer's row lock (methods of one
    customer change one at a time); raises InvalidTransition once removed."""
    Customer.objects.select_for_update().get(pk=method.customer_id)
    locked = CustomerPaymentMethod.objects.get(pk=method.pk)
    if locked.removed_at is not None:
        raise InvalidTransition("the payment method was removed", field="method")
    return locked


@transaction.atomic
def set_primary(*, method: CustomerPaymentMethod, actor: Any = None) -> CustomerPaymentMethod:
    """Make ``method`` the customer's primary one (the one direct debits and
    card charges use); the previous primary stays saved. Raises
    InvalidTransition (removed)."""
    locked = _locked(method)
    if not locked.is_primary:
        CustomerPaymentMethod.objects.filter(customer_id=locked.customer_id).update(
            is_primary=False
        )
        locked.is_primary = True
        locked.save(update_fields=["is_primary", "updated_at"])
    audit.record(tenant=locked.tenant, actor=actor, action="payment_method.primary", obj=locked)
    return locked


@transaction.atomic
def remove_method(*, method: CustomerPaymentMethod, actor: Any = None) -> CustomerPaymentMethod:
    """Remove a saved method: kept (``removed_at``) for the payments and
    direct debits that used it, never used again. When it was primary, the
    oldest remaining method becomes primary. A card saved at the gateway is
    also deleted there (the job ``payments.remove_card``, retried until the
    gateway answers), so a leaked token or a gateway-side charge cannot use
    it. Raises InvalidTransition (removed already)."""
    locked = _locked(method)
    was_primary = locked.is_primary
    locked.removed_at = clock.now()
    locked.is_primary = False
    locked.save(update_fields=["removed_at", "is_primary", "updated_at"])
    if was_primary:
        following = (
            CustomerPaymentMethod.objects.filter(
                customer_id=locked.customer_id, removed_at__isnull=True
            )
            .order_by("id")
            .first()
        )
        if following is not None:
            following.is_primary = True
            following.save(update_fields=["is_primary", "updated_at"])
    at_gateway = locked.kind == CustomerPaymentMethod.Kind.CARD and locked.gateway_customer
    if at_gateway and settings.STRIPE_API_KEY:
        outbox.enqueue(
            tenant=locked.tenant,
            kind="payments.remove_card",
            payload={"customer": locked.gateway_customer, "card": locked.card_token},
        )
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="payment_method.remove",
        obj=locked,
        before={"display": locked.display, "primary": was_primary},
    )
    return locked


@outbox.handler("payments.remove_card")
def run_remove_card(job: Job) -> None:
    """Perform the job ``payments.remove_card``: delete the card at the gateway."""
    gateway().remove_card(customer_id=job.payload["customer"], card_id=job.payload["card"])
