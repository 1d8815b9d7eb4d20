"""The ``ispstack`` command: Django's management commands with our settings.

``ispstack migrate``, ``ispstack billing run --as-of 2026-01-01``,
``ispstack demo`` and so on, like ``netbox`` or ``sentry`` do.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``argv`` defaults to ``sys.argv``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ispstack.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "ispstack"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
