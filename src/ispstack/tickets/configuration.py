"""Writes of the helpdesk's configuration not covered by ``services``: the
tenant's own holidays, its helpdesk settings, and deleting configuration
rows. Each is one transaction and writes an audit row, so a change made in
the back office is recorded like one made through the API.

Teams, routing, SLA policies and canned responses are written by
``tickets.services`` (``create_team``, ``route_type``, ``set_sla_policy``,
``save_canned_response`` ...).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from ispstack.core import audit, inputs
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant
from ispstack.tickets.models import Holiday, TicketSettings

SETTINGS_FIELDS = (
    "number_format",
    "reopen_days",
    "send_acknowledgements",
    "max_attachment_bytes",
    "attachment_types",
    "business_days",
    "business_day_start",
    "business_day_end",
    "holiday_country",
    "holiday_subdivision",
)


def _invalid(exc: ValidationError) -> InvalidInput:
    """The first message of a model ``ValidationError`` as InvalidInput naming its field."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return InvalidInput(str(errors[0].messages[0]), field=None if field == "__all__" else field)
    return InvalidInput(str(exc.messages[0]))


@transaction.atomic
def save_holiday(
    *, tenant: Tenant, day: Any, name: Any, holiday: Holiday | None = None, actor: Any = None
) -> Holiday:
    """Create (``holiday`` None) or change one of the tenant's own days off
    (``day`` a date, ``name`` text). Audited as ``holiday.save``.

    Raises InvalidInput naming ``day`` or ``name``, Conflict naming ``day``
    (the tenant has a holiday that day)."""
    if not isinstance(day, dt.date):
        raise InvalidInput("must be a date (YYYY-MM-DD)", field="day")
    clean_name = inputs.text(name, "name", required=True, max_length=100)
    row = holiday or Holiday(tenant=tenant)
    before = audit.snapshot(row) if row.pk else None
    taken = Holiday.objects.filter(tenant=tenant, day=day).exclude(pk=row.pk)
    if taken.exists():
        raise Conflict(f"{day} is a holiday already", field="day")
    row.day, row.name = day, clean_name
    row.save()
    audit.record(
        tenant=tenant,
        actor=actor,
        action="holiday.save",
        obj=row,
        before=before,
        after=audit.snapshot(row),
    )
    return row


@transaction.atomic
def save_settings(*, tenant: Tenant, actor: Any = None, **values: Any) -> TicketSettings:
    """Change the tenant's helpdesk settings (``SETTINGS_FIELDS``; the row is
    created with the defaults when missing). Checked by the model's
    validators (number format, weekdays, MIME types, limits, a business day
    that ends after it starts). Audited as ``ticket_settings.save`` with
    the values before and after.

    Raises InvalidInput naming the field."""
    inputs.unknown_fields(values, SETTINGS_FIELDS)
    row = TicketSettings.objects.select_for_update().filter(tenant=tenant).first()
    row = row or TicketSettings(tenant=tenant)
    before = audit.snapshot(row, list(SETTINGS_FIELDS))
    for name, value in values.items():
        setattr(row, name, value)
    try:
        row.full_clean(exclude=["tenant"])
    except ValidationError as exc:
        raise _invalid(exc) from None
    row.save()
    # The caller's tenant instance keeps its settings cached (settings_for): refresh it.
    tenant.ticket_settings = row
    audit.record(
        tenant=tenant,
        actor=actor,
        action="ticket_settings.save",
        obj=row,
        before=before,
        after=audit.snapshot(row, list(SETTINGS_FIELDS)),
    )
    return row


@transaction.atomic
def delete_config(*, row: models.Model, actor: Any = None) -> None:
    """Delete one configuration row of a tenant (a team, a routing, an SLA
    policy, a holiday), recording what it was. Audited as
    ``<model>.delete`` (e.g. ``holiday.delete``). Tickets of a deleted team
    lose their team (the foreign key sets it to null)."""
    audit.record(
        tenant=row.tenant,  # type: ignore[attr-defined]
        actor=actor,
        action=f"{row._meta.model_name}.delete",
        obj=row,
        before=audit.snapshot(row),
    )
    row.delete()
