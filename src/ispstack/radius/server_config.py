"""FreeRADIUS 3.2 configuration for ispstack's database (``ispstack radius config``).

Writes, into a directory laid out like FreeRADIUS's own (``raddb``):

- ``mods-available/sql``: rlm_sql on our database, dialect postgresql, the
  package's stock ``queries.conf``, ``read_clients`` from our ``nas`` table;
- ``sites-available/ispstack``: the virtual server a PPPoE BRAS needs;
- ``clients.conf``: no clients of its own (they come from the nas table),
  with a note saying so and the NAS known when it was written.

The templates are in ``radius/templates/freeradius``. The database
connection is ispstack's own unless the caller passes another (a role
restricted to the RADIUS tables, docs/install.md).
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass
from pathlib import Path

from ispstack.core.errors import InvalidInput
from ispstack.network.models import Nas

TEMPLATES = Path(__file__).with_name("templates") / "freeradius"


class _Template(string.Template):
    # FreeRADIUS's own syntax already uses ${...} and %{...}.
    delimiter = "@"


@dataclass(frozen=True)
class Connection:
    """How FreeRADIUS reaches PostgreSQL: ``host`` is a name, an address or a
    Unix-socket directory (as libpq takes it); ``port`` a TCP port."""

    host: str
    port: int
    user: str
    password: str
    name: str


def _quoted(value: str) -> str:
    """``value`` escaped for a double-quoted FreeRADIUS string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _port(value: int, field: str) -> int:
    if not 1 <= value <= 65535:
        raise InvalidInput("must be a UDP port between 1 and 65535", field=field)
    return value


def write_config(
    directory: Path,
    *,
    database: Connection,
    listen_address: str = "*",
    auth_port: int = 1812,
    acct_port: int = 1813,
) -> list[Path]:
    """Write the three files under ``directory`` (created if missing) and
    return their paths. ``listen_address`` is an IP address or ``*`` (every
    address); ports default to RFC 2865/2866's 1812 and 1813.

    Raises InvalidInput for a bad address or port.
    """
    if listen_address != "*":
        try:
            ipaddress.ip_address(listen_address)
        except ValueError:
            raise InvalidInput("must be an IP address or *", field="listen_address") from None
    values = {
        "db_host": _quoted(database.host),
        "db_port": database.port,
        "db_user": _quoted(database.user),
        "db_password": _quoted(database.password),
        "db_name": _quoted(database.name),
        "listen_address": listen_address,
        "auth_port": _port(auth_port, "auth_port"),
        "acct_port": _port(acct_port, "acct_port"),
        "nas_list": "\n".join(
            f"#   {nas.nasname} ({nas.shortname}, {nas.type})"
            for nas in Nas.objects.order_by("nasname")
        )
        or "#   (none yet)",
    }
    written = []
    for template, target, mode in (
        ("sql", "mods-available/sql", 0o640),
        ("site", "sites-available/ispstack", 0o644),
        ("clients.conf", "clients.conf", 0o644),
    ):
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=mode)
        path.chmod(mode)
        path.write_text(_Template((TEMPLATES / template).read_text()).substitute(values))
        written.append(path)
    return written
