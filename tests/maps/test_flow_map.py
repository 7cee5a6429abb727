"""The flow map's drawn styles, arrowheads and embedded data, and the distances map's totals, as rendered HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from distance.straight import DISTANCE_BANDS
from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL
from maps.flow_map import _arc_frame
from maps.interactive import distance_map, flow_map, render_html
from provision.flows import distances_by_la, placement_flows, published_flows

from .conftest import TEST_CHILD_IDS, TEST_POSTCODES, decoded
from .test_disclosure_run import Cell, Relation, _geojson_layers, attack

HIDDEN = {SUPPRESSED_LABEL, SECONDARY_LABEL}


def _panel_data(html: str) -> dict[str, Any]:
    m = re.search(r"var D = (\{.*?\});\n", decoded(html))
    assert m is not None
    return json.loads(m.group(1))


def test_legend_shows_only_what_is_drawn(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = placement_flows(located)
    everyone = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    assert "ffh-line ffh-dash" not in everyone.split("</style>", 2)[-1]  # no dashed arc drawn, none in the legend
    one = decoded(render_html(flow_map(flows, las=las, la="E08000007"), inline_assets=True))
    assert '"dash": "4 4"' in one and "ffh-line ffh-dash" in one.split("</style>", 2)[-1]
    widths = [float(w) for w in re.findall(r'class=\\"ffh-line\\" style=\\"height:([\d.]+)px', everyone)]
    drawn = {f["weight"] for fs in _geojson_layers(everyone).values() for f in fs if f.get("weight", 1) > 1}
    assert widths and max(widths) <= max(drawn) + 0.1 and min(widths) >= min(drawn) - 0.1


def test_map_drawn_from_the_published_table_is_the_same_map(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    """The pipeline hands the map the flows it published in its table: the same panel data and layers."""
    flows = placement_flows(located)
    own = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    given = decoded(render_html(flow_map(flows, las=las, published=published_flows(flows, las=las)),
                                inline_assets=True))
    assert _panel_data(own) == _panel_data(given)
    def layers(html: str) -> list[str]:  # folium names each layer afresh on every render
        return sorted(json.dumps(v, sort_keys=True) for v in _geojson_layers(html).values())

    assert layers(own) == layers(given)


def test_arrowheads_stay_small(las: gpd.GeoDataFrame) -> None:
    safe = published_flows(pd.DataFrame({"home_la": ["E08000007", "E08000007"], "pl_la": ["E08000003", "E09000033"],
                                         "placement_type": "All placements", "children": [40, 8]}), las=las)
    arcs = _arc_frame(safe, origin="home_la", destination="pl_la", count="children", by="placement_type",
                      centre=las.geometry.representative_point(), top=40.0)
    bng = arcs.to_crs(27700)
    heads = bng[bng.geom_type == "Polygon"]
    lines = bng[bng.geom_type == "LineString"]
    assert len(heads) == len(lines) == 2
    for head, line in zip(heads.geometry, lines.geometry, strict=True):
        corners = np.array(head.exterior.coords)
        size = max(np.hypot(*(a - b)) for a in corners for b in corners)
        assert size <= 1.2 * min(3000.0, 0.2 * line.length)
    assert set(arcs["arc"]) == set(safe.index)


def test_panel_embeds_only_the_published_flows(located: pd.DataFrame, las: gpd.GeoDataFrame) -> None:
    flows = placement_flows(located)
    html = decoded(render_html(flow_map(flows, las=las), inline_assets=True))
    data = _panel_data(html)
    safe = published_flows(flows, las=las)
    between = safe[(safe["home_la"] != safe["pl_la"])]
    assert len(data["rows"]) == len(between)
    labels = {(h, p, data["types"][t]): (lab, n) for h, p, t, lab, n, _, _ in data["rows"]}
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
