"""Hotspot tables, one module per concept (vouchers, captive portal, MAC onboarding)."""

from ispstack.hotspot.models.captive import (
    CaptiveCode,
    CaptiveUser,
    CaptiveUserStatus,
    HotspotPolicy,
    WalledGardenEntry,
    WalledGardenKind,
)
from ispstack.hotspot.models.onboarding import MacProfile, RouterSecret
from ispstack.hotspot.models.vouchers import (
    DurationStart,
    Voucher,
    VoucherAgent,
    VoucherBatch,
    VoucherPlan,
    VoucherSettings,
    VoucherState,
)

__all__ = [
    "CaptiveCode",
    "CaptiveUser",
    "CaptiveUserStatus",
    "DurationStart",
    "HotspotPolicy",
    "MacProfile",
    "RouterSecret",
    "Voucher",
    "VoucherAgent",
    "VoucherBatch",
    "VoucherPlan",
    "VoucherSettings",
    "VoucherState",
    "WalledGardenEntry",
    "WalledGardenKind",
]
