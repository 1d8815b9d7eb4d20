"""Celery task of email to ticket: thin wrapper around the poll service."""

from __future__ import annotations

from ispstack.core.job_log import periodic_task
from ispstack.tickets.mail import inbound


@periodic_task("ispstack.tickets.poll_mailboxes")
def poll_mailboxes_task() -> dict[str, dict[str, int | str]]:
    """Poll every enabled support mailbox (the periodic job); returns per
    mailbox id the mails imported, the duplicates skipped and the error, if
    any (also recorded on the mailbox; the next run retries)."""
    return {
        str(pk): {"imported": r.imported, "duplicates": r.duplicates, "error": r.error}
        for pk, r in inbound.poll_all().items()
    }
