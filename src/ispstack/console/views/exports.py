"""Exports of lists: the clerk's own exports, and one export's page, which
follows the background job, then offers the file.

Only the clerk who asked for the export sees its page and downloads its
file: anyone else (a colleague, another tenant's staff) gets a 404, as for a
row of another tenant. An expired export (``exports.EXPORT_TTL``) is gone.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.console.access import StaffView
from ispstack.console.models import Export
from ispstack.core import clock

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: Most exports the list shows (they expire after a day: a clerk has a handful).
MY_EXPORTS_LIMIT = 100


class MyExportsView(StaffView):
    """``/staff/exports/``: the clerk's exports that have not expired, newest
    first, each with its state and, when done, its file."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        exports = self.scoped(
            Export.objects.filter(requested_by_id=request.user.pk, expires_at__gt=clock.now())
        ).order_by("-created_at", "-pk")[:MY_EXPORTS_LIMIT]
        context = {"title": _("My exports"), "exports": exports}
        return render(request, "console/exports/list.html", context)


class ExportView(StaffView):
    """``/staff/exports/<pk>/``: the export's state, polled until its file is ready."""

    template = "console/exports/detail.html"

    def get_export(self, pk: int) -> Export:
        """The user's own export that has not expired, else Http404."""
        return self.get_scoped(
            Export.objects.filter(requested_by_id=self.request.user.pk, expires_at__gt=clock.now()),
            pk=pk,
        )

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
        export = self.get_export(pk)
        back = reverse(f"console:{export.list_name}-list")
        context = {
            "title": _("Export %(name)s") % {"name": export.filename},
            "export": export,
            "list_url": f"{back}?{export.query}" if export.query else back,
        }
        return render(request, self.template, context)


class ExportProgressView(ExportView):
    """``/staff/exports/<pk>/progress/``: the fragment the export's page polls."""

    template = "console/exports/_progress.html"


class ExportDownloadView(ExportView):
    """``/staff/exports/<pk>/download/``: the finished file, as an attachment."""

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
        export = self.get_export(pk)
        if export.status != Export.Status.DONE or not export.file:
            raise Http404("This export has no file (yet).")
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=export.filename,
            content_type=CONTENT_TYPES[export.format],
        )
