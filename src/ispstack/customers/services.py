"""Writes on customers. Every function is one business operation, in one
transaction, audited, raising ``core.errors`` on bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.core.numbering import next_number
from ispstack.customers.models import Customer, CustomerStatus
from ispstack.customers.selectors import settings_for

ADDRESS_FIELDS = (
    "billing_address_line1",
    "billing_address_line2",
    "billing_city",
    "billing_postal_code",
    "billing_country",
    "service_address_line1",
    "service_address_line2",
    "service_city",
    "service_postal_code",
    "service_country",
    "notes",
    "tax_exemption_reference",
)


def normalize_phone(value: str, region: str) -> str:
    """``value`` as E.164 (libphonenumber), read in ``region`` when it has no +prefix.

    Raises InvalidInput (field ``phone``) for a number that can't be valid.
    """
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{value}' is not a phone number ({exc})", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"'{value}' is not a valid phone number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    number = inputs.decimal_number(value, field)
    if not -limit <= number <= limit:
        raise InvalidInput(f"must be between -{limit} and {limit} degrees", field=field)
    return number.quantize(Decimal("0.000001"))


INPUT_FIELDS = (
    "name",
    "email",
    "phone",
    "currency",
    "service_latitude",
    "service_longitude",
    "tax_exempt",
    "tags",
    *ADDRESS_FIELDS,
)


def _clean(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    inputs.unknown_fields(data, INPUT_FIELDS)
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = inputs.text(data["name"], "name", required=True)
    if "email" in data:
        email = inputs.text(data["email"], "email", required=True).lower()
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(f"'{email}' is not an email address", field="email") from None
        clean["email"] = email
    if "phone" in data:
        clean["phone"] = normalize_phone(inputs.text(data["phone"], "phone"), tenant.country)
    if "currency" in data:
        clean["currency"] = inputs.currency(data["currency"], tenant.currency)
    if "tags" in data:
        tags = data["tags"] or []
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            raise InvalidInput("must be a list of words", field="tags")
        clean["tags"] = sorted({inputs.text(t, "tags", max_length=50).lower() for t in tags})
    if "tax_exempt" in data:
        clean["tax_exempt"] = inputs.flag(data["tax_exempt"], "tax_exempt")
        reference = inputs.text(data.get("tax_exemption_reference"), "tax_exemption_reference")
        if clean["tax_exempt"] and not reference:
            raise InvalidInput(
                "an exempt customer needs its exemption reference", field="tax_exemption_reference"
            )
    if "service_latitude" in data:
        clean["service_latitude"] = _coordinate(data["service_latitude"], "service_latitude", 90)
    if "service_longitude" in data:
        clean["service_longitude"] = _coordinate(
            data["service_longitude"], "service_longitude", 180
        )
    for field in ADDRESS_FIELDS:
        if field in data:
            clean[field] = inputs.text(data[field], field)
            if field.endswith("_country"):
                clean[field] = clean[field].upper()
                if clean[field] and len(clean[field]) != 2:
                    raise InvalidInput("must be an ISO 3166-1 alpha-2 code", field=field)
    inputs.check_values(Customer, clean)
    return clean


def validate_customer(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    """Check customer input without writing; returns the cleaned values. Raises InvalidInput."""
    return _clean(tenant, data)


@transaction.atomic
def create_customer(*, tenant: Tenant, actor: Any = None, **data: Any) -> Customer:
    """Open a customer account with the next account number of the tenant's format.

    Required: ``name``, ``email``. Optional: ``phone`` (normalised to E.164),
    ``currency`` (default: the tenant's), addresses, ``service_latitude`` /
    ``service_longitude`` in decimal degrees. Raises InvalidInput.
    """
    if "name" not in data:
        raise InvalidInput("is required", field="name")
    if "email" not in data:
        raise InvalidInput("is required", field="email")
    data.setdefault("currency", tenant.currency)
    clean = _clean(tenant, data)
    year = clock.today(tenant).year
    customer = Customer(
        tenant=tenant,
        account_number=next_number(
            tenant, "account", year, settings_for(tenant).account_number_format
        ),
        **clean,
    )
    customer.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="customer.create",
        obj=customer,
        after=audit.snapshot(customer),
    )
    return customer


@transaction.atomic
def update_customer(*, customer: Customer, actor: Any = None, **data: Any) -> Customer:
    """Change a customer's contact details or addresses. Raises InvalidInput.

    The status is not an input: it follows the subscriptions
    (``set_status``)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = audit.snapshot(customer)
    clean = _clean(customer.tenant, data)
    for field, value in clean.items():
        setattr(customer, field, value)
    customer.save()
    audit.record(
        tenant=customer.tenant,
        actor=actor,
        action="customer.update",
        obj=customer,
        before=before,
        after=audit.snapshot(customer),
    )
    return customer


def set_status(*, customer: Customer, status: str, actor: Any = None, reason: str = "") -> bool:
    """Move the customer to ``status`` (a ``CustomerStatus``), audited; True if it changed.

    Called by the floors that decide it (collections suspends a customer
    for non-payment and reactivates it once cleared); staff don't edit it.
    """
    if status not in CustomerStatus.values:
        raise InvalidInput(f"must be one of {', '.join(CustomerStatus.values)}", field="status")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status == status:
        return False
    before = audit.snapshot(locked, ["status"])
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    customer.status = status
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="customer.status",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, ["status"]),
        reason=reason,
    )
    return True
