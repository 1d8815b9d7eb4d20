"""Tables of the NOC screens (django-tables2). Values read as an operator
reads them: times in the tenant's zone, bytes as ``1.2 GB``, durations as
``2 h 5 min``, rates as ``12.3 Mbit/s``. Rows come decorated by
``console.selectors.noc`` (no query while rendering)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from ispstack.console.links import customer_url
from ispstack.console.selectors.noc import bit_rate, coa_error
from ispstack.core import display


def _when(moment: dt.datetime | None, tenant: Any) -> str:
    if moment is None:
        return "—"
    if tenant is None:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return display.local_datetime(moment, tenant)


class _NocTable(tables.Table):
    """Shared options: no sorting by header (the lists page by key, newest
    first), the console's table look, an empty-list message."""

    def __init__(self, *args: Any, tenant: Any = None, **kwargs: Any) -> None:
        self.tenant = tenant
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    class Meta:
        attrs = {"class": "noc-table"}
        empty_text = _("Nothing to show.")
        template_name = "django_tables2/table.html"


class SessionTable(_NocTable):
    """Online sessions and their history (``decorate_sessions`` rows)."""

    username = tables.Column(verbose_name=_("Username"), empty_values=())
    customer = tables.Column(verbose_name=_("Customer"), empty_values=(), accessor="radacctid")
    nas = tables.Column(verbose_name=_("NAS"), empty_values=(), accessor="nasipaddress")
    address = tables.Column(verbose_name=_("IP address"), empty_values=(), accessor="radacctid")
    started = tables.Column(verbose_name=_("Started"), empty_values=(), accessor="acctstarttime")
    uptime = tables.Column(
        verbose_name=_("Uptime"),
        empty_values=(),
        accessor="radacctid",
        attrs={"td": {"class": "num"}},
    )
    download = tables.Column(
        verbose_name=_("Downloaded"),
        empty_values=(),
        accessor="acctoutputoctets",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    upload = tables.Column(
        verbose_name=_("Uploaded"),
        empty_values=(),
        accessor="acctinputoctets",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    rate = tables.Column(
        verbose_name=_("Rate down / up"),
        empty_values=(),
        accessor="radacctid",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    actions = tables.Column(verbose_name=_("Actions"), empty_values=(), accessor="radacctid")

    def __init__(self, *args: Any, may_disconnect: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_disconnect:
            self.columns.hide("actions")

    def render_username(self, record: Any) -> SafeString:
        sub = record.subscription
        name = record.username or "—"
        if sub is None:
            return format_html("{}", name)
        return format_html('<a href="{}">{}</a>', customer_url(sub.customer_id), name)

    def render_customer(self, record: Any) -> str:
        sub = record.subscription
        return f"{sub.customer.account_number} · {sub.customer.name}" if sub else "—"

    def render_nas(self, record: Any) -> SafeString:
        if record.nas is None:
            return format_html(
                '{} <span class="badge warn">{}</span>', record.nasipaddress, _("not registered")
            )
        return format_html(
            '{}<br><span class="muted">{}</span>', record.nas.shortname, record.nasipaddress
        )

    def render_address(self, record: Any) -> SafeString:
        parts = [
            value
            for value in (
                record.framedipaddress,
                record.framedipv6prefix,
                record.delegatedipv6prefix,
            )
            if value
        ]
        if not parts:
            return mark_safe("—")  # noqa: S308 - a constant
        return format_html_join(mark_safe("<br>"), "{}", ((p,) for p in parts))

    def render_started(self, record: Any) -> str:
        return _when(record.acctstarttime, self.tenant)

    def render_uptime(self, record: Any) -> str:
        return display.duration(record.uptime) or "—"

    def render_download(self, record: Any) -> str:
        return display.data_size(record.acctoutputoctets or 0)

    def render_upload(self, record: Any) -> str:
        return display.data_size(record.acctinputoctets or 0)

    def render_rate(self, record: Any) -> str | SafeString:
        rate = record.rate
        if rate is None:
            return "—"
        shown = f"{bit_rate(rate.download_bps)} / {bit_rate(rate.upload_bps)}"
        if record.silent_for is not None:
            minutes = int(record.silent_for.total_seconds() // 60)
            return format_html(
                '{}<br><span class="badge warn">{}</span>',
                shown,
                _("no update for %(minutes)s min") % {"minutes": minutes},
            )
        return shown

    def render_actions(self, record: Any) -> SafeString:
        if record.acctstoptime is not None or record.subscription is None:
            return mark_safe("")  # noqa: S308 - a constant
        url = reverse("console:noc-disconnect", args=[record.radacctid])
        return format_html('<a class="button danger" href="{}">{}</a>', url, _("Disconnect…"))


class CoaTable(_NocTable):
    """CoA-Request and Disconnect-Request records with their answers."""

    created_at = tables.Column(verbose_name=_("Sent"), empty_values=())
    kind = tables.Column(verbose_name=_("Request"), empty_values=())
    username = tables.Column(verbose_name=_("Username"), empty_values=())
    nas = tables.Column(verbose_name=_("NAS"), empty_values=())
    status = tables.Column(verbose_name=_("Result"), empty_values=())
    error = tables.Column(verbose_name=_("Error-Cause"), empty_values=())
    attempts = tables.Column(
        verbose_name=_("Attempts"), empty_values=(), attrs={"td": {"class": "num"}}
    )
    session_closed = tables.Column(verbose_name=_("Session ended"), empty_values=())

    def render_created_at(self, record: Any) -> str:
        return _when(record.created_at, self.tenant)

    def render_kind(self, record: Any) -> str:
        return str(record.get_kind_display())

    def render_nas(self, record: Any) -> str:
        return record.nas.shortname if record.nas else "—"

    def render_status(self, record: Any) -> SafeString:
        level = {"ack": "ok", "nak": "bad", "timeout": "warn", "no_nas": "bad"}.get(
            record.status, ""
        )
        return format_html('<span class="badge {}">{}</span>', level, record.get_status_display())

    def render_error(self, record: Any) -> str:
        return coa_error(record.error) or "—"

    def render_attempts(self, record: Any) -> int:
        return int(getattr(record, "attempts", 1) or 1)

    def render_session_closed(self, record: Any) -> str:
        if record.session_closed is None:
            return "—"
        return str(_("Yes") if record.session_closed else _("No, still open"))


class NasTable(_NocTable):
    """The NAS with their last accounting (``nas_list`` rows)."""

    shortname = tables.Column(verbose_name=_("Name"), empty_values=())
    nasname = tables.Column(verbose_name=_("Address"), empty_values=())
    type = tables.Column(verbose_name=_("Type"), empty_values=())
    last_seen = tables.Column(verbose_name=_("Last accounting"), empty_values=(), accessor="id")
    online = tables.Column(
        verbose_name=_("Online sessions"),
        empty_values=(),
        accessor="id",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    state = tables.Column(verbose_name=_("Status"), empty_values=(), accessor="id")
    secret = tables.Column(verbose_name=_("Shared secret"), empty_values=(), accessor="id")

    def __init__(self, *args: Any, may_reveal: bool = False, **kwargs: Any) -> None:
        self.may_reveal = may_reveal
        super().__init__(*args, **kwargs)

    def render_type(self, record: Any) -> str:
        return str(record.get_type_display())

    def render_last_seen(self, record: Any) -> str:
        return _when(record.last_seen, self.tenant)

    def render_online(self, record: Any) -> int:
        return int(record.online)

    def render_state(self, record: Any) -> SafeString:
        if record.last_seen is None:
            return format_html('<span class="badge warn">{}</span>', _("no accounting yet"))
        if record.silent_for is not None:
            minutes = int(record.silent_for.total_seconds() // 60)
            return format_html(
                '<span class="badge bad">{}</span>',
                _("no accounting for %(minutes)s min") % {"minutes": minutes},
            )
        return format_html('<span class="badge ok">{}</span>', _("reporting"))

    def render_secret(self, record: Any) -> SafeString:
        shown = _("set") if record.secret else _("not set")
        if not self.may_reveal or not record.secret:
            return format_html("{}", shown)
        url = reverse("console:noc-nas-reveal", args=[record.pk])
        return format_html('{} · <a href="{}">{}</a>', shown, url, _("Reveal…"))
