"""Filters of the NOC lists: sessions and the CoA log.

Dates are days in the tenant's time zone (UTC for the platform operator); a
bad value is a form error next to its field, never a server error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ispstack.console.selectors.noc import _is_address
from ispstack.core.tenancy import scope
from ispstack.network.models import Nas
from ispstack.radius.models import CoaRequest, RadAcct

ONLINE, ALL, CLOSED = "online", "all", "closed"


def _tenant_nas(request: Any) -> QuerySet[Nas]:
    if request is None:
        return Nas.objects.none()
    return scope(Nas.objects.all(), request.user).order_by("shortname")


def _day_start(request: Any, day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo

    tenant = getattr(getattr(request, "user", None), "tenant", None)
    zone = ZoneInfo(tenant.timezone) if tenant else dt.UTC
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


class DayInput(forms.DateInput):
    input_type = "date"


class _TenantDays(django_filters.FilterSet):
    """Days as ``YYYY-MM-DD`` in the tenant's zone: ``*_after`` from the start
    of that day, ``*_before`` until the end of it."""

    def _after(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.time_field}__gte": _day_start(self.request, value)})

    def _before(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        end = _day_start(self.request, value + dt.timedelta(days=1))
        return queryset.filter(**{f"{self.time_field}__lt": end})

    time_field = ""


class SessionFilter(_TenantDays):
    """Sessions by NAS, username, online or not and start day. With no
    ``state`` given, online sessions only."""

    time_field = "acctstarttime"

    state = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[(ONLINE, _("Online only")), (ALL, _("All sessions")), (CLOSED, _("Closed only"))],
        empty_label=None,
        method="by_state",
    )
    nas = django_filters.ModelChoiceFilter(
        label=_("NAS"), queryset=_tenant_nas, method="by_nas", empty_label=_("Any NAS")
    )
    username = django_filters.CharFilter(
        label=_("Username contains"),
        lookup_expr="icontains",
        max_length=64,
    )
    started_after = django_filters.DateFilter(
        label=_("Started on or after"), method="_after", widget=DayInput
    )
    started_before = django_filters.DateFilter(
        label=_("Started on or before"), method="_before", widget=DayInput
    )

    class Meta:
        model = RadAcct
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and not data.get("state"):
            data = data.copy()
            data["state"] = ONLINE
        super().__init__(data, *args, **kwargs)

    def by_state(self, queryset: QuerySet[RadAcct], name: str, value: str) -> QuerySet[RadAcct]:
        if value == ONLINE:
            return queryset.filter(acctstoptime__isnull=True)
        if value == CLOSED:
            return queryset.filter(acctstoptime__isnull=False)
        return queryset

    def by_nas(self, queryset: QuerySet[RadAcct], name: str, value: Nas) -> QuerySet[RadAcct]:
        if value is None:
            return queryset
        # A NAS registered by hostname has no accounting address to match.
        if not _is_address(value.nasname):
            return queryset.none()
        return queryset.filter(nasipaddress=value.nasname)


class CoaFilter(_TenantDays):
    """CoA log by answer, NAS and day sent."""

    time_field = "created_at"

    status = django_filters.ChoiceFilter(
        label=_("Result"), choices=CoaRequest.Status.choices, empty_label=_("Any result")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Request"), choices=CoaRequest.Kind.choices, empty_label=_("Any request")
    )
    nas = django_filters.ModelChoiceFilter(
        label=_("NAS"), queryset=_tenant_nas, empty_label=_("Any NAS")
    )
    sent_after = django_filters.DateFilter(
        label=_("Sent on or after"), method="_after", widget=DayInput
    )
    sent_before = django_filters.DateFilter(
        label=_("Sent on or before"), method="_before", widget=DayInput
    )

    class Meta:
        model = CoaRequest
        fields: list[str] = []
