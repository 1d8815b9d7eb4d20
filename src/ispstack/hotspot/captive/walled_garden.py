"""The walled garden as a RouterOS script (``/ip hotspot walled-garden``).

Domains become ``/ip hotspot walled-garden add dst-host=... action=allow``
(the HTTP-level list, matched on the Host header) and networks become
``/ip hotspot walled-garden ip add dst-address=... action=accept`` (the IP
list, any protocol). Every line carries ``comment="ispstack: ..."`` and the
script first removes the lines with that prefix, so running it again
replaces what an earlier run added and leaves hand-made entries alone.
RouterOS quoting: inside ``"..."`` a backslash, a double quote and ``$``
are escaped with a backslash (RouterOS scripting manual, "Escape
sequences"); values are validated on input, comments are escaped here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from ispstack.core.models import Tenant
from ispstack.hotspot.models import WalledGardenEntry, WalledGardenKind
from ispstack.network.models import Nas

TAG = "ispstack:"


def quote(text: str) -> str:
    """``text`` as a RouterOS double-quoted string, control characters dropped."""
    clean = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def entries_for(tenant: Tenant, nas: Nas | None = None) -> QuerySet[WalledGardenEntry]:
    """The tenant's entries a router gets: those for every router, and with
    ``nas`` also those of that NAS and of its site."""
    rows = WalledGardenEntry.objects.for_tenant(tenant)
    if nas is None:
        return rows.filter(nas__isnull=True, site__isnull=True)
    scope = Q(nas__isnull=True, site__isnull=True) | Q(nas=nas)
    if nas.site_id:
        scope |= Q(site_id=nas.site_id)
    return rows.filter(scope)


def routeros_script(entries: Iterable[WalledGardenEntry]) -> str:
    """The script that makes a router's walled garden these ``entries``."""
    lines = [
        "# ispstack walled garden: remove the entries of an earlier run, add the current ones",
        f'/ip hotspot walled-garden remove [find where comment~"^{TAG}"]',
        f'/ip hotspot walled-garden ip remove [find where comment~"^{TAG}"]',
    ]
    for entry in entries:
        comment = quote(f"{TAG} {entry.comment}".rstrip())
        if entry.kind == WalledGardenKind.HOST:
            lines.append(
                f"/ip hotspot walled-garden add dst-host={quote(entry.value)} "
                f"action=allow comment={comment}"
            )
        else:
            lines.append(
                f"/ip hotspot walled-garden ip add dst-address={entry.value} "
                f"action=accept comment={comment}"
            )
    return "\n".join(lines) + "\n"
