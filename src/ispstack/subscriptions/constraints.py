"""What each database constraint of the subscriptions app means to a user: the
input field it guards and the rule (see core.integrity, which answers a
violation with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "subscriptions_username_ci_unique": Rule(
        "username",
        "is taken: a username is unique across all ISPs, ignoring case "
        "(FreeRADIUS has one namespace)",
    ),
    "subscriptions_billing_day_range": Rule("billing_day", "must be between 1 and 31"),
    "subscriptions_framed_prefix_disjoint": Rule(
        "framed_ipv6_prefix",
        "overlaps the framed prefix of another subscription: a prefix has one holder at a time",
    ),
    "subscriptions_delegated_prefix_disjoint": Rule(
        "delegated_ipv6_prefix",
        "overlaps the delegated prefix of another subscription: a prefix has one holder at a time",
    ),
    "subscriptions_onuassignment_one_open": Rule(
        "onu", "is assigned already: an ONU serves one subscription at a time"
    ),
    "subscriptions_onuassignment_released_after": Rule(
        "released_at", "must not be before assigned_at"
    ),
}
