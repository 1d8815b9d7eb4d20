"""Leads, site surveys and the conversion of a lead into a customer.

A lead is a prospect; its coverage check asks network which sites' areas
cover its coordinates and stores the answer on the lead. A site survey
records what a visit found (findings and photos). Converting a lead makes
the customer, the pending subscription and its service order in one
transaction; it needs a completed survey with outcome ``serviceable``
unless the user holds ``provisioning.force_convert_lead``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.utils.dateparse import parse_datetime

from ispstack.catalog.models import Plan
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Tenant, User
from ispstack.customers.services import create_customer, normalize_phone
from ispstack.network.coverage import sites_covering
from ispstack.network.models import IPPool, PrefixPool
from ispstack.provisioning import orders
from ispstack.provisioning.choices import (
    Coverage,
    LeadSource,
    LeadStatus,
    SurveyOutcome,
    SurveyStatus,
)
from ispstack.provisioning.models import Lead, ServiceOrder, SiteSurvey, SurveyPhoto
from ispstack.subscriptions.services import create_subscription

LEAD_FIELDS = (
    "name",
    "email",
    "phone",
    "address",
    "latitude",
    "longitude",
    "plan",
    "source",
    "status",
    "notes",
)
SURVEY_FIELDS = (
    "scheduled_at",
    "surveyor",
    "fibre_available",
    "pole_distance_m",
    "obstacles",
    "install_minutes",
    "notes",
)
FORCE_CONVERT_PERM = "provisioning.force_convert_lead"

# Product default: a phone photo is 2-6 MB; 10 MB leaves room for a good
# camera without letting a video through. Twenty photos cover a house survey.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTOS_PER_SURVEY = 20
# File signatures (JPEG: JFIF/EXIF SOI marker, PNG: RFC 2083 §12.12, WebP:
# RIFF container with the WEBP form type), checked on the content, never on
# the name or the client's Content-Type.
_PHOTO_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def _coordinate(value: Any, field: str, limit: int) -> Any:
    if value in (None, ""):
        return None
    number = inputs.decimal_number(value, field)
    if not -limit <= number <= limit:
        raise InvalidInput(f"must be between -{limit} and {limit} degrees", field=field)
    return number.quantize(type(number)("0.000001"))


def moment(value: Any, field: str) -> dt.datetime:
    """``value`` (an aware datetime or ISO 8601 text with an offset) as an
    aware datetime. Raises InvalidInput naming ``field``."""
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    else:
        parsed = parse_datetime(inputs.text(value, field))
    if parsed is None:
        raise InvalidInput("must be an ISO 8601 date and time", field=field)
    if parsed.tzinfo is None:
        raise InvalidInput("must carry a UTC offset", field=field)
    if not 1970 <= parsed.year <= 2199:
        raise InvalidInput("must be between 1970 and 2199", field=field)
    return parsed


def _choice(value: Any, field: str, choices: Any) -> str:
    text = inputs.text(value, field)
    if text not in choices.values:
        raise InvalidInput(f"must be one of {', '.join(choices.values)}", field=field)
    return text


def _clean_lead(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    inputs.unknown_fields(data, LEAD_FIELDS)
    clean: dict[str, Any] = {}
    if "name" in data:
        clean["name"] = inputs.text(data["name"], "name", required=True)
    if "email" in data:
        email = inputs.text(data["email"], "email").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise InvalidInput(f"'{email}' is not an email address", field="email") from None
        clean["email"] = email
    if "phone" in data:
        clean["phone"] = normalize_phone(inputs.text(data["phone"], "phone"), tenant.country)
    if "address" in data:
        # The customer's service address line holds 200 characters.
        clean["address"] = inputs.text(data["address"], "address", max_length=200)
    if "notes" in data:
        clean["notes"] = inputs.text(data["notes"], "notes")
    if "latitude" in data:
        clean["latitude"] = _coordinate(data["latitude"], "latitude", 90)
    if "longitude" in data:
        clean["longitude"] = _coordinate(data["longitude"], "longitude", 180)
    if "plan" in data:
        clean["plan"] = (
            None if data["plan"] in (None, "") else inputs.owned(tenant, Plan, data["plan"], "plan")
        )
    if "source" in data:
        clean["source"] = _choice(data["source"], "source", LeadSource)
    if "status" in data:
        clean["status"] = _choice(data["status"], "status", LeadStatus)
        if clean["status"] == LeadStatus.CONVERTED:
            raise InvalidInput("a lead becomes converted by its conversion", field="status")
    inputs.check_values(Lead, clean)
    return clean


@transaction.atomic
def create_lead(*, tenant: Tenant, actor: Any = None, **data: Any) -> Lead:
    """Record a prospect (``LEAD_FIELDS``; ``name`` required). The phone is
    stored as E.164 (libphonenumber, read in the tenant's country), the
    coordinates in degrees (WGS 84, latitude -90..90, longitude -180..180).
    Raises InvalidInput or NotFound naming the field."""
    if "name" not in data:
        raise InvalidInput("is required", field="name")
    lead = Lead.objects.create(tenant=tenant, **_clean_lead(tenant, data))
    audit.record(
        tenant=tenant, actor=actor, action="lead.create", obj=lead, after=audit.snapshot(lead)
    )
    return lead


@transaction.atomic
def update_lead(*, lead: Lead, actor: Any = None, **data: Any) -> Lead:
    """Change a lead's fields; a converted lead is closed. Moving the
    coordinates clears the coverage result. Raises InvalidInput,
    InvalidTransition (field ``status``)."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == LeadStatus.CONVERTED:
        raise InvalidTransition("a converted lead is closed", field="status")
    clean = _clean_lead(locked.tenant, data)
    before = audit.snapshot(locked)
    moved = any(f in clean and clean[f] != getattr(locked, f) for f in ("latitude", "longitude"))
    for field, value in clean.items():
        setattr(locked, field, value)
    if moved:
        locked.coverage, locked.coverage_detail = Coverage.UNCHECKED, ""
        locked.coverage_checked_at, locked.site = None, None
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="lead.update",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
    )
    return locked


@transaction.atomic
def delete_lead(*, lead: Lead, actor: Any = None) -> None:
    """Delete a lead that was not converted (its surveys and photos go with
    it). Raises InvalidTransition for a converted lead."""
    if lead.status == LeadStatus.CONVERTED:
        raise InvalidTransition("a converted lead is kept", field="status")
    audit.record(
        tenant=lead.tenant, actor=actor, action="lead.delete", obj=lead, before=audit.snapshot(lead)
    )
    for photo in SurveyPhoto.objects.filter(survey__lead=lead):
        photo.image.delete(save=False)
    lead.delete()


@transaction.atomic
def check_coverage(*, lead: Lead, actor: Any = None) -> Lead:
    """Ask which of the tenant's sites cover the lead's coordinates
    (``network.coverage.sites_covering``) and store the answer on the lead:
    ``covered`` with the nearest site, or ``not_covered``. Raises
    InvalidInput (``latitude``) when the lead has no coordinates."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.latitude is None or locked.longitude is None:
        raise InvalidInput("the lead needs coordinates for a coverage check", field="latitude")
    found = sites_covering(locked.tenant, locked.latitude, locked.longitude)
    before = audit.snapshot(locked, ["coverage", "coverage_detail", "site"])
    if found:
        nearest = found[0]
        sectors = ", ".join(s.name for s in nearest.sectors)
        locked.coverage = Coverage.COVERED
        locked.site = nearest.site
        locked.coverage_detail = (
            f"site {nearest.site.name}, {nearest.distance_m:.0f} m"
            + (f", sectors {sectors}" if sectors else "")
        )[:300]
    else:
        locked.coverage, locked.site = Coverage.NOT_COVERED, None
        locked.coverage_detail = "no site's coverage area contains the address"
    locked.coverage_checked_at = clock.now()
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="lead.coverage",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, ["coverage", "coverage_detail", "site"]),
    )
    return locked


def _clean_survey(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    inputs.unknown_fields(data, SURVEY_FIELDS)
    clean: dict[str, Any] = {}
    if "scheduled_at" in data:
        clean["scheduled_at"] = moment(data["scheduled_at"], "scheduled_at")
    if "surveyor" in data:
        value = data["surveyor"]
        if value in (None, ""):
            clean["surveyor"] = None
        else:
            user = (
                value
                if isinstance(value, User)
                else User.objects.filter(pk=inputs.whole_number(value, "surveyor")).first()
            )
            if user is None or user.tenant_id != tenant.pk:
                raise NotFound("no such staff user in this ISP", field="surveyor")
            clean["surveyor"] = user
    if "fibre_available" in data:
        value = data["fibre_available"]
        clean["fibre_available"] = (
            None if value in (None, "") else inputs.flag(value, "fibre_available")
        )
    for field in ("pole_distance_m", "install_minutes"):
        if field in data:
            value = data[field]
            clean[field] = None if value in (None, "") else inputs.whole_number(value, field)
            if clean[field] is not None and clean[field] < 0:
                raise InvalidInput("must not be negative", field=field)
    for field in ("obstacles", "notes"):
        if field in data:
            clean[field] = inputs.text(data[field], field)
    inputs.check_values(SiteSurvey, clean)
    return clean


@transaction.atomic
def schedule_survey(*, lead: Lead, actor: Any = None, **data: Any) -> SiteSurvey:
    """Schedule a site survey of ``lead`` (``scheduled_at`` an aware datetime,
    required; optional ``surveyor``, a staff user of the tenant). The lead
    moves to ``survey_scheduled`` unless it is further on. Raises
    InvalidInput, NotFound, InvalidTransition."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status in (LeadStatus.CONVERTED, LeadStatus.LOST):
        raise InvalidTransition(f"the lead is {locked.status}", field="lead")
    if data.get("scheduled_at") in (None, ""):
        raise InvalidInput("is required", field="scheduled_at")
    survey = SiteSurvey.objects.create(
        tenant=locked.tenant, lead=locked, site=locked.site, **_clean_survey(locked.tenant, data)
    )
    if locked.status in (LeadStatus.NEW, LeadStatus.CONTACTED):
        locked.status = LeadStatus.SURVEY_SCHEDULED
        locked.save(update_fields=["status", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="survey.schedule",
        obj=survey,
        after=audit.snapshot(survey),
    )
    return survey


@transaction.atomic
def update_survey(*, survey: SiteSurvey, actor: Any = None, **data: Any) -> SiteSurvey:
    """Change a survey's schedule or findings. Raises InvalidInput, NotFound."""
    locked = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    clean = _clean_survey(locked.tenant, data)
    before = audit.snapshot(locked)
    for field, value in clean.items():
        setattr(locked, field, value)
    locked.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="survey.update",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
    )
    return locked


@transaction.atomic
def complete_survey(
    *, survey: SiteSurvey, outcome: str, actor: Any = None, **findings: Any
) -> SiteSurvey:
    """Record a survey's ``outcome`` (serviceable, not_serviceable,
    needs_work) and its findings. A serviceable survey qualifies the lead.
    Raises InvalidInput, InvalidTransition (a cancelled survey)."""
    locked = SiteSurvey.objects.select_for_update().select_related("lead").get(pk=survey.pk)
    if locked.status == SurveyStatus.CANCELLED:
        raise InvalidTransition("the survey was cancelled", field="status")
    clean = _clean_survey(locked.tenant, findings)
    clean["outcome"] = _choice(outcome, "outcome", SurveyOutcome)
    before = audit.snapshot(locked)
    for field, value in clean.items():
        setattr(locked, field, value)
    locked.status = SurveyStatus.COMPLETED
    locked.completed_at = clock.now()
    locked.save()
    lead = locked.lead
    if clean["outcome"] == SurveyOutcome.SERVICEABLE and lead.status not in (
        LeadStatus.CONVERTED,
        LeadStatus.LOST,
    ):
        lead.status = LeadStatus.QUALIFIED
        lead.save(update_fields=["status", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="survey.complete",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
    )
    return locked


@transaction.atomic
def cancel_survey(*, survey: SiteSurvey, actor: Any = None, reason: str = "") -> SiteSurvey:
    """Cancel a scheduled survey. Raises InvalidTransition for a completed one."""
    locked = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    if locked.status != SurveyStatus.SCHEDULED:
        raise InvalidTransition(f"the survey is {locked.status}", field="status")
    locked.status = SurveyStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="survey.cancel",
        obj=locked,
        reason=inputs.text(reason, "reason"),
    )
    return locked


def photo_type(head: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or WebP image from its first 12 bytes, else None."""
    for signature, mime in _PHOTO_TYPES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@transaction.atomic
def add_survey_photo(*, survey: SiteSurvey, image: File, actor: Any = None) -> SurveyPhoto:
    """Attach a photo (JPEG, PNG or WebP by content, at most
    ``SURVEY_PHOTO_MAX_BYTES`` bytes, default 10 MB) to ``survey``; a survey
    holds at most ``SURVEY_PHOTOS_MAX`` (default 20). The file goes under
    the private media root. Raises InvalidInput naming ``image``."""
    limit = getattr(settings, "SURVEY_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES)
    most = getattr(settings, "SURVEY_PHOTOS_MAX", PHOTOS_PER_SURVEY)
    name = getattr(image, "name", None) or ""
    if image is None or not name:
        raise InvalidInput("an image file is required", field="image")
    size = image.size or 0
    if size > limit:
        raise InvalidInput(f"must be at most {limit // (1024 * 1024)} MB", field="image")
    if size == 0:
        raise InvalidInput("is empty", field="image")
    image.seek(0)
    mime = photo_type(image.read(12))
    image.seek(0)
    if mime is None:
        raise InvalidInput("must be a JPEG, PNG or WebP image", field="image")
    locked = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    if SurveyPhoto.objects.filter(survey=locked).count() >= most:
        raise InvalidInput(f"a survey holds at most {most} photos", field="image")
    photo = SurveyPhoto(tenant=locked.tenant, survey=locked, content_type=mime, size=size)
    photo.image.save(Path(name).name, image, save=False)
    photo.save()
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="survey.add_photo",
        obj=photo,
        after={"image": photo.image.name, "size": size},
    )
    return photo


def serviceable_survey(lead: Lead) -> SiteSurvey | None:
    """The latest completed survey of ``lead`` with outcome serviceable, or None."""
    return (
        SiteSurvey.objects.filter(
            lead=lead, status=SurveyStatus.COMPLETED, outcome=SurveyOutcome.SERVICEABLE
        )
        .order_by("-completed_at")
        .first()
    )


CONVERT_FIELDS = (
    "plan",
    "currency",
    "username",
    "password",
    "billing_day",
    "pool",
    "framed_ipv6_pool",
    "delegated_ipv6_pool",
    "cpe_serial",
    "technician",
    "appointment_at",
    "force",
)


@integrity_conflicts()
@transaction.atomic
def convert_lead(*, lead: Lead, actor: Any = None, **data: Any) -> ServiceOrder:
    """Turn ``lead`` into a customer, a pending subscription and its service
    order, all in one transaction (``CONVERT_FIELDS``); the order's advance
    is queued in the outbox.

    ``plan`` defaults to the lead's plan of interest; ``currency`` (ISO
    4217) to the tenant's, as the customer's; ``username`` is required (the
    RADIUS login); ``pool`` and the IPv6 prefix pools are what
    the order's allocation step takes from. The lead needs a completed
    serviceable survey unless ``force`` is true and ``actor`` holds
    ``provisioning.force_convert_lead``. Raises InvalidInput, NotFound,
    Conflict (a converted lead, a taken username), InvalidTransition (field
    ``lead`` without a serviceable survey, ``force`` when the actor may not
    force).
    """
    inputs.unknown_fields(data, CONVERT_FIELDS)
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    tenant = locked.tenant
    if locked.status == LeadStatus.CONVERTED:
        raise Conflict("the lead is converted already", field="lead")
    force = inputs.flag(data.get("force", False), "force")
    if serviceable_survey(locked) is None:
        if not force:
            raise InvalidTransition(
                "the lead has no completed survey with outcome serviceable", field="lead"
            )
        if not getattr(actor, "has_perm", lambda _: False)(FORCE_CONVERT_PERM):
            raise InvalidTransition(
                "converting a lead without a serviceable survey needs the right to force it",
                field="force",
            )
    plan = data.get("plan") or locked.plan
    if plan in (None, ""):
        raise InvalidInput("is required (the lead has no plan of interest)", field="plan")
    plan = inputs.owned(tenant, Plan, plan, "plan")
    customer_data: dict[str, Any] = {"name": locked.name, "email": locked.email}
    if not locked.email:
        raise InvalidInput("the lead needs an email before it becomes a customer", field="email")
    if locked.phone:
        customer_data["phone"] = locked.phone
    if locked.address:
        customer_data["service_address_line1"] = locked.address
    if locked.latitude is not None and locked.longitude is not None:
        customer_data["service_latitude"] = locked.latitude
        customer_data["service_longitude"] = locked.longitude
    if data.get("currency") not in (None, ""):
        # A quote priced in another currency signs the customer up in it.
        customer_data["currency"] = data["currency"]
    customer = create_customer(tenant=tenant, actor=actor, **customer_data)
    sub_data = {
        k: data[k] for k in ("username", "password", "billing_day") if data.get(k) not in (None, "")
    }
    if "username" not in sub_data:
        raise InvalidInput("is required", field="username")
    subscription = create_subscription(
        tenant=tenant,
        actor=actor,
        customer=customer,
        plan=plan,
        start_date=clock.today(tenant),
        **sub_data,
    )
    order = orders.create_order(
        subscription=subscription,
        lead=locked,
        actor=actor,
        pool=inputs.owned(tenant, IPPool, data["pool"], "pool") if data.get("pool") else None,
        framed_ipv6_pool=(
            inputs.owned(tenant, PrefixPool, data["framed_ipv6_pool"], "framed_ipv6_pool")
            if data.get("framed_ipv6_pool")
            else None
        ),
        delegated_ipv6_pool=(
            inputs.owned(tenant, PrefixPool, data["delegated_ipv6_pool"], "delegated_ipv6_pool")
            if data.get("delegated_ipv6_pool")
            else None
        ),
        site=(serviceable_survey(locked) or locked).site,
        cpe_serial=data.get("cpe_serial", ""),
        technician=data.get("technician"),
        appointment_at=data.get("appointment_at"),
    )
    orders.queue_advance(order)
    before = audit.snapshot(locked)
    locked.status = LeadStatus.CONVERTED
    locked.customer = customer
    locked.save(update_fields=["status", "customer", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=actor,
        action="lead.convert",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
    )
    return order
