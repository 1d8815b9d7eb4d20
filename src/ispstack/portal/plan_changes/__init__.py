"""Plan change requests: a customer asks in the portal to move a service to
another plan, the back office approves or rejects the request.

The request (``portal.models.PlanChangeRequest``) records the plan at
request time, the plan asked for, the monthly price difference with its
currency and the effective date: the start of the next billing cycle, or
today where the tenant lets customers ask for a change now
(``SubscriptionSettings.portal_plan_change_now``). An approval calls billing's
``change_plan``, so the existing paths do the rest: a change for a later day
is a scheduled ``PlanChange`` that the billing run applies on its day, a
change now is applied at once with proration; either way the subscription
publishes ``PlanSwitched``, on which RADIUS rewrites the subscriber's rows
(the new rate) and sends a CoA, and on which this package marks the request
applied. With ``SubscriptionSettings.instant_plan_upgrades`` a request for a
dearer plan is approved at once and applied now; a cheaper one always waits.

The customer is emailed at each step (submitted, approved, rejected,
applied) through the outbox; every decision is on the tenant's audit log.
"""
