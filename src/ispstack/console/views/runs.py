"""Billing and collections runs: start them, and follow their progress.

A run started here is queued as a background job (``billing.services.
start_billing_run``, ``collections.services.start_collections_run``) and the
request returns at once; the run's page polls a progress fragment every
second (HTMX) until the run is done or failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.billing import services as billing
from ispstack.billing.models import BillingRun
from ispstack.collections import services as collections
from ispstack.collections.models import CollectionRun
from ispstack.console.access import StaffView
from ispstack.console.selectors.dashboard import today_for
from ispstack.core.errors import ServiceError

RECENT = 20


@dataclass(frozen=True)
class Kind:
    """One kind of run: its record, who may read and start it, and how."""

    key: str
    title: Any
    model: Any  # a run record's model: BillingRun or CollectionRun
    view_perm: str
    start_perm: str
    start: Any


KINDS = {
    "billing": Kind(
        "billing",
        gettext_lazy("Billing run"),
        BillingRun,
        "billing.view_billingrun",
        "billing.add_billingrun",
        billing.start_billing_run,
    ),
    "collections": Kind(
        "collections",
        gettext_lazy("Collections run"),
        CollectionRun,
        "collections.view_collectionrun",
        "collections.add_collectionrun",
        collections.start_collections_run,
    ),
}


class RunForm(forms.Form):
    """The business date to run for."""

    as_of = forms.DateField(
        label=gettext_lazy("Business date"),
        help_text=gettext_lazy(
            "The day to run for (YYYY-MM-DD), today by default; at most a year ahead."
        ),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


def _kind(key: str, user: Any) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise Http404("No such kind of run.")
    if not user.has_perm(kind.view_perm):
        raise PermissionDenied
    return kind


def progress(kind: Kind, run: Any) -> dict[str, Any]:
    """What the progress fragment shows of ``run``: ``state`` (queued,
    running, done, failed), ``done`` of ``total`` (subscriptions billed, or
    collections steps), and whether it is ``finished``."""
    if kind.key == "billing":
        done, total = run.subscriptions_done, run.subscriptions_seen
    else:
        done, total = run.steps_done, run.steps_total
    finished = run.status in ("done", "failed")
    if run.status == "done":
        done = total
    return {
        "state": run.status,
        "label": run.get_status_display(),
        "done": done,
        "total": total,
        "finished": finished,
    }


class RunsView(StaffView):
    """``/staff/runs/``: the recent runs of each kind the user may read, and
    "run now" forms for those who may start one."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(request, {})

    def page(
        self, request: HttpRequest, forms_by_kind: dict[str, RunForm], status: int = 200
    ) -> HttpResponse:
        user = request.user
        kinds = [kind for kind in KINDS.values() if user.has_perm(kind.view_perm)]
        if not kinds:
            raise PermissionDenied
        sections = []
        for kind in kinds:
            runs = self.scoped(kind.model.objects.all()).order_by("-created_at", "-id")
            if kind.key == "billing":
                runs = runs.annotate(failure_total=Count("failures"))
            may_start = self.tenant is not None and user.has_perm(kind.start_perm)
            form = forms_by_kind.get(kind.key)
            if form is None and may_start:
                form = RunForm(prefix=kind.key, initial={"as_of": today_for(user)})
            sections.append(
                {
                    "kind": kind,
                    "runs": list(runs.select_related("started_by")[:RECENT]),
                    "form": form if may_start else None,
                }
            )
        return render(
            request,
            "console/runs/list.html",
            {"title": _("Billing and collections runs"), "sections": sections},
            status=status,
        )


class StartRunView(RunsView):
    """``POST /staff/runs/<kind>/start/``: queue a run and open its progress page."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("console:runs"))

    def post(self, request: HttpRequest, kind: str, **kwargs: Any) -> HttpResponse:
        spec = _kind(kind, request.user)
        if not request.user.has_perm(spec.start_perm):
            raise PermissionDenied
        tenant = self.require_tenant()
        form = RunForm(request.POST, prefix=spec.key)
        if form.is_valid():
            try:
                run = spec.start(
                    tenant=tenant, as_of=form.cleaned_data["as_of"], actor=request.user
                )
            except ServiceError as exc:
                form.add_error("as_of" if exc.field == "as_of" else None, exc.message)
            else:
                return HttpResponseRedirect(
                    reverse("console:run", kwargs={"kind": spec.key, "pk": run.pk}), status=303
                )
        return self.page(request, {spec.key: form}, status=400)


class RunView(StaffView):
    """``/staff/runs/<kind>/<pk>/``: one run, its progress followed live."""

    template = "console/runs/detail.html"

    def get(self, request: HttpRequest, kind: str, pk: int, **kwargs: Any) -> HttpResponse:
        spec = _kind(kind, request.user)
        queryset = spec.model.objects.select_related("started_by")
        run = self.get_scoped(queryset, pk=pk)
        context = {
            "title": f"{spec.title} {run.as_of:%Y-%m-%d}",
            "kind": spec,
            "run": run,
            "progress": progress(spec, run),
        }
        if spec.key == "billing" and run.status in ("done", "failed"):
            context["failures"] = run.failures.count()
        return render(request, self.template, context)


class RunProgressView(RunView):
    """``/staff/runs/<kind>/<pk>/progress/``: the fragment the run's page polls."""

    template = "console/runs/_progress.html"
