"""The chart of accounts: a tenant's default chart and the account a posting uses.

Default chart (a product default, editable in the admin and the console):
four-digit codes grouped by class as most small-business charts are
(1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx revenue, 6xxx expenses),
so an accountant finds each account where expected and can renumber it to
the package's chart. Why each account exists:

- 1000 Cash, 1100 Bank: money received and paid out, per payment method.
- 1150 Card settlement clearing: a card processor pays out days later and
  net of its fees, so card receipts wait here until the payout is
  reconciled against the bank.
- 1200 Accounts receivable: what customers owe; invoices debit it,
  credit notes, payments credit it, refunds and reversed payments debit it.
- 2100 Deferred revenue: recurring service billed in advance is a
  liability until the service month is delivered (IFRS 15.106, ASC
  606-10-45-2); recognition moves it to revenue month by month.
- 2200 VAT payable: output tax collected for the tax authority, one
  account for every rate unless the tenant maps a rate to its own.
- 3000 Retained earnings: no posting uses it; a chart without equity
  cannot close a year.
- 4000 Internet service revenue (recurring and proration), 4010 Add-on
  revenue, 4100 One-time fees (installation, equipment), 4150 Early
  termination fees, 4160 Contract fees (a downgrade fee and a minimum
  commitment shortfall that a contract charges), 4200 Usage revenue (over
  the data cap): revenue split the way an ISP reports it.
- 4900 Discounts granted: a contra-revenue account, so gross revenue and
  discounts stay visible apart.
- 6900 Rounding differences: the cents by which an invoice's total
  (tax rounded per invoice and rate) differs from its lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from ispstack.accounting.models import Account, AccountMapping, AccountType, PostingRole
from ispstack.billing.models import LineKind
from ispstack.core.errors import Conflict
from ispstack.core.models import Tenant
from ispstack.payments.models import PaymentMethod

#: Line kinds billed for a service period in advance: their net is deferred
#: revenue at issue and becomes revenue as the months are delivered (revenue
#: recognition posts that with ``post_recognition``). Every other kind
#: (one-time, usage, discount) is revenue at issue, delivered at a point in time.
DEFERRED_KINDS = frozenset({LineKind.RECURRING, LineKind.ADDON, LineKind.PRORATION})

#: Revenue key of an early termination fee (a one-time charge that a
#: contract's termination bills); mapped to its own account by default.
EARLY_TERMINATION = "early_termination"

#: Revenue key of the other fees a contract charges during its term (a
#: downgrade fee, a minimum commitment shortfall). A chart made before it
#: existed has no mapping for it: those fees stay on the one-time fees'
#: account there, as they were booked before.
CONTRACT_FEE = "contract_fee"

A, L, E, R, X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.REVENUE,
    AccountType.EXPENSE,
)

#: (code, name, type) of the default chart; see the module docstring.
DEFAULT_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1000", "Cash", A),
    ("1100", "Bank", A),
    ("1150", "Card settlement clearing", A),
    ("1200", "Accounts receivable", A),
    ("2100", "Deferred revenue", L),
    ("2200", "VAT payable", L),
    ("3000", "Retained earnings", E),
    ("4000", "Internet service revenue", R),
    ("4010", "Add-on revenue", R),
    ("4100", "One-time fees", R),
    ("4150", "Early termination fees", R),
    ("4160", "Contract fees", R),
    ("4200", "Usage revenue", R),
    ("4900", "Discounts granted", R),
    ("6900", "Rounding differences", X),
)

#: (role, key, account code) of the default mappings.
DEFAULT_MAPPINGS: tuple[tuple[str, str, str], ...] = (
    (PostingRole.RECEIVABLE, "", "1200"),
    (PostingRole.DEFERRED_REVENUE, "", "2100"),
    (PostingRole.TAX_PAYABLE, "", "2200"),
    (PostingRole.REVENUE, "", "4000"),
    (PostingRole.REVENUE, LineKind.ADDON, "4010"),
    (PostingRole.REVENUE, LineKind.ONE_TIME, "4100"),
    (PostingRole.REVENUE, EARLY_TERMINATION, "4150"),
    (PostingRole.REVENUE, CONTRACT_FEE, "4160"),
    (PostingRole.REVENUE, LineKind.USAGE, "4200"),
    (PostingRole.REVENUE, LineKind.DISCOUNT, "4900"),
    (PostingRole.BANK, "", "1100"),
    (PostingRole.BANK, PaymentMethod.CASH, "1000"),
    (PostingRole.BANK, PaymentMethod.CARD, "1150"),
    (PostingRole.REFUND, "", "1100"),
    (PostingRole.REFUND, PaymentMethod.CASH, "1000"),
    (PostingRole.REFUND, PaymentMethod.CARD, "1150"),
    (PostingRole.ROUNDING, "", "6900"),
)


def rate_key(rate: Decimal) -> str:
    """The mapping key of a VAT rate in percent: ``19.000`` -> ``19``, ``5.500`` -> ``5.5``."""
    text = format(Decimal(rate).normalize(), "f")
    return text


@transaction.atomic
def ensure_chart(tenant: Tenant) -> bool:
    """Give ``tenant`` the default chart and mappings when it has no account
    yet; returns whether it did. A tenant that has any account keeps its
    own chart untouched (an account deleted on purpose stays deleted)."""
    if Account.objects.for_tenant(tenant).exists():
        return False
    accounts = {
        code: Account(tenant=tenant, code=code, name=name, type=kind)
        for code, name, kind in DEFAULT_ACCOUNTS
    }
    Account.objects.bulk_create(accounts.values(), ignore_conflicts=True)
    by_code = {a.code: a for a in Account.objects.for_tenant(tenant)}
    AccountMapping.objects.bulk_create(
        [
            AccountMapping(tenant=tenant, role=role, key=key, account=by_code[code])
            for role, key, code in DEFAULT_MAPPINGS
        ],
        ignore_conflicts=True,
    )
    return True


class Chart:
    """The accounts of one tenant's mappings, read once per posting run.

    ``account(role, key)`` returns the account of (role, key), else of
    (role, ""); raises Conflict (field ``role``) naming the role when
    neither is mapped, a configuration the tenant must fix before posting.
    """

    def __init__(self, tenant: Tenant) -> None:
        ensure_chart(tenant)
        self.tenant = tenant
        self._map = {
            (m.role, m.key): m.account
            for m in AccountMapping.objects.for_tenant(tenant).select_related("account")
        }

    def maps(self, role: str, key: str) -> bool:
        """Whether (role, key) itself is mapped, without the role's fallback."""
        return (role, key) in self._map

    def account(self, role: str, key: str = "") -> Account:
        found = self._map.get((role, key)) or self._map.get((role, ""))
        if found is None:
            label = PostingRole(role).label if role in PostingRole.values else role
            raise Conflict(
                f"no account is mapped for {label}{f' ({key})' if key else ''}", field="role"
            )
        return found
