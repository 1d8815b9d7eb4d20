"""Service orders: the steps that take a new subscription to active."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ispstack.core.fields import EncryptedTextField
from ispstack.core.models import TenantScopedModel
from ispstack.customers.models import Customer
from ispstack.network.models import IPPool, PrefixPool, Site
from ispstack.provisioning.choices import OrderStatus, StepName, StepStatus
from ispstack.provisioning.models.leads import Lead
from ispstack.subscriptions.models import Subscription


class ServiceOrder(TenantScopedModel):
    """The order that provisions one new subscription.

    What the steps need is chosen when the order is made (``pool``, the IPv6
    prefix pools, the CPE ``cpe_serial``); what they produce is written back
    (``vlan_id``, the appointment, ``wifi_ssid`` / ``wifi_key``)."""

    subscription = models.OneToOneField(
        Subscription, on_delete=models.PROTECT, related_name="service_order"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    pool = models.ForeignKey(
        IPPool, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    framed_ipv6_pool = models.ForeignKey(
        PrefixPool, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delegated_ipv6_pool = models.ForeignKey(
        PrefixPool, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vlan_id = models.PositiveSmallIntegerField(null=True, blank=True, help_text="802.1Q, 1-4094.")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment_at = models.DateTimeField(null=True, blank=True)
    cpe_serial = models.CharField(max_length=64, blank=True)
    wifi_ssid = models.CharField(max_length=32, blank=True)
    wifi_key = EncryptedTextField(blank=True)
    activated_on = models.DateField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"order {self.pk} ({self.subscription.username})"

    @property
    def reference(self) -> str:
        """The stable key adapters record their work under (idempotency)."""
        return f"ispstack-order-{self.pk}"


class OrderStep(TenantScopedModel):
    """One step of an order; ``result`` keeps what it did (JSON)."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=16, choices=StepName.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "name"], name="provisioning_step_unique")
        ]
        indexes = [models.Index(fields=["tenant", "name", "status"])]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.name}: {self.status}"
