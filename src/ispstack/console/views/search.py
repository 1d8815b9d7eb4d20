"""Global search from the top bar of every page (``console.search``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ispstack.console.access import StaffView
from ispstack.console.search import MAX_QUERY_LENGTH, search

PAGE_LIMIT = 10
"""Hits shown per group on the results page."""

DROPDOWN_LIMIT = 5
"""Hits shown per group in the top bar's search-as-you-type list."""


class SearchView(StaffView):
    """``/staff/search/?q=``: customers, subscriptions, IP addresses, invoices,
    credit notes, payments and bank accounts matching ``q``, grouped by kind,
    each group only for users who may read it. ``partial=1`` answers the short
    list the top bar shows while typing (HTMX)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw = request.GET.get("q", "")
        partial = request.GET.get("partial") == "1"
        results = search(request.user, raw, limit=DROPDOWN_LIMIT if partial else PAGE_LIMIT)
        context = {
            "title": _("Search"),
            "search_query": results.query.text,
            "results": results,
        }
        if partial:
            if not results.query.text:
                # Truly empty, so the dropdown's :empty rule hides it.
                return HttpResponse("")
            return render(request, "console/search_dropdown.html", context)
        if results.query.truncated:
            messages.warning(
                request,
                _("Your search was cut to its first %(count)d characters.")
                % {"count": MAX_QUERY_LENGTH},
            )
        return render(request, "console/search.html", context)
