"""Choices of the provisioning app: lead, survey and service-order states."""

from __future__ import annotations

from django.db import models


class LeadSource(models.TextChoices):
    WEB = "web", "Web"
    REFERRAL = "referral", "Referral"
    WALK_IN = "walk_in", "Walk-in"
    PHONE = "phone", "Phone"
    CAMPAIGN = "campaign", "Campaign"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SURVEY_SCHEDULED = "survey_scheduled", "Survey scheduled"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"


class Coverage(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked"
    COVERED = "covered", "Covered"
    NOT_COVERED = "not_covered", "Not covered"


class SurveyStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class SurveyOutcome(models.TextChoices):
    SERVICEABLE = "serviceable", "Serviceable"
    NOT_SERVICEABLE = "not_serviceable", "Not serviceable"
    NEEDS_WORK = "needs_work", "Needs work"


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class StepName(models.TextChoices):
    """The steps of a service order, in the order they run."""

    SURVEY_OK = "survey_ok", "Survey"
    ALLOCATE = "allocate", "Addresses"
    RADIUS = "radius", "RADIUS"
    INSTALLATION = "installation", "Installation"
    CPE = "cpe", "CPE"
    ACTIVATE = "activate", "Activation"
    WELCOME = "welcome", "Welcome email"


STEP_ORDER: tuple[str, ...] = tuple(StepName.values)


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    SKIPPED = "skipped", "Skipped"
