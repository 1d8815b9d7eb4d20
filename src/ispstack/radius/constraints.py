"""What each database constraint of the radius app means to a user: the input
field it guards and the rule (see core.integrity, which answers a violation
with a Conflict carrying them)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "radacct_acctuniqueid_key": Rule(
        "acctuniqueid", "is recorded already: one accounting row per Acct-Unique-Session-Id"
    ),
    "radcheck_username_attribute_unique": Rule(
        "username",
        "has this check item already: one radcheck row per username (ignoring case) and attribute",
    ),
}
