"""The console's home page: the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ispstack.console.access import StaffView
from ispstack.console.selectors.dashboard import dashboard


class HomeView(StaffView):
    """``/staff/``: the dashboard, the cards the user may read (each links to
    the list behind it)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(
            request,
            "console/home.html",
            {"title": _("Dashboard"), "cards": dashboard(request.user)},
        )
