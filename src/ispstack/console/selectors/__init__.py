"""Reads of the console, composed from the owning apps' selectors."""
