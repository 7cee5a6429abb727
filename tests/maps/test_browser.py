"""The HTML maps in a real headless Chromium, opened from disk with the network blocked."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from maps.interactive import distance_map, flow_map, save_map, supply_map

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                       "(.ci/run installs it with apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def map_files(supply_frame: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, located: pd.DataFrame,
              las: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from provision.flows import distances_by_la as _distances
    from provision.flows import placement_flows as _flows

    out = tmp_path_factory.mktemp("maps")
    by_la, bands = _distances(located, "E08000007")
    maps = {
        "supply": supply_map(supply_frame, regions=regions, tiles="none"),
        "flows": flow_map(_flows(located), las=las, tiles="none", subtitle="SYNTHETIC"),
        "distances": distance_map(by_la, las=las, la="E08000007", bands=bands, roads=True, tiles="none"),
    }
    return {k: save_map(m, out / f"{k}.html", inline_assets=True) for k, m in maps.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package drives Chromium")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def block(route: Any) -> None:
        requests.append(route.request.url)
        route.abort()

    page.route("http://**/*", block)
    page.route("https://**/*", block)
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length >= 153",
                           timeout=15000)
    return page, errors, requests


@pytest.mark.parametrize("name", ["supply", "flows", "distances"])
def test_map_draws_153_las_offline(browser: Any, map_files: dict[str, Path], name: str) -> None:
    from PIL import Image

    page, errors, requests = _open(browser, map_files[name])
    try:
        assert page.evaluate("typeof L") == "object" and page.evaluate("L.version").startswith("1.9")
        assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length") == 153
        assert errors == []
        assert requests == []  # nothing was even attempted over the network
        text = page.inner_text("body")
        assert "Contains OS data © Crown copyright and database right" in text
        assert "Open Government Licence v3.0" in text
        assert page.locator(".leaflet-control-layers").count() == 1
        shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
        colours = shot.getcolors(1 << 20) or []
        assert len(colours) > 50, "screenshot looks blank"
        top = max(colours)[0] / (shot.width * shot.height)
        assert top < 0.9, "one colour fills the screenshot"
    finally:
        page.close()


def test_supply_layers_switch_with_their_legend(browser: Any, map_files: dict[str, Path]) -> None:
    page, errors, _ = _open(browser, map_files["supply"])
    try:
        legend = page.locator(".ffh-legend")
        assert "Places per 10,000 children" in legend.inner_text()  # opens on the rate, not the raw count
        page.get_by_label("Registered places").check()
        page.wait_for_timeout(200)
        assert "Registered places" in legend.inner_text() and "aged 0-17" not in legend.inner_text()
        assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length") == 153
        page.get_by_label("LISA hot and cold spots").check()
        page.wait_for_timeout(200)
        assert "Hot spot (high-high)" in legend.inner_text()
        assert errors == []
    finally:
        page.close()


def test_flow_layers_filter_by_placement_type(browser: Any, map_files: dict[str, Path]) -> None:
    page, errors, _ = _open(browser, map_files["flows"])
    try:
        count = "document.querySelectorAll('.leaflet-overlay-pane path.ffh-flow').length"
        all_arcs = page.evaluate(count)
        assert all_arcs > 0 and all_arcs % 2 == 0  # each flow is an arc and an arrowhead
        page.get_by_label("Children's homes").check()
        page.wait_for_timeout(200)
        homes_arcs = page.evaluate(count)
        assert 0 < homes_arcs < all_arcs
        assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length") == 153
        assert errors == []
    finally:
        page.close()
