"""Outages: a site, sector, NAS or device down (``selectors`` finds the
subscriptions it hits, ``services`` declares, updates and resolves it and
groups fault tickets under it, ``jobs`` tells the customers)."""
