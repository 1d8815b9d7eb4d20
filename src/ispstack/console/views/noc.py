"""The NOC screens (menu "Network"): online sessions and their history, why a
login fails, the CoA log and the NAS list.

Each page needs what the API needs to read the same data
(``required_perms`` of the radius, network and subscriptions viewsets):
sessions ``radius.view_radacct``, login attempts ``radius.view_radpostauth``
with ``radius.view_radcheck`` and ``radius.view_radreply``, the CoA log
``radius.view_coarequest``, the NAS ``network.view_nas``; so noc and admin
see all of it, support reads it, billing none of it (``core.roles``).
Disconnecting a session sends a Disconnect-Request, a CoA request of our
own: it needs ``radius.add_coarequest`` (noc, admin).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ispstack.console.access import StaffView
from ispstack.console.filters.noc import CoaFilter, SessionFilter
from ispstack.console.selectors import noc
from ispstack.console.tables.noc import CoaTable, NasTable, SessionTable
from ispstack.network.models import Nas
from ispstack.network.nas import reveal_secret
from ispstack.radius.models import CoaRequest
from ispstack.radius.services import disconnect
from ispstack.subscriptions.models import Subscription

PAGE_SIZE = 50
BIGINT_MAX = 2**63 - 1
DISCONNECT_PERMS = ("radius.view_radacct", "radius.add_coarequest")


class CursorForm(forms.Form):
    """The keyset cursor: rows with an id below ``before`` (the last row of
    the previous page)."""

    before = forms.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)


def _keyset_page(queryset: Any, request: HttpRequest, key: str) -> tuple[list[Any], int | None]:
    """One page of ``queryset`` (ordered by ``-key``) after the cursor in
    ``?before=``; returns the rows and the cursor of the next page (or None).
    A bad cursor starts from the newest row."""
    cursor = CursorForm(request.GET)
    before = cursor.cleaned_data.get("before") if cursor.is_valid() else None
    if before:
        queryset = queryset.filter(**{f"{key}__lt": before})
    rows = list(queryset[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (getattr(rows[-1], key) if more and rows else None)


def _next_url(request: HttpRequest, cursor: int | None) -> str:
    if cursor is None:
        return ""
    query = request.GET.copy()
    query["before"] = str(cursor)
    return f"?{query.urlencode()}"


class SessionsView(StaffView):
    """``/staff/noc/sessions/``: online sessions (default) and their history,
    with rates over the last interim interval; the table refreshes itself
    every 10 s (HTMX asks for the fragment only)."""

    required_perms = ("radius.view_radacct", "subscriptions.view_subscription")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters = SessionFilter(request.GET, queryset=noc.sessions(request.user), request=request)
        queryset = filters.qs if filters.is_valid() else noc.sessions(request.user).none()
        rows, cursor = _keyset_page(queryset, request, "radacctid")
        noc.decorate_sessions(rows, request.user)
        table = SessionTable(
            rows,
            tenant=self.tenant,
            may_disconnect=request.user.has_perms(DISCONNECT_PERMS),
        )
        context = {
            "title": _("Online sessions"),
            "filter": filters,
            "table": table,
            "next_url": _next_url(request, cursor),
            "refresh_url": f"{request.path}?{request.GET.urlencode()}",
        }
        # HTMX's refresh asks for the table only (django-htmx: request.htmx).
        fragment = bool(getattr(request, "htmx", False))
        template = "console/noc/sessions_table.html" if fragment else "console/noc/sessions.html"
        return render(request, template, context)


class DisconnectView(StaffView):
    """``/staff/noc/sessions/<radacctid>/disconnect/``: a confirmation page
    (GET), then the Disconnect-Request for the subscriber's open sessions
    (POST, through ``radius.services.disconnect``: audited, sent after
    commit, its answer in the CoA log)."""

    required_perms = DISCONNECT_PERMS

    def _session(self, radacctid: int) -> Any:
        session = noc.sessions(self.request.user).filter(radacctid=radacctid).first()
        if session is None:
            from django.http import Http404

            raise Http404("No such session.")
        return session

    def get(self, request: HttpRequest, radacctid: int) -> HttpResponse:
        session = self._session(radacctid)
        noc.decorate_sessions([session], request.user)
        return render(
            request,
            "console/noc/disconnect.html",
            {"title": _("Disconnect a session"), "session": session},
        )

    def post(self, request: HttpRequest, radacctid: int) -> HttpResponse:
        tenant = self.require_tenant()
        session = self._session(radacctid)
        sub = self.get_scoped(
            Subscription.objects.select_related("tenant"), username=session.username
        )
        if sub.tenant_id != tenant.pk:
            raise PermissionDenied
        reason = (request.POST.get("reason") or "").strip()[:200]
        disconnect(
            subscription=sub, actor=request.user, reason=reason or _("Disconnected by staff")
        )
        messages.success(
            request,
            _("Disconnect-Request queued for %(username)s; the answer shows in the CoA log.")
            % {"username": sub.username},
        )
        return HttpResponseRedirect(reverse("console:noc-sessions"))


class UsernameForm(forms.Form):
    username = forms.CharField(label=_("RADIUS username"), max_length=64, required=False)


class LoginCheckView(StaffView):
    """``/staff/noc/auth/?username=``: why a login fails. The last login
    attempts next to the subscriber's radcheck and radreply as FreeRADIUS
    sends them, and the diagnoses in plain language."""

    required_perms = (
        "radius.view_radpostauth",
        "radius.view_radcheck",
        "radius.view_radreply",
        "subscriptions.view_subscription",
    )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = UsernameForm(request.GET)
        report = None
        if form.is_valid() and form.cleaned_data["username"].strip():
            report = noc.login_report(form.cleaned_data["username"].strip(), request.user)
        return render(
            request,
            "console/noc/auth.html",
            {"title": _("Why a login fails"), "form": form, "report": report},
        )


class CoaLogView(StaffView):
    """``/staff/noc/coa/``: CoA and Disconnect requests with their answers;
    ``attempts`` counts the requests sent so far for the same session."""

    required_perms = ("radius.view_coarequest",)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        base = self.scoped(CoaRequest.objects.select_related("nas")).order_by("-id")
        filters = CoaFilter(request.GET, queryset=base, request=request)
        queryset = filters.qs if filters.is_valid() else base.none()
        earlier = (
            CoaRequest.objects.filter(
                tenant_id=OuterRef("tenant_id"),
                username=OuterRef("username"),
                acct_session_id=OuterRef("acct_session_id"),
                kind=OuterRef("kind"),
                id__lte=OuterRef("id"),
            )
            .order_by()
            .values("tenant_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        queryset = queryset.annotate(
            attempts=Coalesce(Subquery(earlier, output_field=IntegerField()), 1)
        )
        rows, cursor = _keyset_page(queryset, request, "id")
        return render(
            request,
            "console/noc/coa.html",
            {
                "title": _("CoA log"),
                "filter": filters,
                "table": CoaTable(rows, tenant=self.tenant),
                "next_url": _next_url(request, cursor),
            },
        )


class NasListView(StaffView):
    """``/staff/noc/nas/``: the NAS, their last accounting and open sessions;
    a NAS silent for two interim intervals is flagged. Secrets show as
    "set"; a user with ``network.reveal_secret`` may reveal one (audited)."""

    required_perms = ("network.view_nas",)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        may_reveal = request.user.has_perm("network.reveal_secret") and self.tenant is not None
        table = NasTable(noc.nas_list(request.user), tenant=self.tenant, may_reveal=may_reveal)
        return render(request, "console/noc/nas.html", {"title": _("NAS"), "table": table})


@method_decorator(never_cache, name="dispatch")
class NasRevealView(StaffView):
    """``/staff/noc/nas/<id>/reveal/``: GET asks to confirm, POST shows the
    shared secret once (``network.nas.reveal_secret``: audited, never cached)."""

    required_perms = ("network.view_nas", "network.reveal_secret")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        nas = self.get_scoped(Nas.objects.all(), pk=pk)
        return render(
            request, "console/noc/reveal.html", {"title": _("Reveal a shared secret"), "nas": nas}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require_tenant()
        nas = self.get_scoped(Nas.objects.all(), pk=pk)
        secret = reveal_secret(nas=nas, actor=request.user)
        return render(
            request,
            "console/noc/reveal.html",
            {"title": _("Reveal a shared secret"), "nas": nas, "secret": secret},
        )
