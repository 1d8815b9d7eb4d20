"""What each database constraint of the provisioning app means to a user (see
core.integrity, which answers a violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "provisioning_step_unique": Rule(None, "an order has each step once"),
    "provisioning_survey_completed_has_outcome": Rule(
        "outcome", "is required for a completed survey"
    ),
}
