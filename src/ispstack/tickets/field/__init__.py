"""Field service: technicians, installation and repair appointments, their
auto-assignment and completion (``scheduling`` holds the pure rules,
``services`` the writes, ``selectors`` the reads)."""
