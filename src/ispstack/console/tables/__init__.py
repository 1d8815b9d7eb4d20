"""django-tables2 tables of the console, one module per area."""
