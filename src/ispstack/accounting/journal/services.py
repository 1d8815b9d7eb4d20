"""Accounting writes callers use: posting the journal, recognition, exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ispstack.accounting import exports
from ispstack.accounting.journal import selectors
from ispstack.accounting.journal.recognition import post_recognition
from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.models import Account, AccountMapping
from ispstack.core import audit, clock
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant

__all__ = [
    "LAYOUTS",
    "Export",
    "export_journal",
    "map_account",
    "post_journal",
    "post_recognition",
]

#: Export layouts: ``general`` (any spreadsheet or package with a column
#: mapping) and ``xero`` (Xero's manual journal import), see ``exports``.
LAYOUTS = ("general", "xero")


@dataclass(frozen=True)
class Export:
    """A file to download: its bytes, name and content type."""

    content: bytes
    filename: str
    content_type: str


def export_journal(
    *,
    tenant: Tenant,
    period: selectors.Range,
    layout: str = "general",
    currency: str = "",
    tax_rate: str = "",
) -> Export:
    """The journal booked in ``period`` in ``layout``, after posting what is
    due up to the period's end (or today, when that is earlier).

    ``currency`` limits the export to one currency (ISO 4217; empty: all,
    except for Xero, which takes the tenant's currency). ``tax_rate``
    overrides the Xero tax rate name (default by the tenant's country,
    ``exports.XERO_NO_TAX``). Raises InvalidInput (``layout``, ``currency``).
    """
    if layout not in LAYOUTS:
        raise InvalidInput(f"must be one of {', '.join(LAYOUTS)}", field="layout")
    currency = (currency or "").strip().upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise InvalidInput("must be an ISO 4217 code such as EUR", field="currency")
    post_journal(tenant=tenant, through=min(period.end, clock.today(tenant)))
    stem = f"journal-{tenant.slug}-{period.label}"
    if layout == "general":
        content = exports.general_csv(
            selectors.export_lines(tenant, period, currency).iterator(chunk_size=2000)
        )
        return Export(content, f"{stem}.csv", "text/csv")
    currency = currency or tenant.currency
    rate = (tax_rate or "").strip()[:50] or exports.XERO_NO_TAX.get(tenant.country, "No Tax")
    files = exports.xero_files(
        selectors.export_lines(tenant, period, currency).iterator(chunk_size=2000), tax_rate=rate
    )
    content, filename, content_type = exports.bundle(files, f"{stem}-xero-{currency}")
    return Export(content, filename, content_type)


@transaction.atomic
def map_account(
    *, tenant: Tenant, mapping: AccountMapping, account: Account, actor: Any = None
) -> AccountMapping:
    """Point ``mapping``'s posting role at ``account`` from now on (entries
    written before keep their account: the journal never changes).

    Raises NotFound (field ``account``) for a mapping or an account of
    another tenant, InvalidInput (field ``account``) for an inactive account.
    """
    if mapping.tenant_id != tenant.pk or account.tenant_id != tenant.pk:
        raise NotFound("no such account in this tenant", field="account")
    if not account.is_active:
        raise InvalidInput("the account is inactive", field="account")
    before = {"account": mapping.account.code}
    mapping.account = account
    mapping.save(update_fields=["account", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=actor,
        action="accounting.map_account",
        obj=mapping,
        before=before,
        after={"account": account.code},
    )
    return mapping
