"""What each database constraint of the webhooks app means to a user: the
input field it guards and the rule (see core.integrity)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "webhooks_one_delivery_per_event": Rule(
        "event_id", "is delivered to this endpoint already: one delivery per event and endpoint"
    ),
}
