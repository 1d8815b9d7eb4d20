"""The console's home page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ispstack.console.access import StaffView


class HomeView(StaffView):
    """``/staff/``: the dashboard."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "console/home.html", {"title": "Dashboard"})
