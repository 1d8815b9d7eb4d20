"""RADIUS attribute values derived from our business objects."""

from __future__ import annotations


def rate(kbps: int) -> str:
    """A MikroTik rate string: ``50M`` for 50000 kbit/s, ``1500k`` otherwise."""
    return f"{kbps // 1000}M" if kbps % 1000 == 0 else f"{kbps}k"


def mikrotik_rate_limit(upload_kbps: int, download_kbps: int) -> str:
    """The ``Mikrotik-Rate-Limit`` value ``rx/tx`` from the router's side, i.e.
    subscriber upload / download (MikroTik RADIUS dictionary), e.g. ``10M/50M``."""
    return f"{rate(upload_kbps)}/{rate(download_kbps)}"
