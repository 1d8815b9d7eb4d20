"""The "run now" button for admin changelists of run records (billing, collections).

A run is queued as a background job, never performed in the request (a
billing run of a few thousand invoices takes minutes); the page sends the
user to the console page that follows its progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path

from ispstack.core import clock
from ispstack.core.admin_base import ReadOnlyTenantAdmin, form_page
from ispstack.core.errors import ServiceError


class AsOfForm(forms.Form):
    as_of = forms.DateField(label="As of", help_text="The business date to run for (YYYY-MM-DD).")


class RunNowAdmin(ReadOnlyTenantAdmin):
    """A read-only run log with a "run now" page; subclasses set ``run_label`` and ``run``."""

    change_list_template = "admin/ispstack/change_list_run.html"
    run_label = "Run now"
    run_permission = ""

    def run(self, request: HttpRequest, as_of: Any) -> str | tuple[str, str]:
        """Do the run for the user's tenant: return the message to show, or for
        a run started in the background (anything that may last more than a
        second) the message and the URL of the page following its progress.
        A ServiceError is shown as an error message."""
        raise NotImplementedError

    def get_urls(self) -> list[Any]:
        view: Callable[..., HttpResponse] = self.admin_site.admin_view(self.run_view)
        return [
            path("run/", view, name=f"{self.opts.app_label}_{self.opts.model_name}_run"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(
            request, {**(extra_context or {}), "run_label": self.run_label}
        )

    def run_view(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request.user, "tenant", None)
        if tenant is None or not request.user.has_perm(self.run_permission):
            self.message_user(
                request,
                "Only staff of a tenant with the permission can run this.",
                level=messages.ERROR,
            )
            return HttpResponseRedirect("../")
        form = AsOfForm(request.POST or None, initial={"as_of": clock.today(tenant)})
        if request.method == "POST" and form.is_valid():
            try:
                result = self.run(request, form.cleaned_data["as_of"])
            except ServiceError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
                return HttpResponseRedirect("../")
            message, follow = (result, "../") if isinstance(result, str) else result
            self.message_user(request, message)
            return HttpResponseRedirect(follow)
        return form_page(request, title=self.run_label, form=form, submit_label=self.run_label)
