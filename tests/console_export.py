"""Export a console list as a clerk does: ask, let the job run, download."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.test import Client

from ispstack.console.models import Export
from ispstack.core import outbox
from ispstack.core.models import Job


def start(client: Client, path: str, kind: str, **params: Any) -> Export:
    """Press "Export" on the list at ``path`` with ``params`` as its filters;
    returns the queued export (the request answers a redirect to its page)."""
    answer = client.post(f"{path}?{urlencode(params, doseq=True)}", {"export": kind})
    assert answer.status_code == 303, answer.content[:500]
    export = Export.objects.latest("id")
    assert answer.url == f"/staff/exports/{export.pk}/"
    return export


def run(export: Export) -> Export:
    """Let the export's job run (the Celery worker or the background thread)."""
    job = Job.objects.get(kind="console.export", payload__export_id=export.pk)
    outbox.run_job(job.pk)
    export.refresh_from_db()
    return export


def exported(client: Client, path: str, kind: str, **params: Any) -> bytes:
    """The file an export of the list at ``path`` gives its clerk."""
    export = run(start(client, path, kind, **params))
    assert export.status == Export.Status.DONE, export.error
    answer = client.get(f"/staff/exports/{export.pk}/download/")
    assert answer.status_code == 200
    return b"".join(answer.streaming_content)  # type: ignore[attr-defined]
