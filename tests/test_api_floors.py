"""Every app's ``api/`` package imports only apps on its own floor or below, so
an action that needs a higher floor lives in that floor's API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ispstack"

# The apps' floors, lowest first; an app may import its own floor and below.
FLOORS = {
    "core": 1,
    "customers": 2,
    "catalog": 2,
    "network": 2,
    "notifications": 2,
    "webhooks": 2,
    "subscriptions": 3,
    "billing": 4,
    "radius": 4,
    "usage": 4,
    "payments": 5,
    "collections": 5,
    "accounting": 5,
    "provisioning": 6,
    "tickets": 6,
    "sales": 6,
    "hotspot": 6,
    "console": 7,
    "portal": 7,
    "reports": 7,
    "api": 7,
    "cli": 7,
}

API_PACKAGES = sorted(path.parent for path in SRC.glob("*/api/__init__.py"))


def imported_apps(path: Path) -> set[str]:
    """The ``ispstack`` apps a module imports (``import ispstack.x`` and
    ``from ispstack.x import ...``; ``from ispstack import x`` too)."""
    apps: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "ispstack":
                names = [f"ispstack.{alias.name}" for alias in node.names]
        else:
            continue
        apps |= {name.split(".")[1] for name in names if name.startswith("ispstack.")}
    return apps & set(FLOORS)


def test_every_app_with_an_api_has_a_floor() -> None:
    assert API_PACKAGES, "no api packages found"
    assert {package.parent.name for package in API_PACKAGES} <= set(FLOORS)


@pytest.mark.parametrize("package", API_PACKAGES, ids=lambda package: package.parent.name)
def test_api_package_imports_no_higher_floor(package: Path) -> None:
    app = package.parent.name
    above = {
        f"{module.name} imports {other}"
        for module in package.glob("*.py")
        for other in imported_apps(module)
        if FLOORS[other] > FLOORS[app]
    }
    assert not above, sorted(above)
