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
    "reports_schedule_weekly_weekday": Rule(
        "weekday", "a weekly report needs its weekday (0 Monday to 6 Sunday)"
    ),
    "reports_schedule_monthly_day": Rule(
        "day_of_month", "a monthly report needs its day of month (1-31)"
    ),
    "reports_schedule_weekday_range": Rule("weekday", "must be 0 (Monday) to 6 (Sunday)"),
    "reports_schedule_day_range": Rule("day_of_month", "must be 1 to 31"),
    "reports_delivery_once_per_due": Rule("schedule", "was sent for this due time already"),
    "reports_mrr_day_once": Rule("day", "is stored already: one set of MRR facts per day"),
    "reports_mrr_month_once": Rule("day", "is stored already: one MRR month per closing day"),
    "reports_revenue_month_once": Rule(
        "month", "is stored already: one set of revenue facts per month"
    ),
    "reports_usage_month_once": Rule(
        "month", "is stored already: one set of usage facts per month"
    ),
}
