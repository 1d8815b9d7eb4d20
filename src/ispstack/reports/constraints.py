"""What each database constraint of the reports app means to a user: the input
field it guards and the rule (see core.integrity)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "reports_settings_margin_range": Rule(
        "gross_margin_percent", "must be a percentage from 0 to 100"
    ),
    "reports_spend_month_unique": Rule(
        "month", "has its marketing spend already: one amount per month"
    ),
    "reports_spend_not_negative": Rule("amount", "must not be negative"),
    "reports_spend_first_of_month": Rule("month", "must be the first day of a month"),
}
