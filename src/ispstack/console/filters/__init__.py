"""django-filter filter sets of the console, one module per area."""
