"""The console's list pages: one base view for every list (customers,
invoices, payments, jobs...), in the style of NetBox.

A list is a ``ListView`` subclass naming its queryset, a django-filter
``FilterSet`` (the filter form above the table), a django-tables2 ``Table``
(the columns and how a cell reads) and, optionally, its sort keys, export
columns and bulk actions. The base view gives every list the same features:

- **Sorting** by ``?sort=<key>`` or ``?sort=-<key>``, where ``key`` is one of
  the view's ``sorts``; anything else is ignored (the default order).
- **Pagination that stays fast on millions of rows.** Sorted by a key listed
  in ``keyset_sorts`` (a non-null column with an index starting with the
  tenant), pages are sought from the last row seen (``?after=<value>~<id>``
  or ``?before=...``): the database reads one page from the index however
  deep the page is. Other sorts page with ``?page=N``. Neither counts the
  whole table when it is big: a total is shown when PostgreSQL's estimate of
  the table's size (``pg_class.reltuples``) is below ``COUNT_LIMIT``; above,
  the page says only that more rows follow.
- **A column chooser**: the visible columns are kept in the session per list.
- **Export** of the filtered list (all pages) as CSV or XLSX, made by a
  background job (``console.exports``): the request only queues it and opens
  the export's page, which follows the job and offers the file to the clerk
  who asked. Exported values are what a clerk reads, except money: a plain
  number with its currency in its own column, so a spreadsheet can sum it.
- **Bulk actions**: tick rows, pick an action, confirm on a page listing the
  rows (and a reason when the action needs one); the owning app's service is
  then called once per row and every row's outcome is reported. Each action
  names its permission; rows are looked up in the user's tenant only, so an
  id of another tenant's row is reported as not found and never touched.
- **HTMX**: changing a filter, a sort or a page reloads only the results
  (``#list-results``) and pushes the URL; without JavaScript the same links
  and forms load the whole page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.http import (
    HttpRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.console.access import StaffView
from ispstack.console.links import customer_url
from ispstack.core import display
from ispstack.core.errors import ServiceError
from ispstack.core.money import round_money

#: Below this estimated table size a list shows its exact (filtered) total.
COUNT_LIMIT = 200_000
#: Most rows a bulk action takes at once.
BULK_LIMIT = 500
#: Rows read per database round trip while exporting.
EXPORT_CHUNK = 2_000


# --------------------------------------------------------------------------
# Cells as a clerk reads them


def customer_link(customer: Any) -> str:
    """``<a>`` to the customer's page, labelled ``CT-2026-00001 Name``."""
    if customer is None:
        return ""
    return format_html(
        '<a href="{}">{} {}</a>', customer_url(customer.pk), customer.account_number, customer.name
    )


#: Badge colour per status value: ok (green), warn (amber), bad (red); others neutral.
BADGES = {
    "active": "ok",
    "paid": "ok",
    "matched": "ok",
    "approved": "ok",
    "done": "ok",
    "collected": "ok",
    "pending": "warn",
    "suspended": "warn",
    "partially_paid": "warn",
    "in_review": "warn",
    "unmatched": "warn",
    "issued": "warn",
    "running": "warn",
    "failed": "bad",
    "rejected": "bad",
    "terminated": "bad",
    "closed": "bad",
    "void": "bad",
    "returned": "bad",
}


def badge(value: str, label: Any) -> str:
    """A status as a coloured badge (the label is the status's display name)."""
    return format_html('<span class="badge {}">{}</span>', BADGES.get(value, ""), label)


class MoneyColumn(tables.Column):
    """An amount in the row's currency (``currency_accessor``, default ``currency``)
    shown as ``R 573.85``, right-aligned."""

    def __init__(self, *args: Any, currency_accessor: str = "currency", **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(*args, **kwargs)
        self.currency_accessor = currency_accessor

    def render(self, value: Any, record: Any) -> str:
        currency = tables.A(self.currency_accessor).resolve(record)
        return display.money(value, currency, _country(record))


def _country(record: Any) -> str | None:
    tenant = getattr(record, "_list_tenant", None)
    return getattr(tenant, "country", None)


class StatusColumn(tables.Column):
    """A status field shown as a badge with its label."""

    def render(self, value: Any, record: Any, bound_column: Any) -> str:
        raw = getattr(record, bound_column.accessor)
        return badge(raw, value)


class CustomerColumn(tables.Column):
    """The row's customer as a link to its console page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verbose_name", gettext_lazy("Customer"))
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return customer_link(value)


class LocalTimeColumn(tables.Column):
    """An aware datetime in the tenant's time zone (UTC for the platform operator)."""

    def render(self, value: dt.datetime, record: Any) -> str:
        return export_time(value, getattr(record, "_list_tenant", None))


# --------------------------------------------------------------------------
# Filters


class _Labelled:
    """A two-input range widget whose inputs are named for screen readers
    ("Issued between, from" / "... to"): a fieldset legend alone does not
    name an input."""

    label: Any = ""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        for sub, end in zip(context["widget"]["subwidgets"], (_("from"), _("to")), strict=False):
            sub["attrs"]["aria-label"] = f"{self.label}, {end}"
        return context


class DateRangeWidget(_Labelled, django_filters.widgets.DateRangeWidget):
    """From and to dates, as the browser's date pickers."""


class RangeWidget(_Labelled, django_filters.widgets.RangeWidget):
    """From and to numbers."""


# The empty choice of every filter's select: the filter is left out.
ANY = gettext_lazy("Any")


def search_filter(placeholder: Any) -> django_filters.CharFilter:
    """The list's free-text box (``?q=``), read by the filter set's ``search``
    method; ``placeholder`` says what it matches."""
    return django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=django_filters.widgets.forms.TextInput(
            attrs={"placeholder": placeholder, "type": "search"}
        ),
    )


def date_range(label: Any, **kwargs: Any) -> django_filters.DateFromToRangeFilter:
    """A filter on a date between two dates (either may be empty)."""
    widget = DateRangeWidget(attrs={"type": "date"})
    widget.label = label
    return django_filters.DateFromToRangeFilter(label=label, widget=widget, **kwargs)


def amount_range(label: Any) -> django_filters.RangeFilter:
    """A filter on an amount between two numbers (either may be empty)."""
    widget = RangeWidget(attrs={"inputmode": "decimal", "size": 8})
    widget.label = label
    return django_filters.RangeFilter(label=label, widget=widget)


class TenantFilterSet(django_filters.FilterSet):
    """A FilterSet whose choice fields of related rows (plans, NAS) offer only
    the user's tenant's rows: ``scoped_choices`` names filter -> model."""

    scoped_choices: dict[str, type[models.Model]] = {}

    def __init__(self, *args: Any, scope: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, model in self.scoped_choices.items():
            self.filters[name].queryset = scope(model._default_manager.all())


# --------------------------------------------------------------------------
# Export and bulk actions


def money_number(amount: Decimal | None, currency: str) -> Decimal | None:
    """An amount for export: a plain number with the currency's decimals
    (``573.85``, not ``573.8500``), so a spreadsheet sums it."""
    return None if amount is None else round_money(amount, currency)


def export_time(moment: dt.datetime | None, tenant: Any) -> str:
    """A datetime for export, in the tenant's time zone (UTC without one)."""
    if moment is None:
        return ""
    if tenant is None:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return display.local_datetime(moment, tenant)


@dataclass(frozen=True)
class ExportColumn:
    """One column of the CSV / XLSX export: its header and how a row gives its
    value (a plain value: text, number, date; money as a Decimal beside a
    currency column)."""

    header: Any
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class BulkAction:
    """An action on the ticked rows of a list.

    ``run(row, user, reason)`` calls the owning app's service for one row and
    raises ``ServiceError`` when that row cannot take it; a text it returns
    is the row's outcome (else "Done"). ``perm`` is the
    permission the action needs; ``needs_reason`` asks for a reason on the
    confirmation page. ``confirm`` explains what will happen.
    """

    name: str
    label: Any
    perm: str
    run: Callable[[Any, Any, str], Any]
    confirm: Any = ""
    needs_reason: bool = False
    danger: bool = False


class BulkForm(forms.Form):
    """The confirmation form: the rows and, when the action needs it, a reason."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept in each row's history."),
    )


@dataclass
class Page:
    """One page of rows and the links around it."""

    rows: list[Any]
    next_url: str = ""
    previous_url: str = ""
    total: int | None = None
    first_row: int | None = None
    keyset: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------
# The view


def estimated_rows(model: type[models.Model]) -> int:
    """PostgreSQL's estimate of the table's row count (``pg_class.reltuples``,
    updated by ANALYZE / autovacuum); -1 when never analysed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1


#: Every list view by its ``list_name`` (an export job rebuilds the list from it).
LIST_VIEWS: dict[str, type[ListView]] = {}


class ListView(StaffView):
    """Base of every console list (see the module docstring).

    Subclasses set ``list_name`` (the URL name is ``console:<list_name>-list``),
    ``title``, ``model``, ``table_class``, ``filterset_class``, ``sorts`` (sort
    key -> ORM fields), ``default_sort``, ``keyset_sorts`` (sort keys that are
    one non-null, indexed local field), ``export_columns`` and ``actions``;
    and override ``get_queryset`` to add ``select_related``.
    """

    template_name = "console/list.html"
    list_name = ""
    title: Any = ""
    model: type[models.Model]
    table_class: type[tables.Table]
    filterset_class: type[django_filters.FilterSet]
    sorts: dict[str, tuple[str, ...]] = {}
    default_sort = "-id"
    keyset_sorts: tuple[str, ...] = ("id",)
    page_size = 50
    export_columns: list[ExportColumn] = []
    actions: list[BulkAction] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.list_name:
            LIST_VIEWS[cls.list_name] = cls

    # -- data

    def get_queryset(self) -> models.QuerySet[Any]:
        """Every row of the model (scoped later); override to ``select_related``."""
        return self.model._default_manager.all()

    def filtered(self, data: QueryDict) -> tuple[django_filters.FilterSet, models.QuerySet[Any]]:
        """The filter set bound to ``data`` and the user's rows it keeps; an
        invalid filter (a bad date) keeps every row and shows the error."""
        filterset = self.filterset_class(
            data,
            queryset=self.scoped(self.get_queryset()),
            request=self.request,
            scope=self.scoped,
        )
        if filterset.is_valid():
            return filterset, filterset.qs
        return filterset, filterset.queryset

    def sort_key(self, data: QueryDict) -> tuple[str, bool]:
        """The sort key and whether it is descending; unknown keys fall back to
        the default sort."""
        raw = str(data.get("sort", "") or "")
        key = raw.lstrip("-")
        if key not in self.sorts and key != "id":
            raw = self.default_sort
            key = raw.lstrip("-")
        return key, raw.startswith("-")

    def order_fields(self, key: str, descending: bool) -> list[str]:
        fields = list(self.sorts.get(key, ())) if key != "id" else []
        sign = "-" if descending else ""
        return [f"{sign}{name}" for name in fields] + [f"{sign}id"]

    # -- pagination

    def paginate(self, queryset: models.QuerySet[Any], data: QueryDict) -> Page:
        key, descending = self.sort_key(data)
        ordered = queryset.order_by(*self.order_fields(key, descending))
        if key in self.keyset_sorts:
            page = self._keyset_page(ordered, data, key, descending)
        else:
            page = self._offset_page(ordered, data)
        if estimated_rows(self.model) < COUNT_LIMIT:
            page.total = queryset.order_by().count()
        return page

    def _field_name(self, key: str) -> str:
        return "id" if key == "id" else self.sorts[key][0]

    def _cursor(self, row: Any, key: str) -> str:
        value = getattr(row, self._field_name(key))
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        return f"{value}~{row.pk}"

    def _parse_cursor(self, raw: str, key: str) -> tuple[Any, int] | None:
        value, sep, pk = raw.rpartition("~")
        if not sep:
            return None
        try:
            field = self.model._meta.get_field(self._field_name(key))
            assert isinstance(field, models.Field)  # sorts name local columns
            return field.to_python(value), int(pk)
        except (ValidationError, ValueError, TypeError):
            return None

    def _keyset_page(
        self, ordered: models.QuerySet[Any], data: QueryDict, key: str, descending: bool
    ) -> Page:
        name = self._field_name(key)
        after = self._parse_cursor(str(data.get("after", "")), key)
        before = None if after else self._parse_cursor(str(data.get("before", "")), key)
        backwards = before is not None
        query = ordered
        cursor = after or before
        if cursor is not None:
            value, pk = cursor
            # Rows past the cursor in the walking direction; the redundant range
            # on the sort column lets PostgreSQL seek the index to the cursor.
            forward = descending == backwards
            op = "gt" if forward else "lt"
            bound = "gte" if forward else "lte"
            if name == "id":
                query = query.filter(**{f"id__{op}": pk})
            else:
                query = query.filter(
                    models.Q(**{f"{name}__{bound}": value})
                    & (
                        models.Q(**{f"{name}__{op}": value})
                        | models.Q(**{name: value, f"id__{op}": pk})
                    )
                )
        if backwards:
            query = query.reverse()
        rows = list(query[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        page = Page(rows=rows, keyset=True)
        if rows:
            if more or backwards:
                page.next_url = self._url(data, after=self._cursor(rows[-1], key))
            if cursor is not None and (more or not backwards):
                page.previous_url = self._url(data, before=self._cursor(rows[0], key))
        return page

    def _offset_page(self, ordered: models.QuerySet[Any], data: QueryDict) -> Page:
        try:
            number = max(1, min(int(str(data.get("page", "1"))), 1_000_000))
        except ValueError:
            number = 1
        start = (number - 1) * self.page_size
        rows = list(ordered[start : start + self.page_size + 1])
        page = Page(rows=rows[: self.page_size], first_row=start + 1)
        if len(rows) > self.page_size:
            page.next_url = self._url(data, page=str(number + 1))
        if number > 1:
            page.previous_url = self._url(data, page=str(number - 1))
        return page

    def _url(self, data: QueryDict, **changes: str) -> str:
        """``?query`` of the current filters and sort with ``changes``; cursors,
        page numbers and empty fields left out."""
        query = data.copy()
        for name in ("after", "before", "page", "export"):
            query.pop(name, None)
        for name in list(query):
            values = [value for value in query.getlist(name) if value != ""]
            if values:
                query.setlist(name, values)
            else:
                del query[name]
        for name, value in changes.items():
            query[name] = value
        return f"?{query.urlencode()}"

    # -- columns

    @property
    def _columns_key(self) -> str:
        return f"console.lists.{self.list_name}.columns"

    def visible_columns(self, table: tables.Table) -> list[str]:
        chosen = self.request.session.get(self._columns_key)
        names = [column.name for column in table.columns.iterall()]
        if not isinstance(chosen, list):
            return names
        return [name for name in names if name in chosen] or names

    def _header(self, column: Any, data: QueryDict, key: str, descending: bool) -> dict[str, Any]:
        """A column's heading: its sort link (ascending first, then descending)."""
        sort_url = ""
        if column.name in self.sorts:
            flip = key == column.name and not descending
            sort_url = self._url(data, sort=("-" if flip else "") + column.name)
        sorted_as = ""
        if key == column.name:
            sorted_as = "descending" if descending else "ascending"
        return {
            "name": column.name,
            "label": column.header,
            "attrs": column.attrs.get("th", {}),
            "sort_url": sort_url,
            "sorted": sorted_as,
        }

    # -- HTTP

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        data = request.GET
        export = data.get("export")
        if export in ("csv", "xlsx"):
            return self.export(data, str(export))
        filterset, queryset = self.filtered(data)
        page = self.paginate(queryset, data)
        tenant = self.tenant
        for row in page.rows:
            row._list_tenant = tenant
        table = self.table_class(page.rows, orderable=False)
        all_columns = [(column.name, column.header) for column in table.columns.iterall()]
        visible = self.visible_columns(table)
        for name, _header in all_columns:
            if name not in visible:
                table.columns.hide(name)
        key, descending = self.sort_key(data)
        headers = [self._header(column, data, key, descending) for column in table.columns]
        actions = [action for action in self.actions if request.user.has_perm(action.perm)]
        context = {
            "title": self.title,
            "list_name": self.list_name,
            "filterset": filterset,
            "table": table,
            "headers": headers,
            "page": page,
            "actions": actions if self.tenant is not None else [],
            "all_columns": all_columns,
            "visible_columns": visible,
            "may_export": self.tenant is not None,
            "sort": data.get("sort", ""),
            "query": self._url(data)[1:],
        }
        if request.htmx and request.htmx.target == "list-results":  # type: ignore[attr-defined]
            response = render(request, "console/list_results.html", context)
            # The address bar shows the filters that are set, not every empty field.
            kept = {name: data[name] for name in ("after", "before", "page") if data.get(name)}
            response["HX-Push-Url"] = f"{request.path}{self._url(data, **kept)}".rstrip("?")
        else:
            response = render(request, self.template_name, context)
        # The same URL answers a fragment to htmx and a page otherwise.
        patch_vary_headers(response, ("HX-Request",))
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "columns_form" in request.POST:
            return self.choose_columns(request)
        if request.POST.get("export") in ("csv", "xlsx"):
            return self.export(request.GET, str(request.POST["export"]))
        return self.bulk(request)

    def choose_columns(self, request: HttpRequest) -> HttpResponseBase:
        """Remember the ticked columns for this list in the session."""
        known = [column.name for column in self.table_class([]).columns.iterall()]
        chosen = [name for name in request.POST.getlist("columns") if name in known]
        if request.POST.get("reset") or not chosen:
            request.session.pop(self._columns_key, None)
        else:
            request.session[self._columns_key] = chosen
        return HttpResponseRedirect(f"{request.path}?{request.POST.get('query', '')}")

    # -- export

    def export(self, data: QueryDict, kind: str) -> HttpResponseBase:
        """Queue an export of the filtered list as a background job
        (``console.exports``) and open its page, which follows the job."""
        from ispstack.console.exports import start_export

        export = start_export(view=self, kind=kind)
        return HttpResponseRedirect(reverse("console:export", kwargs={"pk": export.pk}), status=303)

    def export_query(self, data: QueryDict) -> str:
        """The filters and sort of ``data`` as a query string: what an export
        rebuilds the list from (pages, cursors and form fields left out)."""
        query = QueryDict(mutable=True)
        skipped = {"after", "before", "page", "export", "csrfmiddlewaretoken", "query"}
        for name in data:
            values = [value for value in data.getlist(name) if value != ""]
            if name not in skipped and values:
                query.setlist(name, values)
        return query.urlencode()

    def export_queryset(self, data: QueryDict) -> models.QuerySet[Any]:
        """The rows of the filtered list in its sort, all pages."""
        _filterset, queryset = self.filtered(data)
        key, descending = self.sort_key(data)
        return queryset.order_by(*self.order_fields(key, descending))

    def export_count(self, data: QueryDict) -> int:
        """How many rows the export of ``data`` holds."""
        return self.export_queryset(data).order_by().count()

    def export_table(self, data: QueryDict) -> tuple[list[str], Iterator[list[Any]]]:
        """The export's headers and its rows (plain values), read in chunks."""
        headers = [str(column.header) for column in self.export_columns]
        return headers, self.export_rows(self.export_queryset(data))

    def export_rows(self, queryset: models.QuerySet[Any]) -> Iterator[list[Any]]:
        """Each row's export values, read in chunks."""
        for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
            row._list_tenant = self.tenant
            yield [_plain(column.value(row)) for column in self.export_columns]

    # -- bulk actions

    def bulk(self, request: HttpRequest) -> HttpResponseBase:
        """Step 1 (no ``confirm``): show what will change. Step 2: run the action
        on each row the user may see, report each outcome."""
        self.require_tenant()
        action = next((a for a in self.actions if a.name == request.POST.get("action")), None)
        if action is None:
            messages.error(request, _("Choose an action for the ticked rows."))
            return HttpResponseRedirect(f"{request.path}?{request.POST.get('query', '')}")
        if not request.user.has_perm(action.perm):
            raise PermissionDenied
        ids = _ids(request.POST.getlist("pk"))
        if not ids:
            messages.error(request, _("Tick at least one row."))
            return HttpResponseRedirect(f"{request.path}?{request.POST.get('query', '')}")
        rows = list(self.scoped(self.get_queryset()).filter(pk__in=ids[:BULK_LIMIT]).order_by("pk"))
        for row in rows:
            row._list_tenant = self.tenant
        missing = len(set(ids[:BULK_LIMIT]) - {row.pk for row in rows})
        form = BulkForm(request.POST if "confirm" in request.POST else None)
        table = self.table_class(rows, orderable=False)
        context: dict[str, Any] = {
            "title": self.title,
            "action": action,
            "rows": rows,
            "table": table,
            "form": form,
            "missing": missing,
            "query": request.POST.get("query", ""),
            "too_many": len(ids) > BULK_LIMIT,
            "bulk_limit": BULK_LIMIT,
        }
        if "confirm" not in request.POST or not form.is_valid():
            return render(request, "console/list_confirm.html", context)
        reason = form.cleaned_data["reason"].strip()
        if action.needs_reason and not reason:
            form.add_error("reason", _("A reason is required for this action."))
            return render(request, "console/list_confirm.html", context)
        results = []
        for row in rows:
            try:
                with transaction.atomic():
                    outcome = action.run(row, request.user, reason)
            except ServiceError as error:
                results.append({"row": row, "ok": False, "message": error.message})
            else:
                message = outcome if isinstance(outcome, str) else _("Done")
                results.append({"row": row, "ok": True, "message": message})
        context["results"] = results
        context["done"] = sum(1 for result in results if result["ok"])
        context["failed"] = len(results) - context["done"]
        return render(request, "console/list_done.html", context)


def _ids(values: Iterable[str]) -> list[int]:
    ids = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            ids.append(number)
    return list(dict.fromkeys(ids))


def _plain(value: Any) -> Any:
    """A value a CSV / spreadsheet cell takes: text, a number, a date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal | int | float | dt.date | str):
        return value
    return str(value)


def list_url(name: str, **params: Any) -> str:
    """The URL of ``console:<name>-list`` with ``params`` as its query."""
    base = reverse(f"console:{name}-list")
    return f"{base}?{urlencode(params)}" if params else base
