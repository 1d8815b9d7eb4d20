"""The double-entry journal: entries written from billing and payments."""
