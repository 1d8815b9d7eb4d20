"""Screenshots of the staff console and the customer portal for the docs
(`make screenshots`).

Builds the demo ISP (`ispstack demo`), serves it on 127.0.0.1, logs in as the
demo's admin in Debian's Chromium and saves one PNG per main page under
docs/img/ (console-*.png); then signs in to the customer portal as the demo's
portal login and saves its pages at a 390x844 phone viewport (portal-phone-*.png)
and a 1280x800 desktop one (portal-desktop-*.png). Uses ``DATABASE_URL`` when
set, else the embedded PostgreSQL, like every ``ispstack`` command; the demo
tenant is rebuilt each time.

``python docs/screenshots.py portal`` (or ``console``, ``reports``) saves only
that set; ``reports`` saves each report page (report-*.png).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
ISPSTACK = [sys.executable, "-m", "ispstack"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


class Logins:
    """The logins the demo printed: the console admin's and the portal's."""

    def __init__(self, output: str) -> None:
        console = re.search(r"user '([^']+)' password '([^']+)'", output)
        portal = re.search(
            r"portal login\s+'([^']+)'.*? password '([^']+)' \(http://[^/]+/my/([^/]+)/\)",
            output,
        )
        if console is None or portal is None:
            raise SystemExit(f"the demo printed no console or portal login:\n{output}")
        self.username, self.password = console.group(1), console.group(2)
        self.portal_email, self.portal_password, self.slug = portal.groups()


def build_demo() -> Logins:
    """Run the demo; return the console and portal logins it printed."""
    subprocess.run([*ISPSTACK, "migrate", "--noinput", "-v0"], check=True, cwd=ROOT)
    output = subprocess.run(
        [*ISPSTACK, "demo", "--subscribers", "40", "--months", "3"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return Logins(output)


def wait_until_up(timeout: float = 60) -> None:
    """Wait for the server's /healthz to answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer on {BASE}")


def shoot(page: Page, path: str, name: str, prefix: str = "console") -> None:
    """Open ``path`` and save the page as docs/img/<prefix>-<name>.png; a page
    that does not answer 200 stops the run (a screenshot of an error page is
    no documentation)."""
    response = page.goto(f"{BASE}{path}")
    if response is None or response.status != 200:
        status = "no response" if response is None else response.status
        raise SystemExit(f"{path} answered {status}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{prefix}-{name}.png"), full_page=True)
    print(f"  {prefix}-{name:<14} {path}")


def console(browser: Browser, logins: Logins) -> None:
    """The staff console's main pages, signed in as the demo's admin."""
    page = console_page(browser, logins)
    shoot(page, "/staff/", "dashboard")
    shoot(page, "/staff/search/?q=demo-0001", "search")
    first = page.locator("main a[href^='/staff/customers/']").first
    customer_path = first.get_attribute("href") or "/staff/customers/"
    shoot(page, customer_path, "customer")
    shoot(page, "/staff/invoices/", "invoices")
    shoot(page, "/staff/noc/sessions/", "sessions")
    shoot(page, "/staff/noc/auth/?username=demo-0001@demofibre.net", "login-check")
    shoot(page, "/staff/runs/", "runs")
    page.close()


#: Each report page of the console and its screenshot's name (report-<name>.png).
REPORTS = (
    ("/staff/reports/", "mrr"),
    ("/staff/reports/plans/", "plans"),
    ("/staff/reports/aging/", "aging"),
    ("/staff/reports/payment-success/", "payment-success"),
    ("/staff/reports/dunning-effectiveness/", "dunning"),
    ("/staff/reports/revenue-by-service/", "revenue-by-service"),
    ("/staff/reports/payment-methods/", "payment-methods"),
    ("/staff/reports/credit-notes-refunds/", "credit-notes-refunds"),
    ("/staff/reports/usage/", "usage-by-plan"),
    ("/staff/reports/top-users/", "top-users"),
    ("/staff/reports/overdue-sites/", "overdue-sites"),
    ("/staff/reports/ticket-resolution/", "ticket-resolution"),
    ("/staff/reports/ticket-sla/", "ticket-sla"),
    ("/staff/reports/schedules/", "schedules"),
)


def console_page(browser: Browser, logins: Logins) -> Page:
    """A console page signed in as the demo's admin."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{BASE}/staff/login/")
    page.fill("#id_username", logins.username)
    page.fill("#id_password", logins.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{BASE}/staff/")
    return page


def reports(browser: Browser, logins: Logins) -> None:
    """Every report page of the console (docs/metrics.md shows them)."""
    page = console_page(browser, logins)
    for path, name in REPORTS:
        shoot(page, path, name, "report")
    page.close()


def open_ticket(page: Page, home: str) -> None:
    """Open a support ticket through the portal's form, as the customer would,
    so the tickets list shows one (the demo gives its portal customer none)."""
    page.goto(f"{BASE}{home}tickets/new/")
    page.select_option("#id_ticket_type", index=0)
    page.fill("#id_subject", "The connection drops every evening")
    page.fill(
        "#id_description",
        "Since Monday the fibre connection drops around 19:00 for a few minutes.",
    )
    page.select_option("#id_subscription", index=1)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    if page.url.endswith("/tickets/new/"):
        raise SystemExit(f"the portal refused the ticket: {page.inner_text('main')}")


def portal(browser: Browser, logins: Logins) -> None:
    """The customer portal, signed in as the demo's portal login: the phone
    pages at 390x844, then the desktop pages at 1280x800 (same session)."""
    home = f"/my/{logins.slug}/"
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{BASE}{home}login/")
    page.fill("#id_login", logins.portal_email)
    page.fill("#id_password", logins.portal_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{BASE}{home}")
    shoot(page, home, "dashboard", "portal-phone")
    service_path = page.locator(f"main a[href^='{home}services/']").first.get_attribute("href")
    if service_path is None:
        raise SystemExit("the portal's overview links to no service")
    shoot(page, service_path, "service", "portal-phone")
    shoot(page, f"{home}invoices/", "invoices", "portal-phone")
    pay = page.locator("main a[href$='/pay/']")
    if pay.count():
        shoot(page, pay.first.get_attribute("href") or "", "pay", "portal-phone")
    else:
        print("  (no open invoice: no pay screenshot)")
    open_ticket(page, home)
    shoot(page, f"{home}tickets/", "tickets", "portal-phone")
    desktop = browser.new_context(viewport=DESKTOP, storage_state=phone.storage_state())
    page = desktop.new_page()
    shoot(page, home, "dashboard", "portal-desktop")
    shoot(page, f"{home}invoices/", "invoices", "portal-desktop")
    shoot(page, f"{service_path}change-plan/", "change-plan", "portal-desktop")
    desktop.close()
    phone.close()


def main() -> None:
    """Build the demo, serve it and save the screenshots (the sets named on
    the command line, ``console``, ``reports`` and/or ``portal``; all by default)."""
    sets = sys.argv[1:] or ["console", "reports", "portal"]
    unknown = set(sets) - {"console", "reports", "portal"}
    if unknown:
        raise SystemExit(f"unknown screenshot set(s): {', '.join(sorted(unknown))}")
    logins = build_demo()
    OUT.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([*ISPSTACK, "serve", "--port", str(PORT)], cwd=ROOT)
    try:
        wait_until_up()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu"],
            )
            if "console" in sets:
                console(browser, logins)
            if "reports" in sets:
                reports(browser, logins)
            if "portal" in sets:
                portal(browser, logins)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
