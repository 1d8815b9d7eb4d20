"""Exports of console lists, made in the background.

A clerk's "Export CSV / Excel" on a list (``ListView``) calls
``start_export``: an ``Export`` row and a ``console.export`` outbox job are
written and the request returns at once (nothing longer than a second
runs inside a request). The job rebuilds the list as the clerk saw
it (their filters and sort, their tenant, their permissions), writes the
rows in chunks to a file under MEDIA_ROOT (CSV with the ``csv`` module,
XLSX with openpyxl's write-only workbook, which streams rows to disk: memory
stays bounded however long the list) and records its progress, which the
export's page polls. Only the clerk who asked may download the file
(anyone else, of any tenant, gets a 404), until ``EXPORT_TTL`` after it was
made; ``purge_expired_exports`` then deletes the file and its row.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import tempfile
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ispstack.console.models import Export
from ispstack.core import clock, outbox
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Job
from ispstack.core.spreadsheet import cell_text

logger = logging.getLogger(__name__)

#: How long an export file stays downloadable.
EXPORT_TTL = dt.timedelta(hours=24)
#: Most data rows an XLSX sheet holds (Excel's limit is 1,048,576 rows, one is the header).
XLSX_ROW_LIMIT = 1_048_575
#: Rows written between two progress updates.
PROGRESS_EVERY = 2_000
#: Expired exports deleted per purge call (each also deletes a file).
PURGE_BATCH = 500


def start_export(*, view: Any, kind: str) -> Export:
    """Queue an export of ``view``'s list (a ``console.lists.ListView`` bound
    to the clerk's request; its query string gives the filters and sort) as
    ``kind`` (``csv`` or ``xlsx``); returns the ``Export``, status queued.

    Raises InvalidInput (field ``export``) for another format, Http404 (via
    ``require_tenant``) for the platform operator, who acts in no tenant.
    """
    if kind not in Export.Format.values:
        raise InvalidInput("must be csv or xlsx", field="export")
    tenant = view.require_tenant()
    request = view.request
    # The list's filters and sort are in the address (a POST's form action too).
    query = view.export_query(request.GET)
    purge_expired_exports(limit=20)  # a few per start; celery beat takes the rest hourly
    now = clock.now()
    with transaction.atomic():
        export = Export.objects.create(
            tenant=tenant,
            requested_by=request.user,
            list_name=view.list_name,
            format=kind,
            query=query,
            filename=f"{view.list_name}-{now.date().isoformat()}.{kind}",
            expires_at=now + EXPORT_TTL,
        )
        outbox.enqueue(
            tenant=tenant,
            kind="console.export",
            payload={"export_id": export.pk},
            max_attempts=1,
            background=True,
        )
    return export


def _view_for(export: Export) -> Any:
    """The list view of ``export`` bound to a request of its clerk with its query."""
    from ispstack.console import urls  # noqa: F401  (imports, so registers, every list)
    from ispstack.console.lists import LIST_VIEWS

    user = get_user_model().objects.select_related("tenant").get(pk=export.requested_by_id)
    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.GET = QueryDict(export.query)
    view = LIST_VIEWS[export.list_name]()
    view.setup(request)
    return view


class TooManyRows(Exception):
    """The list has more rows than the format holds."""


def _write(export: Export, view: Any, path: str) -> int:
    """Write the export's rows to ``path``; returns how many, updating
    ``rows_done`` every ``PROGRESS_EVERY`` rows."""
    headers, rows = view.export_table(QueryDict(export.query))
    done = 0

    def tick() -> None:
        Export.objects.filter(pk=export.pk).update(rows_done=done, updated_at=clock.now())

    if export.format == Export.Format.CSV:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow([cell_text(value) for value in row])
                done += 1
                if done % PROGRESS_EVERY == 0:
                    tick()
        return done
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(view.title)[:31])
    try:
        sheet.append(headers)
        for row in rows:
            if done >= XLSX_ROW_LIMIT:
                raise TooManyRows
            sheet.append([cell_text(value) for value in row])
            done += 1
            if done % PROGRESS_EVERY == 0:
                tick()
    except BaseException:
        _discard_sheet(sheet)
        raise
    book.save(path)
    return done


def _discard_sheet(sheet: Any) -> None:
    """Delete the temporary file a write-only sheet streams its rows to.

    openpyxl removes it when the workbook is saved, else only when the
    process exits: a long-lived worker whose exports fail would keep every
    abandoned sheet (up to gigabytes each) on disk until it restarts."""
    writer = getattr(sheet, "_writer", None)
    if writer is not None:
        # Only removed: closing a stream stopped mid-row makes lxml raise.
        writer.cleanup()


@outbox.handler("console.export")
def run_export(job: Job) -> None:
    """Perform the job ``console.export``: write the export's file and mark
    it done, or failed with a reason the clerk reads on the export's page."""
    export = Export.objects.filter(pk=job.payload["export_id"], status=Export.Status.QUEUED).first()
    if export is None:
        return  # done already, or purged
    view = _view_for(export)
    total = view.export_count(QueryDict(export.query))
    if export.format == Export.Format.XLSX and total > XLSX_ROW_LIMIT:
        _fail(export, _too_many_rows())
        return
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, rows_total=total, updated_at=clock.now()
    )
    try:
        with tempfile.NamedTemporaryFile(suffix=f".{export.format}") as temp:
            done = _write(export, view, temp.name)
            with open(temp.name, "rb") as handle:
                export.file.save(export.filename, File(handle), save=False)
    except TooManyRows:  # the list grew past the limit while it was written
        _fail(export, _too_many_rows())
        return
    except Exception:
        _fail(export, _("The export stopped with an error; the jobs list has the details."))
        raise
    now = clock.now()
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE,
        file=export.file.name,
        rows_done=done,
        rows_total=done,
        finished_at=now,
        expires_at=now + EXPORT_TTL,
        updated_at=now,
    )


def _too_many_rows() -> str:
    return _(
        "This list has more than %(limit)s rows, too many for a spreadsheet file. "
        "Narrow the filters or export CSV, which has no limit."
    ) % {"limit": f"{XLSX_ROW_LIMIT:,}"}


def _fail(export: Export, reason: str) -> None:
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.FAILED, error=reason, finished_at=clock.now(), updated_at=clock.now()
    )


def purge_expired_exports(limit: int = PURGE_BATCH) -> int:
    """Delete up to ``limit`` exports past ``expires_at``, with their files;
    returns how many. Called when an export starts and hourly (celery beat)."""
    expired = list(
        Export.objects.filter(expires_at__lte=clock.now()).order_by("expires_at")[:limit]
    )
    for export in expired:
        if export.file:
            try:
                export.file.delete(save=False)
            except OSError:
                logger.warning("could not delete export file %s", export.file.name)
    Export.objects.filter(pk__in=[export.pk for export in expired]).delete()
    return len(expired)
