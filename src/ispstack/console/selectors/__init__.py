"""Reads of the console's pages, one module per area."""
