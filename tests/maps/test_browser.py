"""The HTML maps in a real headless Chromium, opened from disk with the network blocked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from maps.interactive import distance_map, flow_map, save_map, supply_map

from ._browser import BROWSER_MARKS, open_offline

pytestmark = BROWSER_MARKS


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


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    return open_offline(browser, path, viewport={"width": 1000, "height": 900})


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
        heads = "document.querySelectorAll('.leaflet-overlay-pane path.ffh-flow-head').length"
        all_arcs = page.evaluate(count)
        assert all_arcs > 0 and page.evaluate(heads) == all_arcs  # each arc ends in an arrowhead
        page.get_by_label("Children's homes").check()
        page.wait_for_timeout(200)
        homes_arcs = page.evaluate(count)
        assert 0 < homes_arcs < all_arcs
        assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path.ffh-la').length") == 153
        assert errors == []
    finally:
        page.close()


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("name", ["supply", "flows", "distances"])
def test_chrome_reachable_by_keyboard_and_clear_on_a_phone(browser: Any, map_files: dict[str, Path], name: str,
                                                            size: str, tmp_path: Path) -> None:
    import shutil

    page, errors, requests = _open(browser, map_files[name])
    page.set_viewport_size(VIEWPORTS[size])
    try:
        assert page.evaluate("document.documentElement.lang") == "en-GB" and page.title()
        controls = page.evaluate("""Array.from(document.querySelectorAll(
            '.leaflet-control a[role=button], .leaflet-control input, .leaflet-control button, .leaflet-control summary'
            )).filter(e => e.offsetParent !== null).length""")
        seen = set()
        for _ in range(12):  # the flow map's panel adds an LA search to its two filters
            page.keyboard.press("Tab")
            seen.add(page.evaluate("""(() => { var e = document.activeElement;
                var all = Array.from(document.querySelectorAll('.leaflet-control a[role=button], .leaflet-control '
                  + 'input, .leaflet-control button, .leaflet-control summary')).filter(x => x.offsetParent !== null);
                var radios = all.filter(x => x.type === 'radio');
                return e.type === 'radio' ? 'radios' : String(all.indexOf(e)); })()"""))
        radios = page.evaluate("document.querySelectorAll('.leaflet-control input[type=radio]').length")
        assert len(seen - {"-1"}) == controls - max(radios - 1, 0)  # a radio group is one Tab stop
        boxes = page.evaluate("""Array.from(document.querySelectorAll('.leaflet-control')).filter(
            e => e.offsetParent !== null && e.offsetWidth > 0).map(e => {var r = e.getBoundingClientRect();
            return [e.className, r.left, r.top, r.right, r.bottom];})""")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2], f"{a[0]} overlaps {b[0]}"
        page.locator(".ffh-table summary").click()
        page.locator(".ffh-table tbody tr").first.wait_for()  # the table alternative to the map (filled on toggle)
        with page.expect_download() as info:
            page.locator(".ffh-csv").click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        assert len(text.splitlines()) > 2 and "Contains OS data" in text
        assert "FFHKID" not in text  # aggregated: no child-level record
        shot = tmp_path / f"{name}-{size}.png"
        page.screenshot(path=str(shot))
        Path("/tmp/shots-supply").mkdir(exist_ok=True)
        shutil.copy(shot, Path("/tmp/shots-supply") / shot.name)
        assert errors == [] and requests == []
    finally:
        page.close()


def test_print_layout_is_the_whole_page(browser: Any, map_files: dict[str, Path], tmp_path: Path) -> None:
    page, errors, _ = _open(browser, map_files["supply"])
    try:
        page.emulate_media(media="print")
        page.wait_for_timeout(300)
        box = page.evaluate("(() => { var r = document.querySelector('.folium-map').getBoundingClientRect();"
                            " return [r.width, r.height]; })()")
        assert box[1] > 500 and box[0] > 900  # not a cropped strip
        pdf = page.pdf(landscape=True, format="A4")
        (tmp_path / "supply.pdf").write_bytes(pdf)
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
        assert errors == []
    finally:
        page.close()
