"""The customer portal's REST API under ``/api/v1/portal/``: what the
portal's pages show (account, services, usage, documents, payments), as JSON
and PDFs, and what they let a customer do (pay by card, report a transfer,
payment methods, plan change requests, tickets, profile, notice
preferences), for a customer's own app or script.

Authenticated by portal tokens only (``portal.api.tokens``): a portal user
exchanges their tenant's slug, login and password for a token at
``POST /api/v1/portal/auth/token/``. A staff token or a staff session never
opens these routes, and a portal token never opens the staff API (the two
kinds of token live in different tables). Reads go through
``portal.selectors`` with the token's customer, so another customer's or
tenant's id answers 404; writes call the services the pages call
(``portal.services``, ``portal.plan_changes.services``), never a second
implementation, and every token may write (``portal.api.tokens``).
Mounted by ``ispstack.api.urls``; imports nothing of the floors above the
portal.
"""
