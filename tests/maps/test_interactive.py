"""Interactive maps checked as rendered HTML: layers, legends, size, attribution, suppression, no child data."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from distance.straight import DISTANCE_BANDS
from geo.attribution import ATTRIBUTION
from geo.disclosure import publish_count
from geo.errors import CRSError, InputError, MissingColumnsError
from maps import _page
from maps.interactive import (
    SUPPLY_LAYERS,
    Layer,
    classify,
    display_geometries,
    distance_map,
    flow_map,
    render_html,
    save_map,
    supply_map,
)

from .conftest import TEST_CHILD_IDS, TEST_DOB, TEST_POSTCODES, decoded


@pytest.fixture(scope="module")
def supply_html(supply_frame: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> str:
    return decoded(render_html(supply_map(supply_frame, regions=regions), inline_assets=True))


def test_supply_map_has_every_layer_and_legend(supply_html: str) -> None:
    for ly in SUPPLY_LAYERS:
        assert supply_html.count(ly.label) >= 2, ly.label  # layer switcher + legend
        assert f'data-layer=\\"{escape(ly.label)}' in supply_html, ly.label  # its own legend
    assert "LISA hot and cold spots" in supply_html and "Hot spot (high-high)" in supply_html
    assert "Region outlines" in supply_html
    assert "Rank (1 = highest)" in supply_html and "Local authority" in supply_html


def test_supply_map_is_small_offline_and_attributed(supply_html: str, tmp_path: Path) -> None:
    assert len(supply_html.encode()) < 5_000_000
    assert not re.search(r'<script src="https?://|<link rel="stylesheet" href="https?://', supply_html)
    assert "L.map(" in supply_html and "Leaflet" in supply_html
    assert "tile.openstreetmap" not in supply_html
    assert "Contains OS data © Crown copyright and database right" in supply_html
    assert "Open Government Licence v3.0" in supply_html


def test_cdn_assets_by_default(supply_frame: gpd.GeoDataFrame, tmp_path: Path) -> None:
    m = supply_map(supply_frame, layers=[SUPPLY_LAYERS[0]], tiles="openstreetmap")
    path = save_map(m, tmp_path / "s.html")
    text = decoded(path.read_text(encoding="utf-8"))
    assert re.search(r'<script src="https://cdn.jsdelivr.net/npm/leaflet@[\d.]+/dist/leaflet.js">', text)
    assert "tile.openstreetmap.org" in text and "OpenStreetMap" in text


def test_classification_schemes() -> None:
    v = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 100, np.nan], index=list("abcdefghij"))
    q, edges = classify(v, scheme="quantiles", k=4)
    assert q["j"] == -1 and q["a"] == 0 and q["i"] == 3 and len(edges) == 5
    nb, edges = classify(v, scheme="naturalbreaks", k=2)
    assert nb["i"] == 1 and (nb[list("abcdefgh")] == 0).all()
    ud, edges = classify(v, scheme="userdefined", bins=[2, 50])
    assert ud.tolist()[:3] == [0, 0, 1] and ud["i"] == 2 and edges[-1] == 100
    few, edges = classify(pd.Series([3.0, 3.0, 3.0]), k=5)  # fewer distinct values than classes: no warning
    assert (few == 0).all()
    with pytest.raises(InputError, match="needs bins"):
        classify(v, scheme="userdefined")
    with pytest.raises(InputError, match="unknown classification scheme 'equal'"):
        classify(v, scheme="equal")


def test_display_geometries_keep_shared_edges(las: gpd.GeoDataFrame) -> None:
    shown = display_geometries(las, tolerance_m=500)
    assert shown.crs.to_epsg() == 4326 and shown.index.equals(las.index)
    assert shapely.get_num_coordinates(shown.geometry.values).sum() < \
        0.7 * shapely.get_num_coordinates(las.geometry.values).sum()
    # neighbours still meet: no gaps opened along a shared boundary (e.g. Manchester / Stockport)
    a, b = shown.loc["E08000003"].geometry, shown.loc["E08000007"].geometry
    assert a.intersection(b).length > 0.01
    assert las.crs.to_epsg() == 27700  # input untouched
    with pytest.raises(CRSError, match="EPSG:27700"):
        display_geometries(las.to_crs(4326))


def test_supply_map_errors(supply_frame: gpd.GeoDataFrame) -> None:
    with pytest.raises(MissingColumnsError, match="'spend'"):
        supply_map(supply_frame, layers=[Layer("spend", "Spend")])
    with pytest.raises(MissingColumnsError, match="la_name"):
        supply_map(supply_frame.drop(columns="la_name"))
    with pytest.raises(MissingColumnsError, match="'homes'"):
        supply_map(supply_frame[["la_name", "region_name", "geometry"]])
    with pytest.raises(CRSError, match="EPSG:4326"):
        supply_map(supply_frame.to_crs(4326))


def _flows(located: pd.DataFrame) -> pd.DataFrame:
    from provision.flows import placement_flows as flows

    return flows(located)


def test_flow_map_suppresses_and_has_no_child_data(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = _flows(located)
    assert {"All placements", "Children's homes", "Foster care", "Other placements"} <= set(flows["placement_type"])
    html = decoded(render_html(flow_map(flows, las=las, la="E08000007", subtitle="SYNTHETIC"), inline_assets=True))
    assert "Stockport" in html and "Hartlepool" in html
    # the 3 children placed in Hartlepool are shown only as "fewer than 5"
    data = json.loads(re.search(r"window\.ffhFlows\(\w+, ffh_chrome, (\{.*?\}), ffh_flow_groups", html).group(1))  # type: ignore[union-attr]
    types = data["types"]
    hartlepool = [(r[3], r[4]) for r in data["rows"] if r[0] == "E08000007" and r[1] == "E06000001"
                  and types[r[2]] == "All placements"]
    assert hartlepool == [("fewer than 5", None)]
    big = [(r[3], r[4]) for r in data["rows"] if r[0] == "E08000007" and r[1] == "E08000003"
           and types[r[2]] == "All placements"]  # the fixture's 40 children, as published
    assert len(big) == 1 and big[0][1] == publish_count(40) and big[0][0] == f"{big[0][1]:,}"  # cell key
    for secret in [*TEST_CHILD_IDS[:50], *TEST_POSTCODES, TEST_DOB, "390000.5"]:
        assert secret not in html
    for kind in ("All placements", "Children's homes", "Foster care"):
        assert kind in html
    assert "SYNTHETIC" in html and ATTRIBUTION in html


def test_flow_map_errors(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = _flows(located)
    with pytest.raises(MissingColumnsError, match="'children'"):
        flow_map(flows.drop(columns="children"), las=las)
    with pytest.raises(InputError, match="no placements out of LA 'E09000001'"):
        flow_map(flows, las=las, la="E09000001")
    with pytest.raises(CRSError, match="LA polygons"):
        flow_map(flows, las=las.to_crs(3857))
    inside = pd.DataFrame({"home_la": ["E08000007"], "pl_la": ["E08000007"], "children": [12]})
    with pytest.raises(InputError, match="nothing to draw"):
        flow_map(inside, las=las, by=None)


def test_distance_map(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    from provision.flows import distances_by_la as _distances

    by_la, bands = _distances(located, "E08000007")
    assert list(bands.index) == list(DISTANCE_BANDS) and list(bands.columns) == ["straight_line", "road"]
    assert int(bands["straight_line"].sum()) == 250
    html = decoded(render_html(distance_map(by_la, las=las, la="E08000007", bands=bands, roads=True),
                               inline_assets=True))
    assert "Where Stockport" in html
    for band in DISTANCE_BANDS:
        assert f"Placed {band} away (straight line)" in html
    assert "Straight line" in html and "Road" in html and "© OpenStreetMap contributors" in html
    assert "10 miles (straight line)" in html and "100 miles (straight line)" in html
    for secret in [*TEST_CHILD_IDS[:50], *TEST_POSTCODES, TEST_DOB]:
        assert secret not in html
    with pytest.raises(InputError, match="LA 'W06000001' has no polygon"):
        distance_map(by_la, las=las, la="W06000001")


def test_leaflet_assets_are_vendored_with_licence() -> None:
    from importlib import resources

    assets = resources.files("maps").joinpath("assets")
    assert "BSD 2-Clause" in assets.joinpath("LICENSE-leaflet.txt").read_text(encoding="utf-8")
    assert assets.joinpath("leaflet.js").read_text(encoding="utf-8").startswith("/* @preserve")
    assert _page.ASSETS.joinpath("leaflet.css").is_file()


# ------------------------------------------------------------------------- page chrome and the supply page (#12)
def test_every_page_has_a_title_and_british_english(supply_html: str, las: gpd.GeoDataFrame,
                                                    located: pd.DataFrame) -> None:
    from provision.flows import placement_flows

    flows = decoded(render_html(flow_map(placement_flows(located), las=las, title="Where children go"),
                                inline_assets=True))
    for page, title in ((supply_html, "Children's homes: supply by local authority"), (flows, "Where children go")):
        assert '<html lang="en-GB">' in page
        assert f"<title>{escape(title)}</title>" in page
        assert "@media print" in page and "@media (max-width:600px)" in page  # print and phone layouts
        assert "Download CSV" in page and "Export PNG" in page and "Table of this view" in page


@pytest.mark.parametrize("column", ["gap_index", "net_gain"])
def test_diverging_layers_have_zero_as_a_class_edge(supply_frame: gpd.GeoDataFrame, column: str) -> None:
    from maps.interactive import _layer_classes

    layer = next(ly for ly in SUPPLY_LAYERS if ly.column == column)
    assert layer.diverging
    values = pd.DataFrame({2024: supply_frame[column].astype(float), 2025: supply_frame[column].astype(float) * 2})
    edges, colours = _layer_classes(values, layer, scheme="quantiles", k=5, bins=None)
    assert 0.0 in edges and edges == sorted(edges)
    assert len(colours) == len(edges) - 1
    pooled = values.to_numpy().ravel()
    assert edges[0] == pooled.min() and edges[-1] == pooled.max()
    for lo, hi in zip(edges, edges[1:], strict=False):
        assert not lo < 0 < hi, f"class {lo}..{hi} straddles zero"
    neg = sum(1 for hi in edges[1:] if hi <= 0)
    assert 2 <= neg <= len(colours) - 2  # classes on both sides, diverging colours split at zero
    assert colours[:neg] != colours[neg:]
    positive = _layer_classes(values.abs() + 1, layer, scheme="quantiles", k=5, bins=None)[0]
    assert 0.0 not in positive and positive[0] == (values.abs() + 1).to_numpy().min()  # not centred: no zero


def test_user_bins_are_cut_to_the_data() -> None:
    from maps._page import layer_classes

    values = pd.Series([1.0, 2.0, 7.0, 12.0])
    _, edges, colours = layer_classes(values, cmap="Blues", scheme="userdefined", bins=[5, 10, 20, 50])
    assert edges == [1.0, 5.0, 10.0, 12.0] and len(colours) == 3
    with pytest.raises(InputError, match="needs bins"):
        layer_classes(values, cmap="Blues", scheme="userdefined")


def test_supply_page_embeds_one_geometry_and_every_year(supply_frame: gpd.GeoDataFrame,
                                                        regions: gpd.GeoDataFrame) -> None:
    cols = [ly.column for ly in SUPPLY_LAYERS if ly.column in supply_frame.columns]
    years = {y: supply_frame[cols] * (1 + (y - 2014) / 20) for y in range(2014, 2025)}
    html_ = decoded(render_html(supply_map(supply_frame, regions=regions, year=2025, years=years),
                                inline_assets=True))
    assert len(html_.encode()) < 5_000_000
    assert html_.count('"la_code":"E08000007"') == 1  # one copy of the polygons for every layer and year
    assert '"years":[2014,2015,2016,2017,2018,2019,2020,2021,2022,2023,2024,2025]' in html_
    assert '"initial":"Places per 10,000 children"' in html_
    assert "Statistical neighbours: not in the staged data" in html_


def test_supply_series_matches_the_published_year(mirror: Path) -> None:
    from maps.interactive import supply_series
    from provision.demand import demand_by_la
    from provision.gaps import GAP_INDEX, supply_gaps

    series = supply_series([2022])[2022]
    demand = demand_by_la(2022)
    gaps = supply_gaps(2022)
    assert len(series) == 153
    pd.testing.assert_series_equal(series["pct_outside_la"], demand["chomes_outside_la_pct"].reindex(series.index),
                                   check_names=False, check_dtype=False)
    pd.testing.assert_series_equal(series["gap_index"], gaps[GAP_INDEX].astype(float), check_names=False)


def test_supply_series_says_why_a_year_has_no_value(mirror: Path) -> None:
    from maps.interactive import supply_series

    series = supply_series([2015, 2025])
    assert "population" in series[2015].attrs["notes"]["places_per_10k"]
    assert "FOI" in series[2025].attrs["notes"]["pct_outside_la"]
    for year, frame in series.items():
        for column, _ in frame.attrs["notes"].items():
            assert frame[column].isna().all(), (year, column)  # a note only where the whole year is missing


def test_supply_map_offers_each_layer_its_years_and_classes_each_year(supply_frame: gpd.GeoDataFrame) -> None:
    """A layer empty in a year is not offered that year and says why; each year is classed on its own values."""
    from maps._page import layer_classes

    years = {2016: supply_frame[["homes", "places_per_10k"]].assign(places_per_10k=np.nan, homes=supply_frame["homes"]
                                                                    * 2)}
    years[2016].attrs["notes"] = {"places_per_10k": "no population estimate of children aged 0-17 is staged"}
    html_ = decoded(render_html(supply_map(supply_frame, year=2025, years=years), inline_assets=True))
    data = json.loads(re.search(r"window\.ffhSupply\(\w+, ffh_chrome, (\{.*\})\);", html_).group(1))  # type: ignore[union-attr]
    layers = {ly["key"]: ly for ly in data["layers"]}
    assert layers["places_per_10k"]["years"] == ["2025"]
    assert layers["places_per_10k"]["why"] == {"2016": "no population estimate of children aged 0-17 is staged"}
    assert layers["homes"]["years"] == ["2016", "2025"]
    for year, factor in (("2016", 2), ("2025", 1)):
        edges = layer_classes(supply_frame["homes"] * factor, cmap="Blues")[1]
        assert layers["homes"]["edges"][year] == edges
        assert f"31 March {year}" in layers["homes"]["legends"][year]
    assert "Cumbria" in [f["name"] for f in data["former"]]
    assert {c for f in data["former"] if f["name"] == "Cumbria" for c in f["to"]} == {"E06000063", "E06000064"}
    assert data["split"]["E06000063"]["year"] == 2023
