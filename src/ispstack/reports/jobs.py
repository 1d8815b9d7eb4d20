"""Outbox handlers of reports: a scheduled report's mail to one recipient."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispstack.core.models import Job
from ispstack.core.outbox import handler
from ispstack.notifications.services import Attachment, render_text, send_email
from ispstack.reports import registry
from ispstack.reports.models import ReportDelivery
from ispstack.reports.services import SEND_JOB

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@handler(SEND_JOB)
def send_report(job: Job) -> None:
    """Email the file of delivery ``payload["delivery_id"]`` to
    ``payload["to"]``; each recipient is a job of its own, so a failing
    address is retried alone and the others are not sent twice. A delivery
    deleted with its schedule since it was queued sends nothing."""
    delivery = (
        ReportDelivery.objects.select_related("tenant", "schedule")
        .filter(pk=job.payload["delivery_id"])
        .first()
    )
    if delivery is None:
        return
    tenant = delivery.tenant
    title = str(registry.get(delivery.schedule.report).title)
    body = render_text(
        "reports/email/scheduled_report.txt",
        {
            "tenant": tenant,
            "title": title,
            "period_start": delivery.period_start.isoformat(),
            "period_end": delivery.period_end.isoformat(),
            "filename": delivery.filename,
            "currency": tenant.currency,
        },
    )
    send_email(
        tenant=tenant,
        to=job.payload["to"],
        subject=_("%(title)s from %(tenant)s") % {"title": title, "tenant": tenant.name},
        body=body,
        attachments=(Attachment(delivery.filename, bytes(delivery.content), XLSX),),
        reference=f"report_delivery:{delivery.pk}",
    )
