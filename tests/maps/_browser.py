"""What the headless-browser map tests share: Debian's chromium, opened offline with every request blocked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                       "(.ci/run installs it with apt-get install -y chromium)"),
]
"""``pytestmark`` of every browser test module."""
LA_PATHS = "document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length >= 153"


def open_offline(browser: Any, path: Path, *, viewport: dict[str, int], fragment: str = "",
                 ready: str = LA_PATHS) -> tuple[Any, list[str], list[str]]:
    """Open a map file with the network blocked; return the page, its JS errors and the requests it tried."""
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def block(route: Any) -> None:
        requests.append(route.request.url)
        route.abort()

    page.route("http://**/*", block)
    page.route("https://**/*", block)
    page.goto(path.as_uri() + fragment)
    page.wait_for_function(ready, timeout=15000)
    return page, errors, requests
