"""Outbox handlers of the helpdesk: SLA alerts to team leads."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispstack.core import outbox
from ispstack.core.models import Job
from ispstack.notifications.services import render_text, send_email
from ispstack.tickets.models import Team
from ispstack.tickets.scan import JOB_KIND


@outbox.handler(JOB_KIND)
def send_sla_alert(job: Job) -> None:
    """Email the team lead the tickets a scan flagged (``scan.scan_sla``).
    A team without a lead, or a lead without an address, gets nothing."""
    team = Team.objects.select_related("tenant", "lead").filter(pk=job.payload["team_id"]).first()
    if team is None or team.lead is None or not team.lead.email:
        return
    count = job.payload["count"]
    numbers = job.payload["numbers"]
    kind = job.payload["kind"]
    subject = {
        "breach": _("SLA breached: %(count)s ticket(s) of %(team)s"),
        "warning": _("SLA warning: %(count)s ticket(s) of %(team)s near their target"),
        "first_response_breach": _(
            "First response overdue: %(count)s ticket(s) of %(team)s unanswered"
        ),
        "first_response_warning": _(
            "First response warning: %(count)s ticket(s) of %(team)s still unanswered"
        ),
    }[kind]
    body = render_text(
        "tickets/email/sla_alert.txt",
        {
            "breach": kind.endswith("breach"),
            "first_response": kind.startswith("first_response"),
            "numbers": numbers,
            "more": max(count - len(numbers), 0),
        },
    )
    send_email(
        tenant=team.tenant,
        to=team.lead.email,
        subject=subject % {"count": count, "team": team.name},
        body=body,
        reference=f"sla-{job.payload['kind']}-{team.pk}",
    )
