"""RADIUS attribute values derived from our business objects.

Rates are given to these functions in kbit/s (1 kbit/s = 1000 bit/s) and
leave as each vendor expects them. The attribute names are those of the
FreeRADIUS dictionaries (``dictionary.mikrotik``, ``dictionary.cisco``,
``dictionary.erx``, ``dictionary.wispr``, ``dictionary.rfc4679``).
"""

from __future__ import annotations

from django.conf import settings

from ispstack.network.models import NasType


def rate(kbps: int) -> str:
    """A MikroTik rate string: ``50M`` for 50000 kbit/s, ``1500k`` otherwise."""
    return f"{kbps // 1000}M" if kbps % 1000 == 0 else f"{kbps}k"


def mikrotik_rate_limit(upload_kbps: int, download_kbps: int) -> str:
    """The ``Mikrotik-Rate-Limit`` value ``rx/tx`` from the router's side, i.e.
    subscriber upload / download (MikroTik RADIUS dictionary), e.g. ``10M/50M``."""
    return f"{rate(upload_kbps)}/{rate(download_kbps)}"


def _cisco_policer(kbps: int) -> str:
    # Cisco's sizing rule for a policer: normal burst = 1.5 s of traffic in
    # bytes, excess burst twice that.
    bps = kbps * 1000
    normal = bps // 8 * 3 // 2
    return f"{bps};{normal};{normal * 2}"


def rate_attributes(nas_type: str, upload_kbps: int, download_kbps: int) -> list[tuple[str, str]]:
    """The (attribute, value) pairs that set a subscriber's rate on a NAS of ``nas_type``.

    - mikrotik: ``Mikrotik-Rate-Limit`` ``up/down``;
    - cisco: ``Cisco-Account-Info`` ``QU;<bit/s>;<normal burst>;<excess burst>;D;...``
      (ISG per-session policing, bursts in bytes);
    - juniper: ``ERX-Service-Activate:1`` ``<service>(<down bit/s>,<up bit/s>)``, the
      dynamic service named by ``settings.RADIUS_JUNIPER_RATE_SERVICE``;
    - other: ``WISPr-Bandwidth-Max-Up/Down`` and RFC 4679 ``Maximum-Data-Rate-Upstream/
      Downstream`` (bit/s), for access points and BNGs that read either.

    Unknown types get the generic set.
    """
    if nas_type == NasType.MIKROTIK:
        return [("Mikrotik-Rate-Limit", mikrotik_rate_limit(upload_kbps, download_kbps))]
    if nas_type == NasType.CISCO:
        policer = f"QU;{_cisco_policer(upload_kbps)};D;{_cisco_policer(download_kbps)}"
        return [("Cisco-Account-Info", policer)]
    if nas_type == NasType.JUNIPER:
        service = settings.RADIUS_JUNIPER_RATE_SERVICE
        return [
            ("ERX-Service-Activate:1", f"{service}({download_kbps * 1000},{upload_kbps * 1000})")
        ]
    up, down = str(upload_kbps * 1000), str(download_kbps * 1000)
    return [
        ("WISPr-Bandwidth-Max-Up", up),
        ("WISPr-Bandwidth-Max-Down", down),
        ("Maximum-Data-Rate-Upstream", up),
        ("Maximum-Data-Rate-Downstream", down),
    ]
