"""The helpdesk settings of a tenant (one row per tenant, ``core.tenant_settings``)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import Tenant
from ispstack.core.tenancy import TenantQuerySet

# Product default: what a customer usually sends (screenshots, photos of a
# CPE, PDFs of a bill, plain text logs).
DEFAULT_ATTACHMENT_TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
]

_NUMBER_FIELDS = re.compile(r"\{(\w+)")


def format_ticket_number(fmt: str, *, day: dt.date, seq: int = 0, token: str = "0000") -> str:
    """A ticket number from ``fmt``, a ``str.format`` template with
    ``{date:%Y%m%d}`` (the tenant-local day), ``{year}``, ``{seq}`` (a
    counter per year) and ``{rand4hex}`` (``token``: four upper-case hex
    digits that look random, ``tickets.services.day_token``).

    Raises KeyError, IndexError or ValueError for a template with other names.
    """
    return fmt.format(date=day, year=day.year, seq=seq, rand4hex=token)


def validate_ticket_number_format(value: str) -> None:
    """Model validator: the format must make numbers unique enough, with
    ``{seq}`` or ``{rand4hex}``, and use no other names than those of
    ``format_ticket_number``."""
    names = set(_NUMBER_FIELDS.findall(value))
    if not names & {"seq", "rand4hex"}:
        raise ValidationError(
            "A ticket number format must contain {seq} or {rand4hex}, "
            "e.g. TCK-{date:%Y%m%d}-{rand4hex}."
        )
    try:
        format_ticket_number(value, day=dt.date(2026, 1, 1), seq=1)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ValidationError(
            f"This is not a valid ticket number format ({exc}): use {{date:%Y%m%d}}, "
            "{year}, {seq} and {rand4hex}."
        ) from None


def validate_weekdays(value: object) -> None:
    """A list of ISO weekdays (1 Monday .. 7 Sunday), at least one."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in value)
    ):
        raise ValidationError(
            "Business days are ISO weekdays 1 (Monday) to 7 (Sunday), e.g. [1, 2, 3, 4, 5]."
        )


def validate_mime_types(value: object) -> None:
    """A list of MIME types such as ``image/png``."""
    if not isinstance(value, list) or not all(
        isinstance(v, str) and re.fullmatch(r"[\w.+-]+/[\w.+-]+", v) for v in value
    ):
        raise ValidationError(
            'Allowed types are MIME types, e.g. ["image/png", "application/pdf"].'
        )


def default_weekdays() -> list[int]:
    return [1, 2, 3, 4, 5]


def default_attachment_types() -> list[str]:
    return list(DEFAULT_ATTACHMENT_TYPES)


# Callables, not dt.time values: Django's fields.W161 flags a fixed time
# default whenever `check` runs within ten seconds of that time of day, which
# made `check --deploy` fail at 08:00 UTC.
def default_business_day_start() -> dt.time:
    """08:00, the usual opening of an ISP helpdesk (product default)."""
    return dt.time(8, 0)


def default_business_day_end() -> dt.time:
    """17:00, the usual close of an ISP helpdesk (product default)."""
    return dt.time(17, 0)


class TicketSettings(models.Model):
    """How a tenant runs its helpdesk: ticket numbers, reopening, attachment
    limits, automatic acknowledgements and the business hours its SLA
    targets are counted in.

    One row per tenant, created with the defaults when the tenant is (see
    ``core.tenant_settings``); read it with ``tickets.selectors.settings_for``.
    """

    tenant = models.OneToOneField(
        Tenant, primary_key=True, on_delete=models.CASCADE, related_name="ticket_settings"
    )
    number_format = models.CharField(
        _("ticket number format"),
        max_length=50,
        default="TCK-{date:%Y%m%d}-{rand4hex}",
        validators=[validate_ticket_number_format],
        help_text=_(
            "{date:%Y%m%d} is the day the ticket is opened, {rand4hex} four random hex "
            "digits, {seq:05d} a counter per year, {year} the year."
        ),
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("reopen window (days)"),
        default=7,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "A customer reply within this many days of resolution reopens the ticket; "
            "a later one opens a new ticket that refers to it."
        ),
    )
    max_attachment_bytes = models.PositiveIntegerField(
        _("largest attachment (bytes)"),
        default=10 * 1024 * 1024,
        validators=[MinValueValidator(1024), MaxValueValidator(100 * 1024 * 1024)],
    )
    attachment_types = models.JSONField(
        _("allowed attachment types"),
        default=default_attachment_types,
        validators=[validate_mime_types],
        help_text=_("MIME types, checked against the file's content, not its name."),
    )
    send_acknowledgements = models.BooleanField(
        _("acknowledge new tickets by email"),
        default=True,
        help_text=_(
            "Mail the customer the number of a ticket opened by their email, and tell them "
            "when their report is grouped under an outage already being worked. Off: the "
            "helpdesk answers in person."
        ),
    )
    business_days = models.JSONField(
        _("business days"),
        default=default_weekdays,
        validators=[validate_weekdays],
        help_text=_("ISO weekdays the helpdesk works, 1 (Monday) to 7 (Sunday)."),
    )
    business_day_start = models.TimeField(
        _("business day starts"), default=default_business_day_start
    )
    business_day_end = models.TimeField(_("business day ends"), default=default_business_day_end)
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166-1 alpha-2; blank: the tenant's country."),
    )
    holiday_subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("ISO 3166-2 subdivision for regional holidays (e.g. BY), or blank."),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("helpdesk settings")
        verbose_name_plural = _("helpdesk settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(business_day_end__gt=models.F("business_day_start")),
                name="tickets_settings_business_day_order",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Helpdesk settings"))
