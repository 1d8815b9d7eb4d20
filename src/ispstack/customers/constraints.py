"""What each database constraint of the customers app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "customers_customer_account_unique": Rule(
        "account_number", "is taken: account numbers are unique within the ISP"
    ),
}
