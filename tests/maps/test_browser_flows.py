"""The flow map's filters and click panel, and the distances map's band layers, in a real headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from distance.straight import DISTANCE_BANDS
from maps.interactive import distance_map, flow_map, save_map

from ._browser import BROWSER_MARKS, open_offline

pytestmark = BROWSER_MARKS
SHOTS = Path("/tmp/shots-flows")
ARCS = "document.querySelectorAll('.leaflet-overlay-pane path.ffh-flow').length"


@pytest.fixture(scope="module")
def pages(located: pd.DataFrame, las: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Path]:
    from provision.flows import distances_by_la, placement_flows

    out = tmp_path_factory.mktemp("flowmaps")
    by_la, bands = distances_by_la(located, "E08000007")
    return {"flows": save_map(flow_map(placement_flows(located), las=las, subtitle="SYNTHETIC"), out / "flows.html",
                              inline_assets=True),
            "distances": save_map(distance_map(by_la, las=las, la="E08000007", bands=bands, roads=True),
                                  out / "distances.html", inline_assets=True),
            "bands": bands}  # type: ignore[dict-item]


def _open(browser: Any, path: Path, size: tuple[int, int] = (1280, 800)) -> tuple[Any, list[str], list[str]]:
    return open_offline(browser, path, viewport={"width": size[0], "height": size[1]})


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / name)


def test_clicking_or_searching_an_la_draws_all_its_flows(browser: Any, pages: dict[str, Path], tmp_path: Path) -> None:
    page, errors, requests = _open(browser, pages["flows"])
    try:
        page.select_option(".ffh-dist", "All distances")
        page.wait_for_timeout(200)
        assert page.evaluate(ARCS) > 0
        # click Manchester (E08000003): a home LA of the fixture's other children and Stockport's biggest flow
        page.evaluate("""() => { for (const k in window) { const v = window[k];
            if (v && v.eachLayer && v.getLayers && k.startsWith('geo_json')) { v.eachLayer(l => {
              if (l.feature && l.feature.properties.la_code === 'E08000003' && l.feature.properties.fill)
                l.fire('click'); }); } } }""")
        page.wait_for_timeout(300)
        pairs = page.evaluate("Array.from(document.querySelectorAll('.ffh-panel tr.ffh-row')).map("
                              "r => [r.dataset.home, r.dataset.pl])")
        assert pairs and all("E08000003" in p for p in pairs)
        assert {"E08000003"} < {p[0] for p in pairs} | {p[1] for p in pairs}  # flows in and out
        assert page.evaluate(ARCS) == len(pairs)  # every listed flow is drawn, suppressed ones dashed
        # search (the keyboard way): every published flow of Stockport, of the type shown, at any distance
        page.locator(".ffh-flowpanel .ffh-search").fill("Stockport")
        page.locator(".ffh-flowpanel .ffh-search").press("Enter")
        page.wait_for_timeout(400)
        expected = page.evaluate("""() => { const f = Object.values(window).find(v => v && v._ffhFlows)._ffhFlows;
            return f.rows.filter(r => r.type === 'All placements' &&
              (r.home === 'E08000007' || r.pl === 'E08000007')).length; }""")
        assert expected > 1
        assert page.evaluate(ARCS) == expected == page.locator(".ffh-panel tr.ffh-row").count()
        assert page.evaluate("document.querySelectorAll('path.ffh-flow[stroke-dasharray]').length") >= 1
        _shot(page, tmp_path, "flows_searched_1280.png")
        page.locator(".ffh-panel th[data-k=miles]").click()
        miles = [float(x) for x in page.evaluate("Array.from(document.querySelectorAll('.ffh-panel tr.ffh-row "
                                                 "td:last-child')).map(c => c.textContent)")]
        assert miles == sorted(miles, reverse=True)
        page.locator(".ffh-flowpanel .ffh-search").fill("Nowhere at all")
        page.locator(".ffh-flowpanel .ffh-search").press("Enter")
        assert "No LA with flows matches" in page.locator(".ffh-flowpanel .ffh-status").inner_text()
        page.select_option(".ffh-type", "Children's homes")
        page.wait_for_timeout(200)
        assert page.locator("input.leaflet-control-layers-selector:checked + span").first.inner_text().strip() \
            == "Children's homes"
        assert errors == [] and requests == []
    finally:
        page.close()


def test_exported_png_has_its_title_inside_the_picture(browser: Any, pages: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    page, errors, _ = _open(browser, pages["flows"], (390, 844))
    try:
        with page.expect_download() as d:
            page.locator(".ffh-png").click()
        path = tmp_path / d.value.suggested_filename
        d.value.save_as(path)
        info = page.evaluate("window.ffh_chrome.lastPng")
        assert info["titleWidth"] <= info["width"] - 20  # wrapped inside the picture, with its margin
        assert info["mapTop"] >= info["titleLines"] * 20  # the map starts below the title: nothing under it
        assert info["scaleMetres"] > 0 and info["legendRows"] > 0
        with Image.open(path) as im:
            assert abs(im.size[0] - info["width"] * 2) <= 1 and abs(im.size[1] - info["height"] * 2) <= 1
        assert errors == []
    finally:
        page.close()


def _overlaps(page: Any) -> list[str]:
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.leaflet-control')).filter(
        e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect();
        return [e.className, r.left, r.top, r.right, r.bottom]; })""")
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                bad.append(f"{a[0]} overlaps {b[0]}")
    return bad


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
@pytest.mark.parametrize("name", ["flows", "distances"])
def test_no_control_box_overlaps_another(browser: Any, pages: dict[str, Path], tmp_path: Path, name: str,
                                         size: tuple[int, int]) -> None:
    page, errors, requests = _open(browser, pages[name], size)
    try:
        assert _overlaps(page) == []
        _shot(page, tmp_path, f"{name}_{size[0]}.png")
        assert errors == [] and requests == []
    finally:
        page.close()


def test_every_far_band_with_children_shows_a_coloured_area(browser: Any, pages: dict[str, Any], tmp_path: Path,
                                                           located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    """Every band whose count is published shows it somewhere: an LA, a region or the band's part of England."""
    from maps.distance_tables import HIDDEN_LABELS, publish_distances
    from provision.flows import distances_by_la

    by_la, bands = distances_by_la(located, "E08000007")
    shown_bands = publish_distances(by_la, las=las, bands=bands).band_labels()  # as the page publishes them
    assert shown_bands is not None
    drawn = [b for b in DISTANCE_BANDS if shown_bands.loc[b, "straight_line"] not in HIDDEN_LABELS | {"0"}]
    # (on this fixture the joint suppression withholds every straight-line band: one band holds a single child
    # and the LA grid pins it; issue note: the whole column goes, which over-protects)
    page, errors, _ = _open(browser, pages["distances"])
    try:
        for band in drawn:
            page.get_by_label(f"Placed {band} away (straight line)", exact=True).check()
            page.wait_for_timeout(300)
            # an area coloured by a count that is shown (an LA, a region or the band's part of England)
            coloured = page.evaluate("""() => Array.from(document.querySelectorAll(
                '.leaflet-overlay-pane path.ffh-count')).filter(p => { const f = p.getAttribute('fill');
                  return f && f !== 'none' && parseFloat(p.getAttribute('fill-opacity')) > 0; }).length""")
            assert coloured > 0, band
            _shot(page, tmp_path, f"distances_{band[:5]}_1280.png")
        assert errors == []
    finally:
        page.close()
