"""What each database constraint of the sales app means to a user (see
core.integrity, which answers a violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "sales_quote_number_version_unique": Rule("number", "a quote has each version once"),
    "sales_line_quantity_positive": Rule("quantity", "must be more than 0"),
    "sales_line_discount_percent": Rule("discount_percent", "must be between 0 and 100"),
    "sales_contract_number_unique": Rule("number", "a contract number is used once"),
    "sales_contract_term_months": Rule("term_months", "must be 1 to 120 months"),
    "sales_contract_renewal_term_months": Rule("renewal_term_months", "must be 1 to 120 months"),
    "sales_contract_end_after_start": Rule("end_date", "must not be before the term's start"),
    "sales_contract_amounts_not_negative": Rule("monthly_commitment", "must not be negative"),
    "sales_contract_version_unique": Rule("version", "a contract has each version once"),
    "sales_contract_subscription_once": Rule(
        "subscription", "the subscription is under another open contract"
    ),
    "sales_service_credit_once_a_month": Rule("month", "a contract has one credit a month"),
    "sales_shortfall_once_a_month": Rule("month", "a contract's month is measured once"),
    "sales_shortfall_not_negative": Rule("amount", "must not be negative"),
    "sales_downgrade_fee_positive": Rule("amount", "must be more than 0"),
}
