"""Global search from the top bar of every page."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ispstack.console.access import StaffView
from ispstack.customers.models import Customer

MAX_RESULTS = 20


class SearchView(StaffView):
    """``/staff/search/?q=``: customers by account number, name or email."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = request.GET.get("q", "").strip()[:200]
        customers: list[Customer] = []
        if query and request.user.has_perm("customers.view_customer"):
            customers = list(
                self.scoped(Customer.objects.all())
                .filter(
                    Q(account_number__iexact=query)
                    | Q(name__icontains=query)
                    | Q(email__iexact=query)
                )
                .order_by("name")[:MAX_RESULTS]
            )
        return render(
            request,
            "console/search.html",
            {"title": _("Search"), "search_query": query, "customers": customers},
        )
