"""Shared pieces of every app's REST API: the tenant-scoped base viewset, the
permissions, and the strict input fields. Apps import these from their own
``api/`` package; the root ``ispstack.api`` app only assembles the routers.

They live in ``core`` (the lowest floor) rather than in the root ``api`` app so
that an app's API can use them without importing a floor above its own.
"""
