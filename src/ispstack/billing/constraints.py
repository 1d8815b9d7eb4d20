"""What each database constraint of the billing app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "billing_invoice_number_unique": Rule(
        "number", "is taken: invoice numbers are unique within the ISP"
    ),
    "billing_invoice_paid_not_negative": Rule(
        "amount", "would take the amount paid on the invoice below zero"
    ),
    "billing_invoice_not_overpaid": Rule(
        "amount", "would pay more than the invoice's total less its credit"
    ),
    "billing_line_one_per_period": Rule(
        "subscription", "is invoiced for this period already: one invoice line per period"
    ),
    "billing_addon_line_one_per_period": Rule(
        "addon", "is invoiced for this period already: one invoice line per period"
    ),
    "billing_creditnote_number_unique": Rule(
        "number", "is taken: credit note numbers are unique within the ISP"
    ),
    "billing_creditnote_amounts": Rule(
        "amount",
        "a credit note's total must be above zero and its unused rest between zero and it",
    ),
}
