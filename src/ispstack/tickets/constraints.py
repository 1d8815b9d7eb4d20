"""What each database constraint of the tickets app means to a user: the input
field it guards and the rule (see core.integrity)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "tickets_timeoff_end_after_start": Rule("end_date", "must not be before the start date"),
    "tickets_appointment_ends_after_start": Rule("ends_at", "must be after the start"),
}
