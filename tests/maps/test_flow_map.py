"""The flow map's drawn styles, arrowheads and embedded data, and the distances map's totals, as rendered HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from distance.straight import DISTANCE_BANDS
from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL
from geo.errors import InputError
from maps.flow_map import flow_width
from maps.interactive import distance_map, flow_map, render_html
from provision.flows import distances_by_la, placement_flows, published_flows

from .conftest import TEST_CHILD_IDS, TEST_POSTCODES, decoded
from .test_disclosure_run import Cell, Relation, _geojson_layers, attack

HIDDEN = {SUPPRESSED_LABEL, SECONDARY_LABEL}


def _panel_data(html: str) -> dict[str, Any]:
    m = re.search(r"window\.ffhFlows\(\w+, ffh_chrome, (\{.*?\}), ffh_flow_groups", decoded(html))
    assert m is not None
    return json.loads(m.group(1))


def test_legend_widths_are_the_drawn_scale(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = placement_flows(located)
    html = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    data = _panel_data(html)
    published = [r[4] for r in data["rows"] if r[4] is not None]
    assert data["top"] == max(published)
    widths = [float(w) for w in re.findall(r'class=\\"ffh-line\\" style=\\"height:([\d.]+)px', html)]
    assert widths and max(widths) == round(flow_width(max(published), data["top"]), 1)
    assert min(widths) == round(flow_width(5, data["top"]), 1)  # the smallest published count
    dash = 'class=\\"ffh-line ffh-dash\\"'  # in the legend the page opens with (JSON in the chrome's options)
    assert any(r[4] is None for r in data["rows"]) == (dash in html)
    hidden = flow_map(flows, las=las, show_suppressed=False)
    assert dash not in decoded(render_html(hidden, inline_assets=True))


def test_map_drawn_from_the_published_table_is_the_same_map(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    """The pipeline hands the map the flows it published in its table: the same panel data."""
    flows = placement_flows(located)
    own = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    given = decoded(render_html(flow_map(flows, las=las, published=published_flows(flows, las=las)),
                                inline_assets=True))
    assert _panel_data(own) == _panel_data(given)


def test_every_flow_end_has_a_point_inside_its_la(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    """The page draws arcs between one point inside each LA (EPSG:4326): every flow's two ends have one."""
    import shapely

    data = _panel_data(decoded(render_html(flow_map(placement_flows(located), las=las), inline_assets=True)))
    shown = las.to_crs(4326)
    for code in {r[0] for r in data["rows"]} | {r[1] for r in data["rows"]}:
        lat, lon = data["points"][code]
        assert shown.loc[code, "geometry"].buffer(0.01).contains(shapely.Point(lon, lat)), code


def test_flow_map_refuses_an_la_without_flows(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError, match="no placements out of LA 'E06000047'"):
        flow_map(placement_flows(located), las=las, la="E06000047")


def test_panel_embeds_only_the_published_flows(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = placement_flows(located)
    html = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    data = _panel_data(html)
    safe = published_flows(flows, las=las)
    between = safe[(safe["home_la"] != safe["pl_la"])]
    assert len(data["rows"]) == len(between)
    labels = {(h, p, data["types"][t]): (lab, n) for h, p, t, lab, n, _ in data["rows"]}
    for r in between.itertuples():
        lab, n = labels[(r.home_la, r.pl_la, r.placement_type)]
        assert lab == r.children_label and (n is None) == (lab in HIDDEN)
        assert n is None or n >= 5
    assert data["filters"] == {"Over 20 miles": 20.0, "Over 50 miles": 50.0, "All distances": 0.0}
    for secret in [*TEST_CHILD_IDS[:50], *TEST_POSTCODES]:
        assert secret not in html


def test_distances_map_keeps_la_band_and_region_totals_safe(mirror: Any, las: gpd.GeoDataFrame) -> None:
    """Stockport's synthetic children: band totals, regions and LAs on the map cannot be worked back."""
    from provision import synth
    from provision.placements import locate

    data = synth.generate(year=2024, seed=5, las=["E08000007"])
    located = locate(data.episodes, responsible_la="E08000007")
    by_la, bands = distances_by_la(located, "E08000007")
    assert bands.loc["over 100 miles", "straight_line"] >= 5  # the case: many LAs with 1 child each
    html = render_html(distance_map(by_la, las=las, la="E08000007", bands=bands), inline_assets=True)
    page = decoded(html).replace('\\"', '"')
    table = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", re.search(
        r'<table class="ffh-bands">(.*?)</table>', page, re.S).group(1)))  # type: ignore[union-attr]
    assert table["over 100 miles"] not in HIDDEN  # the far band's total is kept ...
    layers = _geojson_layers(html)
    region_of = las["region_name"]
    truth_regions = by_la.groupby(region_of.reindex(by_la.index).fillna("outside England")).sum()
    relations = []
    for band in DISTANCE_BANDS:
        features = layers[f"Placed {band} away (straight line)"]
        la_cells = {f["la_code"]: Cell(f"{f['la_code']} {band}", "0" if f["children"] == "none" else f["children"],
                                       int(by_la[band].get(f["la_code"], 0))) for f in features if "la_code" in f}
        reg_cells = {f["region_name"]: Cell(f"{f['region_name']} {band}", f["children"],
                                            int(truth_regions.loc[f["region_name"], band]))
                     for f in features if "region_name" in f and "la_code" not in f}
        total = Cell(f"band {band}", table[band], int(bands.loc[band, "straight_line"]))
        relations.append(Relation(f"band {band} = its LAs", total, list(la_cells.values()), exact=False))
        if reg_cells:
            relations.append(Relation(f"band {band} = its regions", total, list(reg_cells.values()), exact=False))
            for reg, cell in reg_cells.items():
                parts = [c for code, c in la_cells.items() if region_of.get(code) == reg]
                relations.append(Relation(f"{reg} {band} = its LAs", cell, parts, exact=False))
        shown = [c for c in la_cells.values() if c.shown == SUPPRESSED_LABEL]
        # ... and its LAs are not all "fewer than 5" with 1 child each (nor 4), which would pin every one
        if shown and len(shown) == len([c for c in la_cells.values() if c.shown not in ("0",)]) and \
                total.shown not in HIDDEN:
            assert total.value not in (len(shown), 4 * len(shown)), band
    assert len(relations) >= 2 * len(DISTANCE_BANDS)
    assert attack(relations) == []
