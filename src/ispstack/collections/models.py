"""Collections: payment reminders sent and collections runs."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from ispstack.billing.models import Invoice
from ispstack.core.fields import money_field
from ispstack.core.models import TenantScopedModel, User
from ispstack.customers.models import Customer


class Reminder(TenantScopedModel):
    """A payment reminder for an overdue invoice; one per invoice and level."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    level = models.PositiveSmallIntegerField(default=1)
    sent_on = models.DateField()
    days_past_due = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"], name="collections_reminder_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.level} for {self.invoice}"


class CollectionRun(TenantScopedModel):
    """One collections run for an ``as_of`` date and what it did.

    The periodic run writes its row when it is done; a run started from the
    console is written ``queued`` first and counts ``steps_done`` of
    ``steps_total`` (the dunning pass, then each suspended customer checked
    for reconnection) as it goes; ``error`` says why a run ``failed``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)
    reconnected = models.PositiveIntegerField(default=0)
    dunning_started = models.PositiveIntegerField(default=0)
    dunning_steps = models.PositiveIntegerField(default=0)
    dunning_recovered = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"collections {self.as_of}"


class DunningAction(models.TextChoices):
    REMINDER = "reminder", "Remind of each overdue invoice"
    EMAIL = "email", "Send an email"
    SMS = "sms", "Send an SMS"
    WEBHOOK = "webhook", "Call a webhook"
    LATE_FEE = "late_fee", "Charge a late fee"
    SUSPEND = "suspend", "Suspend service"
    TERMINATE = "terminate", "Terminate service"


class DunningCampaign(TenantScopedModel):
    """A dunning campaign as data: when it starts, for whom, and its steps.

    It starts for a customer whose oldest overdue invoice is at least
    ``trigger_after_days`` past due and whose overdue total is at least
    ``minimum_amount``, unless the customer carries one of ``exclude_tags``.
    With several campaigns the highest ``priority`` wins. Every tenant has
    one to start with (``dunning.DEFAULT_CAMPAIGN``), which it may change or
    deactivate: campaigns are the only way collections reminds and suspends.
    """

    name = models.CharField(max_length=120)
    trigger_after_days = models.PositiveSmallIntegerField(default=1)
    minimum_amount = money_field(default=Decimal(0))
    exclude_tags = models.JSONField(default=list, blank=True)
    priority = models.SmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return self.name


class DunningStep(TenantScopedModel):
    """One step of a campaign: ``delay_days`` after the day the previous one
    was due (the first: after the day the customer met the trigger), do
    ``action``; ``config`` holds its parameters (subject and body of an
    email, ``amount`` of a late fee, ``url`` of a webhook)."""

    campaign = models.ForeignKey(DunningCampaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_days = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=10, choices=DunningAction.choices)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="collections_step_order"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_action_display()} after {self.delay_days} days"


class DunningExecution(TenantScopedModel):
    """One campaign running for one customer."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed (all steps done)"
        RECOVERED = "recovered", "Recovered (debt paid)"
        CANCELED = "canceled", "Canceled"

    campaign = models.ForeignKey(
        DunningCampaign, on_delete=models.PROTECT, related_name="executions"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    next_position = models.PositiveSmallIntegerField(default=1)
    started_on = models.DateField()
    next_action_on = models.DateField(null=True, blank=True)
    finished_on = models.DateField(null=True, blank=True)
    outstanding_amount = money_field(help_text="Overdue when the campaign started.")
    recovered_amount = money_field(default=Decimal(0))
    promise_to_pay_until = models.DateField(null=True, blank=True)
    canceled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="active"),
                name="collections_one_active_execution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} for {self.customer}"


class DunningActionLog(TenantScopedModel):
    """What a step did for an execution, and whether it worked."""

    execution = models.ForeignKey(DunningExecution, on_delete=models.CASCADE, related_name="log")
    position = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=10, choices=DunningAction.choices)
    executed_on = models.DateField()
    ok = models.BooleanField()
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["execution", "id"]

    def __str__(self) -> str:
        return f"{self.action} {'ok' if self.ok else 'failed'}"
