"""Portal accounts: the people of a customer who sign in to the portal."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Lower

from ispstack.catalog.models import Plan
from ispstack.core.models import TenantScopedModel, User
from ispstack.customers.models import Customer
from ispstack.subscriptions.models import PlanChange, Subscription


class PortalRole(models.TextChoices):
    """What a portal user does for the customer. Both see the whole account in
    this first step; later steps let only the owner manage users and plans."""

    OWNER = "owner", "Owner"
    BILLING = "billing", "Billing contact"


class PortalUser(TenantScopedModel):
    """A person who signs in to the customer portal for one customer.

    Not a staff ``core.User`` (see ``ispstack.portal``). ``email`` is unique
    per tenant ignoring case: it is the sign-in name. ``password`` is a
    Django password hash; unusable until the user accepts the invitation.
    ``last_login`` is part of every reset link's signature, so signing in
    spends the links sent before.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_users")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=PortalRole.choices, default=PortalRole.OWNER)
    password = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "email"]
        constraints = [
            models.UniqueConstraint(
                "tenant", Lower("email"), name="portal_portaluser_email_unique"
            ),
        ]
        indexes = [models.Index(fields=["customer", "role"], name="portal_user_customer_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    def set_password(self, raw: str | None) -> None:
        """Hash ``raw`` into ``password``; None makes the password unusable."""
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        """Whether ``raw`` is the password (upgrading an outdated hash in place)."""

        def upgrade(value: str) -> None:
            self.set_password(value)
            type(self).objects.filter(pk=self.pk).update(password=self.password)

        return check_password(raw, self.password, upgrade)

    @property
    def has_password(self) -> bool:
        """False until the invitation is accepted."""
        return not self.password.startswith("!")


class PlanChangeState(models.TextChoices):
    """Where a customer's plan change request stands.

    ``submitted`` waits for the back office; ``approved`` has a billing
    ``PlanChange`` scheduled for its effective date; ``applied`` is on the new
    plan; ``rejected`` (with a reason) and ``cancelled`` (by the customer,
    while submitted) are final. ``submitted`` and ``approved`` are open: one
    open request per subscription.
    """

    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PLAN_CHANGE_STATES = (PlanChangeState.SUBMITTED, PlanChangeState.APPROVED)


class PlanChangeTiming(models.TextChoices):
    """When the customer asks the new plan to start: at the next billing
    cycle (no proration), or now (prorated; only where the tenant allows it)."""

    NEXT_CYCLE = "next_cycle", "At the next billing cycle"
    NOW = "now", "Now"


class PlanChangeRequest(TenantScopedModel):
    """A customer's request, made in the portal, to move a subscription to
    another plan; the back office approves or rejects it (see
    ``portal.plan_changes.services``).

    ``from_plan`` is the plan at request time; ``monthly_difference`` is the
    new plan's monthly price minus the old one's (net, currency units of
    ``currency``; > 0 is an upgrade). ``effective_date`` is the tenant-local
    first day on the new plan (the next cycle's start, or the request day for
    ``now``; the day it was applied once applied). ``plan_change`` is the
    billing ``PlanChange`` the approval scheduled or applied.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="plan_change_requests"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="plan_change_requests"
    )
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    timing = models.CharField(
        max_length=10, choices=PlanChangeTiming.choices, default=PlanChangeTiming.NEXT_CYCLE
    )
    effective_date = models.DateField(help_text="First day on the new plan.")
    monthly_difference = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    state = models.CharField(
        max_length=10, choices=PlanChangeState.choices, default=PlanChangeState.SUBMITTED
    )
    reason = models.TextField(blank=True, help_text="Why the request was rejected.")
    requested_by = models.ForeignKey(
        PortalUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    plan_change = models.ForeignKey(
        PlanChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_planchangerequest", "Approve or reject plan change requests")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(state__in=["submitted", "approved"]),
                name="portal_planchangerequest_one_open",
            ),
            models.CheckConstraint(
                condition=~models.Q(to_plan=models.F("from_plan")),
                name="portal_planchangerequest_other_plan",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(reason=""),
                name="portal_planchangerequest_rejection_reason",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state"], name="portal_pcr_tenant_state_idx")]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.from_plan} -> {self.to_plan} ({self.state})"

    @property
    def is_upgrade(self) -> bool:
        """True when the new plan costs more a month."""
        return self.monthly_difference > 0
