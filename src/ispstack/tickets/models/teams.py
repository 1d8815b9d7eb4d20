"""Teams that own ticket types, their members and how they assign tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.models import TenantScopedModel
from ispstack.tickets.choices import AssignmentMode, TicketType


class Team(TenantScopedModel):
    """A group of staff working one queue (support, NOC, field operations,
    billing). ``lead`` is told about SLA warnings and breaches;
    ``assignment_mode`` says how new tickets are handed to members."""

    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, help_text=_("Shared mailbox of the team, if any."))
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Told about SLA warnings and breaches of the team's tickets."),
    )
    assignment_mode = models.CharField(
        max_length=16, choices=AssignmentMode.choices, default=AssignmentMode.ROUND_ROBIN
    )
    # The member who got the last round-robin ticket; the next one goes to the
    # member after them.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="tickets_team_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantScopedModel):
    """A staff user in a team, with skills (free labels such as ``fiber``,
    ``mikrotik``, ``billing``); inactive members get no new tickets."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    skills = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="tickets_teammember_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TicketRouting(TenantScopedModel):
    """Which team owns a ticket type in a tenant (one row per type)."""

    ticket_type = models.CharField(max_length=32, choices=TicketType.choices)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routes")

    class Meta:
        ordering = ["ticket_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "ticket_type"], name="tickets_routing_type_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_ticket_type_display()} -> {self.team}"
