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
    "portal_planchangerequest_one_open": Rule(
        "subscription", "has an open plan change request already: one at a time"
    ),
    "portal_planchangerequest_other_plan": Rule(
        "plan", "must be another plan than the subscription's current one"
    ),
    "portal_planchangerequest_rejection_reason": Rule(
        "reason", "is required to reject a plan change request"
    ),
}
