"""The customer self-service portal under ``/my/<tenant slug>/``.

Subscribers see their own account: balance, next invoice, each service with
its online state and data used this cycle, invoices, credit notes, payments
and receipts (PDFs included) and a statement PDF. They pay an invoice by
card (Stripe PaymentIntents, 3-D Secure included), report bank transfers
with a proof for staff review, and manage their saved payment methods; the
writes are the payments app's, called with the signed-in customer's rows.
They ask for another plan for a service; the back office approves or
rejects the request (``portal.plan_changes``).

Accounts (a design decision). A portal user is a ``PortalUser`` row of this
app, never a ``core.User``: the project's one ``AUTH_USER_MODEL`` is staff,
and every staff check (the console's ``may_use_console``, the admin's
``is_staff``, the API's authentication and ``required_perms``) reads
``request.user``. A portal login never calls ``django.contrib.auth.login``,
so ``request.user`` stays anonymous in a portal session and no staff page,
admin page or staff API call opens for it. The portal keeps its own session
keys (``portal.auth``); signing in to the portal flushes the session first,
and a session that holds a staff login is never taken as a portal session,
so one browser session is never both. Passwords are hashed with
``django.contrib.auth.hashers`` (the project's hashers). A customer has
several portal users, each with a role (``owner``, ``billing`` contact); the
tenant comes from the URL (``/my/<slug>/``), as the ISP's own host name will
in the white-label step.

Sign-in by email address, or by the customer's account number (which signs
in the customer's owner); wrong passwords count in django-axes as the staff
logins do (the same limit and cool-off, keyed by ``portal:<tenant>:<login>``
and the address), sessions end after ``PORTAL_IDLE_MINUTES`` without a
request. Invitations and password resets are signed, expiring links that
stop working once used (``portal.tokens``).

Floor: just below the staff faces (``api : cli : ops : console``), so the
console invites portal users, the demo creates one and the API mounts the
portal's API (``portal.api``, under ``/api/v1/portal/``); the portal imports
none of them.
"""
