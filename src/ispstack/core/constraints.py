"""What each database constraint of the core app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "core_exchangerate_unique": Rule(
        "day", "has a rate for this currency already: one rate per currency and day"
    ),
    # The header is no body field: core.api.idempotency answers the race itself.
    "core_idempotency_one_per_user": Rule(
        None, "the Idempotency-Key is in use already: one answer per key and user"
    ),
    "core_sequence_unique": Rule(
        None, "a numbering sequence exists already for this name and year"
    ),
}
