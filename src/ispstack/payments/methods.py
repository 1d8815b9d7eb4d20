"""Customer payment methods: a card (a gateway token, never the number) or a
bank account for direct debit (IBAN validated with schwifty, the SEPA
mandate reference and signature date). One method per customer is primary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from ispstack.core import audit, inputs
from ispstack.core.errors import InvalidInput
from ispstack.customers.models import Customer
from ispstack.payments.models import CustomerPaymentMethod


def parse_iban(value: Any, field: str = "iban") -> IBAN:
    """A valid IBAN (country format and check digits, ISO 13616); raises InvalidInput."""
    try:
        return IBAN(str(value or "").strip())
    except SchwiftyException as exc:
        raise InvalidInput(f"'{value}' is not a valid IBAN ({exc})", field=field) from None


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
    """Save a card as the gateway's token with brand, last four digits and
    expiry: ``exp_month`` 1-12 and ``exp_year`` four digits, as the gateways
    give them. Raises InvalidInput."""
    if not (token or "").strip():
        raise InvalidInput("the gateway's card token is required", field="token")
    if not (isinstance(last4, str) and len(last4) == 4 and last4.isdigit()):
        raise InvalidInput("must be the last 4 digits", field="last4")
    month = inputs.whole_number(exp_month, "exp_month")
    if not 1 <= month <= 12:
        raise InvalidInput("must be 1 to 12", field="exp_month")
    year = inputs.whole_number(exp_year, "exp_year")
    if not 1000 <= year <= 9999:
        raise InvalidInput("must be a four-digit year", field="exp_year")
    return _save(
        customer,
        actor,
        primary,
        CustomerPaymentMethod(
            tenant=customer.tenant,
            customer=customer,
            kind=CustomerPaymentMethod.Kind.CARD,
            card_token=token.strip(),
            card_brand=(brand or "card").strip(),
            card_last4=last4,
            card_exp_month=month,
            card_exp_year=year,
        ),
    )


@transaction.atomic
def add_bank_account(
    *,
    customer: Customer,
    iban: str,
    holder_name: str,
    mandate_reference: str = "",
    mandate_signed_on: dt.date | None = None,
    primary: Any = False,
    actor: Any = None,
) -> CustomerPaymentMethod:
    """Save a bank account (validated IBAN) with its direct-debit mandate, if any."""
    account = parse_iban(iban)
    if not (holder_name or "").strip():
        raise InvalidInput("is required", field="holder_name")
    if mandate_reference and mandate_signed_on is None:
        raise InvalidInput("a mandate needs its signature date", field="mandate_signed_on")
    return _save(
        customer,
        actor,
        primary,
        CustomerPaymentMethod(
            tenant=customer.tenant,
            customer=customer,
            kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT,
            iban=account.compact,
            bic=str(account.bic or ""),
            holder_name=holder_name.strip(),
            mandate_reference=(mandate_reference or "").strip(),
            mandate_signed_on=mandate_signed_on,
        ),
    )


def _save(
    customer: Customer, actor: Any, primary: Any, method: CustomerPaymentMethod
) -> CustomerPaymentMethod:
    """Save ``method``; primary when asked (``primary``: a yes/no flag, see
    ``core.inputs.flag``) or when it is the customer's first. Methods of one
    customer are saved one at a time (its row lock), so two primaries
    saved at once end with one."""
    wanted = inputs.flag(primary, "primary")
    Customer.objects.select_for_update().get(pk=customer.pk)
    others = CustomerPaymentMethod.objects.filter(customer=customer)
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
