"""Helpers for console tests in the browser: log in, and check a page with axe-core.

axe-core is the npm package's build shipped inside ``axe-playwright-python``
(PyPI); it runs in the page, in Debian's Chromium.
"""

from __future__ import annotations

from typing import Any

STAFF_PASSWORD = "pw-staff-123"


def log_in(page: Any, base_url: str, user: Any) -> None:
    """Log ``user`` (made by ``make_staff``) in through the console's login page."""
    page.goto(f"{base_url}/staff/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/staff/**")


def serious_violations(page: Any) -> list[str]:
    """The axe-core violations of impact serious or critical on the current page,
    each as ``rule: target`` lines, empty when the page passes."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    found = []
    for violation in response["violations"]:
        if violation.get("impact") in {"serious", "critical"}:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found
