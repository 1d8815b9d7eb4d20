"""What each database constraint of the sales app means to a user (see
core.integrity, which answers a violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "sales_quote_number_version_unique": Rule("number", "a quote has each version once"),
    "sales_line_quantity_positive": Rule("quantity", "must be more than 0"),
    "sales_line_discount_percent": Rule("discount_percent", "must be between 0 and 100"),
}
