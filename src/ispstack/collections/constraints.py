"""What each database constraint of the collections app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "collections_reminder_unique": Rule(
        "level", "is sent for this invoice already: each reminder level once per invoice"
    ),
    "collections_step_order": Rule(
        "position", "is taken: the steps of a campaign have distinct positions"
    ),
    "collections_one_active_execution": Rule(
        "customer", "is in an active dunning campaign already: one at a time per customer"
    ),
}
