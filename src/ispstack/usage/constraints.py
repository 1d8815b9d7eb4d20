"""What each database constraint of the usage app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "usage_daily_unique": Rule(
        "day", "has usage recorded already: one row per subscription and day"
    ),
    "usage_alert_once_per_cycle": Rule(
        "threshold", "was alerted in this cycle already: each threshold once per cycle"
    ),
    "usage_topupoffer_volume_positive": Rule("extra_bytes", "must be more than zero"),
    "usage_topupoffer_price_not_negative": Rule("price", "must not be negative"),
    "usage_topup_request_once": Rule(
        "request_key", "was used for a top-up already: one purchase per key"
    ),
    "usage_overage_once_per_cycle": Rule(
        "cycle_start", "is charged for overage already: once per cycle"
    ),
}
