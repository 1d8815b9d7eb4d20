"""Outbox handlers of the provisioning app."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispstack.core.models import Job
from ispstack.core.outbox import handler
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import EmailLog
from ispstack.notifications.services import render_text, send_email
from ispstack.provisioning import orders, steps
from ispstack.provisioning.choices import OrderStatus, StepStatus
from ispstack.provisioning.models import ServiceOrder


@handler(orders.ADVANCE_JOB)
def advance_order(job: Job) -> None:
    """Advance an order as far as it goes; a step waiting on its backoff
    queues the next try for when it is due."""
    order = orders.advance(order=ServiceOrder.objects.get(pk=job.payload["order_id"]))
    if order.status != OrderStatus.OPEN:
        return
    waiting = (
        order.steps.filter(status=StepStatus.PENDING, next_attempt_at__isnull=False)
        .order_by("position")
        .first()
    )
    if waiting is not None:
        orders.queue_advance(order, not_before=waiting.next_attempt_at)


@handler(steps.WELCOME_JOB)
def send_welcome(job: Job) -> None:
    """Email the customer their login (and Wi-Fi) once, in the customer's
    language; a retry after the message went out sends nothing."""
    order = ServiceOrder.objects.select_related("tenant", "customer", "subscription").get(
        pk=job.payload["order_id"]
    )
    reference = f"order-{order.pk}-welcome"
    if EmailLog.objects.filter(reference=reference, status=EmailLog.Status.SENT).exists():
        return
    with in_language_of(order.customer_id):
        body = render_text(
            "provisioning/email/welcome.txt",
            {
                "order": order,
                "customer": order.customer,
                "subscription": order.subscription,
                "tenant": order.tenant,
            },
        )
        subject = _("Welcome to %(tenant)s") % {"tenant": order.tenant.name}
    send_email(
        tenant=order.tenant,
        to=order.customer.email,
        subject=subject,
        body=body,
        reference=reference,
    )
