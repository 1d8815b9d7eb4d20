"""Screenshots of the staff console for the docs (`make screenshots`).

Builds the demo ISP (`ispstack demo`), serves it on 127.0.0.1, logs in as the
demo's admin in Debian's Chromium and saves one PNG per main page under
docs/img/. Uses ``DATABASE_URL`` when set, else the embedded PostgreSQL, like
every ``ispstack`` command; the demo tenant is rebuilt each time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
ISPSTACK = [sys.executable, "-m", "ispstack"]


def build_demo() -> tuple[str, str]:
    """Run the demo; return the admin's username and password it printed."""
    subprocess.run([*ISPSTACK, "migrate", "--noinput", "-v0"], check=True, cwd=ROOT)
    output = subprocess.run(
        [*ISPSTACK, "demo", "--subscribers", "40", "--months", "3"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"user '([^']+)' password '([^']+)'", output)
    if found is None:
        raise SystemExit(f"the demo printed no login:\n{output}")
    return found.group(1), found.group(2)


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


def shoot(page: Page, path: str, name: str) -> None:
    """Open ``path`` and save the page as docs/img/console-<name>.png."""
    page.goto(f"{BASE}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"console-{name}.png"), full_page=True)
    print(f"  {name:<12} {path}")


def main() -> None:
    """Build the demo, serve it and save the screenshots."""
    username, password = build_demo()
    OUT.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([*ISPSTACK, "serve", "--port", str(PORT)], cwd=ROOT)
    try:
        wait_until_up()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{BASE}/staff/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{BASE}/staff/")
            shoot(page, "/staff/", "dashboard")
            shoot(page, "/staff/search/?q=demo-0001", "search")
            first = page.locator("main a[href^='/staff/customers/']").first
            customer_path = first.get_attribute("href") or "/staff/customers/"
            shoot(page, customer_path, "customer")
            shoot(page, "/staff/invoices/", "invoices")
            shoot(page, "/staff/noc/sessions/", "sessions")
            shoot(page, "/staff/noc/auth/?username=demo-0001@demofibre.net", "login-check")
            shoot(page, "/staff/runs/", "runs")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
