"""What each database constraint of the notifications app means to a user:
the input field it guards and the rule (see core.integrity)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "notifications_preference_unique": Rule(
        "kind", "has a preference already: one row per customer and kind of notice"
    ),
}
