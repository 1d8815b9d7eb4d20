"""Shared pieces of every app's REST API: the tenant-scoped base viewset and
request helpers (``base``), the permissions, and the router the root
``ispstack.api`` app assembles every app's routes on. Apps import these from
their own ``api/`` package.

They live in ``core`` (the lowest floor) rather than in the root ``api`` app so
that an app's API can use them without importing a floor above its own.
"""
