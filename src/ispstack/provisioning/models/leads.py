"""Leads (prospects asking for service) and the site surveys made for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ispstack.catalog.models import Plan
from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.network.models import Site
from ispstack.provisioning.choices import (
    Coverage,
    LeadSource,
    LeadStatus,
    SurveyOutcome,
    SurveyStatus,
)


class Lead(TenantScopedModel):
    """A prospect: who, where (address and WGS 84 coordinates in degrees),
    which plan interests them, how they came, and how far sales got."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=LeadSource.choices, default=LeadSource.WEB)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    coverage = models.CharField(max_length=12, choices=Coverage.choices, default=Coverage.UNCHECKED)
    coverage_detail = models.CharField(max_length=300, blank=True)
    coverage_checked_at = models.DateTimeField(null=True, blank=True)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The nearest site covering the address (the coverage check's answer).",
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"])]
        permissions = [
            ("force_convert_lead", "Can convert a lead without a serviceable survey"),
        ]

    def __str__(self) -> str:
        return self.name


class SiteSurvey(TenantScopedModel):
    """A visit to a lead's address to see whether and how it can be connected.

    Findings: ``fibre_available``, ``pole_distance_m`` (metres to the nearest
    pole or chamber), ``obstacles`` and ``install_minutes`` (the estimated
    installation time)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="surveys")
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The site the installation would hang off (default: the lead's).",
    )
    scheduled_at = models.DateTimeField()
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SCHEDULED
    )
    outcome = models.CharField(max_length=16, choices=SurveyOutcome.choices, blank=True)
    fibre_available = models.BooleanField(null=True, blank=True)
    pole_distance_m = models.PositiveIntegerField(null=True, blank=True)
    obstacles = models.TextField(blank=True)
    install_minutes = models.PositiveIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=SurveyStatus.COMPLETED) | ~models.Q(outcome=""),
                name="provisioning_survey_completed_has_outcome",
            )
        ]

    def __str__(self) -> str:
        return f"survey of {self.lead} at {self.scheduled_at:%Y-%m-%d %H:%M}"


class SurveyPhoto(TenantScopedModel):
    """A photo taken during a survey, kept under the private media root."""

    survey = models.ForeignKey(SiteSurvey, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="survey-photos/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField(help_text="Bytes.")

    def __str__(self) -> str:
        return self.image.name or ""
