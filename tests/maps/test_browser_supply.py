"""The supply map on real Ofsted/DfE data in headless Chromium (network blocked): year control, LA search and
panel, CSV of the view, keyboard reach, phone layout."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ._browser import BROWSER_MARKS, open_offline

SHOTS = Path("/tmp/shots-supply")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
STOCKPORT = "E08000007"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def page_data(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """supply.html for 31 March 2025 with a 2016 year in the year control (real data; two years keep it fast)."""
    import boundaries
    from maps import interactive
    from provision.clustering import spatial_clustering
    from provision.measures import la_measures

    frame, _ = la_measures(2025)
    frame = frame.join(spatial_clustering(2025)[["lisa_i", "lisa_p"]])
    series = interactive.supply_series([2016])
    m = interactive.supply_map(frame, regions=boundaries.load_regions(), year=2025, years=series,
                               region_values=interactive.supply_region_values(2025))
    path = interactive.save_map(m, tmp_path_factory.mktemp("supply") / "supply.html", inline_assets=True)
    return {"path": path, "frame": frame, "series": series}


def _open(browser: Any, path: Path, viewport: dict[str, int], fragment: str = "") -> tuple[Any, list[str], list[str]]:
    return open_offline(browser, path, viewport=viewport, fragment=fragment,
                        ready="document.querySelectorAll('path.ffh-la').length >= 153")
def _shot(page: Any, tmp_path: Path, name: str) -> None:
    page.wait_for_timeout(400)  # let a zoom animation end (mid-zoom the SVG is scaled)
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(target, SHOTS / target.name)


def _fill_of(page: Any, code: str) -> str:
    return page.evaluate(f"(() => {{ var m = Object.values(window).find(v => v && v._ffhSupply)._ffhSupply;"
                         f" return m.paths[m.codes.indexOf('{code}')]._path.getAttribute('fill'); }})()")


def _expected_fill(series_values: Any, edges: list[float], colours: list[str]) -> str:
    import pandas as pd

    if pd.isna(series_values):
        return "#d9d9d9"
    v = float(series_values)
    return colours[min(int(np.searchsorted(np.asarray(edges[1:]), v, side="left")), len(colours) - 1)]


def test_year_control_changes_the_fill_of_stockport(browser: Any, page_data: dict[str, Any], tmp_path: Path) -> None:
    import pandas as pd

    from maps._page import layer_classes
    from maps.interactive import SUPPLY_LAYERS

    page, errors, requests = _open(browser, page_data["path"], DESKTOP)
    try:
        page.get_by_role("radio", name="Registered places").check()
        layer = next(ly for ly in SUPPLY_LAYERS if ly.column == "places")
        table = pd.DataFrame({2016: page_data["series"][2016]["places"].reindex(page_data["frame"].index),
                              2025: pd.to_numeric(page_data["frame"]["places"], errors="coerce")}).astype(float)
        classes = {y: layer_classes(table[y], cmap=layer.cmap)[1:] for y in (2016, 2025)}  # each year its own
        assert _fill_of(page, STOCKPORT) == _expected_fill(table.at[STOCKPORT, 2025], *classes[2025])
        page.locator(".ffh-year").fill("0")  # the first year: 2016
        assert page.locator(".ffh-year-label").inner_text() == "2016"
        assert _fill_of(page, STOCKPORT) == _expected_fill(table.at[STOCKPORT, 2016], *classes[2016])
        assert "31 March 2016" in page.locator(".ffh-title").inner_text()  # the title follows the year
        assert "31 March 2016" in page.locator(".ffh-legend").inner_text()  # and the legend: that year's classes
        page.locator("path.ffh-la").nth(0).hover()
        _shot(page, tmp_path, "supply-year-2016-desktop")
        assert errors == [] and requests == []
    finally:
        page.close()


def test_each_year_of_each_layer_colours_an_la_or_says_why(browser: Any, page_data: dict[str, Any]) -> None:
    page, errors, _ = _open(browser, page_data["path"], DESKTOP)
    try:
        labels = page.evaluate("Array.from(document.querySelectorAll('.leaflet-control-layers-base label'))"
                               ".map(l => l.textContent.trim())")
        assert len(labels) >= 6
        for label in labels:
            page.get_by_role("radio", name=label).check()
            page.wait_for_timeout(100)
            note = page.locator(".ffh-years").inner_text()
            steps = int(page.locator(".ffh-year").get_attribute("max") or 0) + 1
            offered = []
            for k in range(steps):
                if steps > 1:
                    page.locator(".ffh-year").fill(str(k))
                year = page.locator(".ffh-year-label").inner_text()
                offered.append(year)
                coloured = page.evaluate("Array.from(document.querySelectorAll('path.ffh-la')).filter("
                                         "p => p.getAttribute('fill') !== '#d9d9d9').length")
                assert coloured >= 1, (label, year)
                assert f"31 March {year}" in page.locator(".ffh-title").inner_text() or "LISA" in label
            for year in ("2016", "2025"):  # a year not offered is named, with why
                if year not in offered:
                    assert f"no data for {year}" in note or "only" in note, (label, note)
        # % placed outside has no 2025 figure: picking it at 2025 says so and shows 2016
        page.get_by_role("radio", name="Registered places").check()
        page.locator(".ffh-year").fill("1")
        page.get_by_role("radio", name="% placed outside their LA").check()
        assert "No % placed outside their LA for 2025" in page.locator(".ffh-years").inner_text()
        assert page.locator(".ffh-year-label").inner_text() == "2016"
        assert errors == []
    finally:
        page.close()


def test_searching_cumbria_finds_the_las_that_replaced_it(browser: Any, page_data: dict[str, Any]) -> None:
    page, errors, _ = _open(browser, page_data["path"], DESKTOP)
    try:
        page.locator(".ffh-search").fill("Cumbria")
        page.locator(".ffh-search").press("Enter")
        status = page.locator(".ffh-status").inner_text()
        assert "Cumbria was replaced on 1 April 2023 by Cumberland and Westmorland and Furness" in status
        assert "Cumberland" in page.locator(".ffh-panel").inner_text()
        assert page.evaluate("location.hash") == "#la=E06000063"
        assert errors == []
    finally:
        page.close()


def test_exported_png_has_the_shown_year_in_title_subtitle_and_name(browser: Any, page_data: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    page, errors, _ = _open(browser, page_data["path"], PHONE)
    try:
        page.locator(".ffh-year").fill("0")  # 2016
        with page.expect_download() as d:
            page.locator(".ffh-png").click()
        name = d.value.suggested_filename
        info = page.evaluate("window.ffh_chrome.lastPng")
        assert "2016" in name and name.endswith(".png")
        assert "31 March 2016" in info["title"]
        assert info["titleWidth"] <= info["width"] - 20 and info["mapTop"] >= info["titleLines"] * 20
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("query", ["Stockport", "356", STOCKPORT])
def test_search_opens_the_panel_and_keeps_it_in_the_url(browser: Any, page_data: dict[str, Any], query: str,
                                                        tmp_path: Path) -> None:
    page, errors, _ = _open(browser, page_data["path"], DESKTOP)
    try:
        page.locator(".ffh-search").fill(query)
        page.locator(".ffh-search").press("Enter")
        panel = page.locator(".ffh-panel")
        panel.wait_for(state="visible")
        text = panel.inner_text()
        assert "Stockport" in text and STOCKPORT in text and "DfE LA 356" in text and "North West" in text
        assert "Places per 10,000 children" in text and "of 1" in text  # a rank "n of 15x"
        assert "Statistical neighbours" in text  # none staged: said so
        assert page.evaluate("location.hash") == f"#la={STOCKPORT}"
        assert page.locator("path.ffh-la[stroke='#000000']").count() == 1
        if query == STOCKPORT:
            _shot(page, tmp_path, "supply-panel-desktop")
        assert errors == []
    finally:
        page.close()
    page, errors, _ = _open(browser, page_data["path"], PHONE, fragment=f"#la={STOCKPORT}")
    try:
        page.locator(".ffh-panel").wait_for(state="visible")
        assert "Stockport" in page.locator(".ffh-panel").inner_text()
        assert errors == []
    finally:
        page.close()


def test_csv_of_the_view_matches_the_page_total(browser: Any, page_data: dict[str, Any], tmp_path: Path) -> None:
    page, errors, _ = _open(browser, page_data["path"], DESKTOP)
    try:
        page.get_by_label("Children's homes").check()
        page.locator(".ffh-table summary").click()
        page.locator(".ffh-table tfoot").wait_for()  # filled on the (asynchronous) toggle event
        total_text = page.locator(".ffh-table tfoot td").nth(4).inner_text()
        with page.expect_download() as info:
            page.locator(".ffh-csv").click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text.split("\n\n")[0])))
        assert len(rows) == 153 and {"LA code", "Local authority", "Region", "Children's homes"} <= set(rows[0])
        total = sum(float(r["Children's homes"]) for r in rows if r["Children's homes"])
        assert total == float(total_text.replace(",", ""))
        assert total == page_data["frame"]["homes"].astype(float).sum()
        assert "Contains OS data" in text
        _shot(page, tmp_path, "supply-table-desktop")
        with page.expect_download() as info:
            page.locator(".ffh-png").click()
        from PIL import Image

        with Image.open(info.value.path()) as png:  # the map, with a title band, legend column and footer
            assert png.size[0] > 2 * DESKTOP["width"] and png.size[1] > 2 * DESKTOP["height"]
            assert len(png.convert("RGB").getcolors(1 << 20) or []) > 20  # the polygons were drawn
        shutil.copy(info.value.path(), SHOTS / "supply-export.png")
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_title_lang_and_every_control_within_ten_tabs(browser: Any, page_data: dict[str, Any],
                                                      viewport: dict[str, int]) -> None:
    page, errors, _ = _open(browser, page_data["path"], viewport)
    try:
        assert page.title() == "Children's homes: supply by local authority"
        assert page.evaluate("document.documentElement.lang") == "en-GB"
        wanted = [".ffh-search", ".ffh-year", ".ffh-csv", ".ffh-png", ".ffh-table summary",
                  ".leaflet-control-layers-selector[type=radio]", ".leaflet-control-layers-selector[type=checkbox]"]
        wanted += [".leaflet-control-zoom-in", ".leaflet-control-zoom-out"] if viewport is DESKTOP else [".ffh-toggle"]
        reached: set[str] = set()
        for _ in range(10):
            page.keyboard.press("Tab")
            reached |= {s for s in wanted if page.evaluate(f"document.activeElement.matches({s!r})")}
        assert reached == set(wanted)
        assert errors == []
    finally:
        page.close()


def _boxes(page: Any) -> list[dict[str, float]]:
    return page.evaluate("""Array.from(document.querySelectorAll('.leaflet-control')).filter(
        e => e.offsetParent !== null && e.offsetWidth > 0).map(e => {var r = e.getBoundingClientRect();
        return {name: e.className, x: r.left, y: r.top, r: r.right, b: r.bottom};})""")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("search", [False, True], ids=["opened", "after-search"])
def test_no_control_overlaps_another(browser: Any, page_data: dict[str, Any], search: bool,
                                     viewport: dict[str, int], tmp_path: Path) -> None:
    page, errors, requests = _open(browser, page_data["path"], viewport)
    try:
        if search:
            page.locator(".ffh-search").fill("Stockport")
            page.locator(".ffh-search").press("Enter")
            page.locator(".ffh-panel").wait_for(state="visible")
        boxes = _boxes(page)
        assert len(boxes) >= 6  # layers, title, tools, legend, scale, attribution
        names = " ".join(b["name"] for b in boxes)
        assert "leaflet-control-scale" in names and "leaflet-control-attribution" in names
        for i, a in enumerate(boxes):
            assert a["r"] <= viewport["width"] and a["b"] <= viewport["height"], a["name"]
            for b in boxes[i + 1:]:
                apart = a["r"] <= b["x"] or b["r"] <= a["x"] or a["b"] <= b["y"] or b["b"] <= a["y"]
                assert apart, f"{a['name']} overlaps {b['name']}"
        kind = "phone" if viewport is PHONE else "desktop"
        _shot(page, tmp_path, f"supply-{kind}-{'panel' if search else 'open'}")
        assert errors == [] and requests == []
    finally:
        page.close()


def test_lisa_layer_is_opaque_with_one_legend_and_moran_tooltip(browser: Any, page_data: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    page, errors, _ = _open(browser, page_data["path"], DESKTOP)
    try:
        page.get_by_label("LISA hot and cold spots").check()
        legend = page.locator(".ffh-legend")
        assert legend.locator(".ffh-legend-block").count() == 1
        assert "No neighbours" in legend.inner_text() and "Hot spot (high-high)" in legend.inner_text()
        opacities = page.evaluate("Array.from(document.querySelectorAll('path.ffh-la')).map("
                                  "p => p.getAttribute('fill-opacity'))")
        assert set(opacities) == {"1"}
        # region outlines stay above the LA fills after the switch
        order = page.evaluate("Array.from(document.querySelectorAll('.leaflet-overlay-pane path')).map("
                              "p => p.classList.contains('ffh-region') ? 'r' : 'l').join('')")
        assert "r" in order and order.rstrip("r").count("r") == 0
        page.locator(".ffh-search").fill(STOCKPORT)
        page.locator(".ffh-search").press("Enter")
        page.locator(".ffh-panel").wait_for(state="visible")
        lisa_i = page_data["frame"].at[STOCKPORT, "lisa_i"]
        assert f"local Moran's I = {lisa_i:.3f}" in page.locator(".ffh-panel").inner_text()
        _shot(page, tmp_path, "supply-lisa-desktop")
        assert errors == []
    finally:
        page.close()


def test_open_table_and_panel_stay_clear_of_the_legend(browser: Any, page_data: dict[str, Any],
                                                        tmp_path: Path) -> None:
    for viewport, kind in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page, errors, _ = _open(browser, page_data["path"], viewport, fragment=f"#la={STOCKPORT}")
        try:
            page.locator(".ffh-panel").wait_for(state="visible")
            page.locator(".ffh-table summary").click()
            page.locator(".ffh-table tbody tr").first.wait_for()
            page.get_by_role("radio", name="Supply-gap index").check()
            # a phone shows the table or the panel; a wide screen both
            assert page.locator(".ffh-panel").is_visible() == (viewport is DESKTOP)
            if viewport is PHONE:
                page.locator(".ffh-search").fill("Stockport")
                page.locator(".ffh-search").press("Enter")
                page.locator(".ffh-panel").wait_for(state="visible")
                assert page.evaluate("document.querySelector('.ffh-table').open") is False
            _shot(page, tmp_path, f"supply-{kind}-table-and-panel")
            boxes = _boxes(page)
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    apart = a["r"] <= b["x"] or b["r"] <= a["x"] or a["b"] <= b["y"] or b["b"] <= a["y"]
                    assert apart, f"{kind}: {a['name']} overlaps {b['name']}: {a} {b}"
            assert errors == []
        finally:
            page.close()
