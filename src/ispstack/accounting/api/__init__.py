"""API of the accounting app."""
