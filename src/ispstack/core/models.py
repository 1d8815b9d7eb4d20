"""Core models: tenants, staff users, the tenant-scoped base, numbering
sequences, the audit log and the job outbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from ispstack.core.fields import ClockDateTimeField
from ispstack.core.tenancy import TenantQuerySet


def validate_timezone(value: str) -> None:
    """Accept only IANA timezone names (``Europe/Berlin``, ``Africa/Johannesburg``)."""
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not an IANA timezone name")


def validate_currency(value: str) -> None:
    """Accept only ISO 4217 currency codes."""
    from ispstack.core.errors import InvalidInput
    from ispstack.core.money import minor_unit

    try:
        minor_unit(value)
    except InvalidInput as exc:
        raise ValidationError(exc.message) from None


class Tenant(models.Model):
    """An ISP (or a reseller) using ispstack; every business row belongs to one.

    The tenant row says who the ISP is. How each app treats the tenant's
    business (billing terms, number formats, suspension, SEPA creditor data)
    lives in that app's settings model, one row per tenant
    (``core.tenant_settings``).
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[validate_currency],
        help_text="ISO 4217 code of the tenant's own currency.",
    )
    country = models.CharField(
        max_length=2,
        default="DE",
        help_text="ISO 3166-1 alpha-2; the default region for phone numbers.",
    )
    legal_name = models.CharField(max_length=200, blank=True)
    tax_number = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    email = models.EmailField(blank=True, help_text="Sender of invoices and reminders.")
    bank_details = models.TextField(blank=True)
    logo = models.FileField(upload_to="logos/", blank=True, help_text="PNG or SVG for documents.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExchangeRate(models.Model):
    """How many units of the tenant's currency one unit of ``currency`` was worth
    on ``day``; used to report amounts in the tenant's currency."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="exchange_rates")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    day = models.DateField()
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )

    class Meta:
        ordering = ["currency", "-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "currency", "day"], name="core_exchangerate_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} on {self.day}"


class User(AbstractUser):
    """A staff user. ``tenant`` is the ISP the user works for; a user without a
    tenant is a platform operator and must be a superuser."""

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Whether the user holds ``perm`` (``app_label.codename``), as
        Django's ``has_perm`` answers with this project's backends (their
        ``has_perm`` is membership in ``get_all_permissions``; django-axes'
        has none). The set is read once per user object: Django imports and
        instantiates every backend on each call, and a console page asks
        sixty times. Object permissions and inactive users go Django's way."""
        if obj is not None or not self.is_active:
            return super().has_perm(perm, obj)
        if self.is_superuser:
            return True
        held: set[str] | None = getattr(self, "_held_perms", None)
        if held is None:
            held = self._held_perms = self.get_all_permissions()
        return perm in held


class TenantScopedModel(models.Model):
    """Abstract base of every business table: a ``tenant`` and timestamps.

    Reads for a user go through ``Model.objects.for_tenant(tenant)``
    (see ``core.tenancy``); a test walks every model and fails on one
    without a tenant.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # The business clock's instant (a simulation's, in the demo).
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Sequence(TenantScopedModel):
    """A gap-free counter per tenant, name (``invoice``, ``account``) and year.

    Incremented under a row lock in the caller's transaction, so a rolled
    back invoice also rolls back its number (see ``core.numbering``).
    """

    name = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name", "year"], name="core_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}: {self.last_value}"


class AuditLog(TenantScopedModel):
    """One business operation: who did what to which object, before and after."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="'system' for runs.")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class Job(TenantScopedModel):
    """An outbox row: an external call (email, CoA) made after commit, retried.

    ``kind`` names a handler registered in ``core.outbox``; ``payload`` is
    its JSON input. Attempts back off exponentially until ``max_attempts``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8, validators=[MinValueValidator(1)])
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_job_due_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class IdempotencyKey(TenantScopedModel):
    """A POST of the API sent with an ``Idempotency-Key`` header, and its answer.

    One row per user and key: the same key again within
    ``core.api.idempotency.TTL`` replays ``response_status`` and
    ``response_body`` instead of running the request twice. ``fingerprint``
    (SHA-256 of the method, path and body) tells a retry from another request
    reusing the key. ``response_status`` is null while the first request runs.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # JSON text, not jsonb: jsonb refuses the \u0000 an error may echo back.
    response_body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_one_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="core_idempotency_age_idx")]

    def __str__(self) -> str:
        return self.key


class JobExecution(models.Model):
    """One run of a periodic job (a Celery beat task, or one tenant's part of
    it): when it started and ended, what it was given, what it counted and
    how it failed. Written by ``core.job_log.job_run``.

    ``tenant`` is empty for a run over the whole platform (every tenant's
    billing at once, the outbox, RADIUS retention): only the platform
    operator sees those rows, since their counts mix every tenant. A job that
    works tenant by tenant also writes one row per tenant, which that
    tenant's staff see. ``counts`` is the job's result as numbers by name
    (``{"invoices": 12}``); ``error`` is the exception's type and message,
    never a traceback or the job's input. Rows older than
    ``JOB_LOG_RETENTION_DAYS`` are pruned by the RADIUS retention job.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    job = models.CharField(
        max_length=80, help_text="The task's name, e.g. ispstack.billing.run_billing"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Wall-clock milliseconds from start to end."
    )
    arguments = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "started_at"], name="core_jobexec_tenant_idx"),
            models.Index(fields=["job", "started_at"], name="core_jobexec_job_idx"),
            models.Index(
                fields=["started_at"],
                name="core_jobexec_failed_idx",
                condition=models.Q(status="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
