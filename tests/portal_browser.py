"""Signing in to the customer portal in a Playwright page."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, base: str, login: str, password: str, *, lands: str = "/") -> None:
    """Fill the sign-in form on the page shown (``base`` is the portal's URL,
    ``.../my/<tenant>``), send it and wait for ``base + lands``: the dashboard,
    or the sign-in code page when one is required."""
    page.fill("#id_login", login)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{lands}")
