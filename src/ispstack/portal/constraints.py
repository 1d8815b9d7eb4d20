"""What each database constraint of the portal app means to a user: the input
field it guards and the rule (see core.integrity)."""

from ispstack.core.integrity import Rule

CONSTRAINT_RULES = {
    "portal_portaluser_email_unique": Rule(
        "email", "has a portal login already: one login per email address"
    ),
    "portal_portalhost_host_unique": Rule(
        "host", "opens another portal already: one tenant per host name"
    ),
}
