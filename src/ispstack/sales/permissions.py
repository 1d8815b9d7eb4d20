"""The permissions each action on a quote or a contract needs, keyed by the
API's action names: one table read by the API's viewsets and the console's
views, so a role may do in the console exactly what it may do in the API."""

from __future__ import annotations

QUOTE_VIEW = ("sales.view_quote",)
QUOTE_EDIT = ("sales.change_quote", "sales.view_quote")
QUOTE_PERMS: dict[str, tuple[str, ...]] = {
    "list": QUOTE_VIEW,
    "retrieve": QUOTE_VIEW,
    "pdf": QUOTE_VIEW,
    "create": ("sales.add_quote", "sales.view_quote"),
    "partial_update": QUOTE_EDIT,
    "destroy": ("sales.delete_quote", "sales.view_quote"),
    "lines": ("sales.change_quote", "sales.add_quoteline"),
    "remove_line": ("sales.change_quote", "sales.delete_quoteline"),
    "send": QUOTE_EDIT,
    "resend": QUOTE_EDIT,
    # A revision is a new quote (version n+1); the old one is not changed.
    "revise": ("sales.add_quote", "sales.view_quote"),
    "decline": QUOTE_EDIT,
    "accept_on_paper": QUOTE_EDIT,
}

CONTRACT_VIEW = ("sales.view_contract",)
CONTRACT_EDIT = ("sales.change_contract", "sales.view_contract")
CONTRACT_PERMS: dict[str, tuple[str, ...]] = {
    "list": CONTRACT_VIEW,
    "retrieve": CONTRACT_VIEW,
    "pdf": CONTRACT_VIEW,
    "termination_fee": CONTRACT_VIEW,
    "create": ("sales.add_contract", "sales.view_contract"),
    "partial_update": CONTRACT_EDIT,
    "destroy": ("sales.delete_contract", "sales.view_contract"),
    "link": CONTRACT_EDIT,
    "release": CONTRACT_EDIT,
    "activate": CONTRACT_EDIT,
    "terminate": CONTRACT_EDIT,
    "renew": CONTRACT_EDIT,
    # A service credit is a credit note on the customer's invoice.
    "service_credit": (*CONTRACT_EDIT, "billing.add_creditnote"),
}
