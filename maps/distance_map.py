"""One LA's placements on a map: where its children are placed, with straight-line distance bands and rings."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from distance.straight import DISTANCE_BAND_EDGES_MILES, DISTANCE_BANDS, METRES_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts
from geo.errors import InputError
from maps._page import (
    base_map,
    classify,
    colour_ramp,
    display_geometries,
    finish_map,
    highlight_style,
    legend_html,
    require_geometry,
    swatch_legend,
)
from maps.distance_tables import HIDDEN_LABELS, DistancePublication, publish_distances
from maps.summary import BAND_COLUMNS

__all__ = ["distance_map", "PhoneLayout"]

_NO_FILL = "none"
_BAND_FILL = "#fc8d59"
_PALE = "#bcbddc"
_BAND_EDGES_MILES = tuple(int(e) for e in DISTANCE_BAND_EDGES_MILES[1:-1])  # rings at 10, 20, 50, 100 miles


def distance_map(
    by_la: pd.DataFrame,
    *,
    las: gpd.GeoDataFrame,
    la: str,
    bands: pd.DataFrame | None = None,
    count: str = "children",
    band_columns: Sequence[str] = DISTANCE_BANDS,
    title: str | None = None,
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    roads: bool = False,
    tolerance_m: float = 500.0,
    published: DistancePublication | None = None,
) -> folium.Map:
    """Where one LA's children are placed, by placement LA, with straight-line distance bands from home.

    Parameters
    ----------
    by_la
        Indexed by placement LA code: ``count`` (children placed there) and, where present, one count column
        per straight-line distance band (``band_columns``). Aggregated counts only. Small counts are
        suppressed here (row totals and band totals are treated as published).
    las
        LA polygons indexed by LA code, EPSG:27700, with ``la_name``.
    la
        The home LA's code (outlined; distance rings of 10, 20, 50 and 100 miles straight-line drawn around
        a point inside it).
    bands
        Optional summary indexed by band label with columns ``straight_line`` and, where road distances
        exist, ``road``: children per band, shown side by side in a table on the map.
    roads
        Whether road distances (OpenStreetMap) are shown: adds the OpenStreetMap attribution.
    published
        :func:`maps.distance_tables.publish_distances` of these inputs, when the caller has it already (a run
        draws the figure and writes the band table from the same one); otherwise computed here.
    """
    require_geometry(by_la, [count], "placements by LA")
    check_bng(las, name="LA polygons")
    if la not in las.index:
        raise InputError(f"distance map: LA {la!r} has no polygon; expected an English LA code such as "
                         f"{las.index[0]!r}")
    band_cols = [b for b in band_columns if b in by_la.columns]
    cols = [count, *band_cols]
    pub = published if published is not None else publish_distances(by_la, las=las, bands=bands, count=count,
                                                                    band_columns=band_columns)
    la_labels = {"values": pub.la_values, "labels": pub.la_labels}
    region_labels = {"values": pub.region_values, "labels": pub.region_labels}
    band_labels = pub.band_labels()
    check_no_small_counts(la_labels["values"], count_columns=cols, source="placements by LA")
    name = str(las.loc[la, "la_name"])
    title = title or f"Where {name}'s children are placed"
    shown = display_geometries(las[["la_name", "region_name", "geometry"]] if "region_name" in las.columns
                               else las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    regions = _region_shapes(las, tolerance_m=tolerance_m)
    m = base_map(shown, tiles=tiles)
    legends: dict[str, str] = {}
    base_names = []
    for i, col in enumerate(cols):
        label = "All placements" if col == count else f"Placed {col} away (straight line)"
        group = folium.FeatureGroup(name=label, overlay=False, show=i == 0)
        blocks = []
        reg_vals = region_labels["values"][col].reindex(regions.index).astype(float)
        reg_vals = reg_vals.mask(reg_vals == 0)
        vals = la_labels["values"][col].reindex(shown.index).astype(float)
        lab = la_labels["labels"][col].reindex(shown.index).fillna("0").replace("0", "none")
        vals = vals.mask(vals == 0)
        classes, edges = classify(vals.astype(float), scheme="quantiles", k=5)
        colours = colour_ramp("YlOrRd", max(len(edges) - 1, 1))
        # regions are only outlined and labelled: with no LA shown, the band's part of England is shaded
        if col != count and not vals.notna().any() and band_labels is not None \
                and col in band_labels.index and band_labels.loc[col, "straight_line"] not in HIDDEN_LABELS \
                and band_labels.loc[col, "straight_line"] != "0":
            _band_area(las, la, col, band_labels.loc[col, "straight_line"], name).add_to(group)
            blocks.append(swatch_legend(f"{label}: the band", "No LA can show these children's count: the "
                                         "area of England in the band is shaded",
                                         [(_BAND_FILL, f"{band_labels.loc[col, 'straight_line']} children "
                                           f"placed {col} away")]))
        reg_lab = region_labels["labels"][col].reindex(regions.index).fillna("0")
        few = (reg_lab == SUPPRESSED_LABEL).to_numpy()
        if reg_vals.notna().any() or few.any():
            # regions are outlined and labelled with their count, never painted: a region's colour under an LA
            # with fewer than 5 would read as that LA's (one colour ramp: the LAs')
            rdata = regions[["geometry"]].copy()
            rdata["region_name"] = regions.index
            rdata["children"] = reg_lab.to_numpy()
            rdata["fill"] = _NO_FILL
            rdata["counted"] = reg_vals.notna().to_numpy()
            folium.GeoJson(rdata.to_json(), style_function=_region_style, interactive=False).add_to(group)
            _region_labels(regions, reg_lab, col == count).add_to(group)
            blocks.append(swatch_legend(f"{label}: by region", f"Children from {name} in each region: the number "
                                         "on the region (outlined), which counts the LAs too small to show",
                                         [("transparent", "region total, e.g. 37")]))
        region_child = shown["region_name"].map(region_labels["labels"][col]) if "region_name" in shown.columns \
            else pd.Series("", index=shown.index)
        data = shown[["la_name", "geometry"]].copy()
        data["children"] = lab.to_numpy()
        data["region_children"] = region_child.fillna("0").replace("0", "none").to_numpy()
        data["fill"] = [colours[c] if c >= 0 else _NO_FILL for c in classes]
        data["counted"] = classes.to_numpy() >= 0
        tips = ["la_name", "children"] + (["region_children"] if "region_name" in shown.columns else [])
        folium.GeoJson(
            data.reset_index().to_json(), style_function=_la_style, highlight_function=highlight_style,
            tooltip=folium.GeoJsonTooltip(tips, aliases=["Placed in", f"{name}'s children", "In its region"]),
        ).add_to(group)
        group.add_to(m)
        blocks.insert(0, legend_html(label, f"Children from {name} by LA; LAs without a colour: "
                                      f"{SUPPRESSED_LABEL}, suppressed or none", edges, colours,
                                      "{:,.0f}", "quantiles", missing=False))
        legends[label] = "".join(blocks)
        base_names.append(label)
    m.add_child(PhoneLayout())
    _rings(las, la).add_to(m)
    folium.GeoJson(shown.loc[[la]].reset_index()[["la_code", "geometry"]].to_json()
                   if "la_code" not in shown.columns else shown.loc[[la]].to_json(),
                   style_function=lambda _: {"fill": False, "color": "#000000", "weight": 3},
                   interactive=False, control=False).add_to(m)
    notes = [SUPPRESSION_RULE]
    if pub.bands is not None:
        notes.insert(0, _bands_table(pub.bands))
    finish_map(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names, initial=[base_names[0]],
            attribution=attribution + (f"; {OSM_ATTRIBUTION}" if roads else ""), notes=notes, raw_notes=1
            if bands is not None else 0)
    return m


class PhoneLayout(MacroElement):
    """Small-screen CSS for the flow and distances maps, kept here rather than in the shared chrome (``maps._page``).

    On a narrow screen every box is held to half the width and a share of the height, so the boxes of the four
    corners (layers, title, legend, panel) do not overlap.
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.leaflet-bottom.leaflet-right .leaflet-control-attribution{max-width:calc(50vw - 10px)}
.ffh-label{background:none;border:none}
.ffh-ring-label{font:bold 11px system-ui,Arial,sans-serif;color:#08306b;text-align:center;
 text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}
.ffh-region-label{font:11px system-ui,Arial,sans-serif;color:#252525;text-align:center;white-space:nowrap;
 text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff;pointer-events:none}
@media (max-width:600px){
 .leaflet-control-layers,.ffh-box{max-width:calc(50vw - 22px)!important;box-sizing:border-box;font-size:11px}
 .leaflet-control-layers{max-height:28vh;overflow:auto}
 .ffh-title{max-height:30vh;overflow:auto}.ffh-title h1{font-size:13px}
 .ffh-legend{max-height:20vh;overflow:auto}
 .ffh-panel{max-height:30vh;width:auto}
 .leaflet-control-attribution{max-width:calc(50vw - 10px);font-size:9px}
 .leaflet-bottom.leaflet-left .leaflet-control-scale{display:none}
 .ffh-flowpanel{max-height:32vh}
 .ffh-la-picked .ffh-flowpanel{max-width:calc(100vw - 20px)!important}
 .ffh-la-picked .ffh-legend{display:none}
 .leaflet-control-layers{max-height:none}
}
</style>
{% endmacro %}
""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "FarFromHomePhone"


def _region_labels(regions: gpd.GeoDataFrame, labels: pd.Series, first: bool) -> folium.FeatureGroup:
    """Each region's published count as a label at a point inside it (EPSG:4326 display)."""
    group = folium.FeatureGroup(name="Region totals", control=False)
    points = regions.geometry.representative_point()
    for region, pt in points.items():
        text = str(labels.get(region, "0"))
        if text in ("0", "none", ""):
            continue
        folium.Marker([pt.y, pt.x], icon=folium.DivIcon(
            html=f'<div class="ffh-region-label">{html.escape(str(region))}: {html.escape(text)}</div>',
            icon_size=(140, 16), icon_anchor=(70, 8), class_name="ffh-label"), interactive=False,
            keyboard=False).add_to(group)
    return group


def _rings(las: gpd.GeoDataFrame, la: str) -> folium.FeatureGroup:
    """Straight-line distance rings (10, 20, 50, 100 miles) around a point inside the home LA."""
    centre = las.loc[[la]].geometry.representative_point()
    group = folium.FeatureGroup(name="Distance rings (straight line)", overlay=True, show=True)
    rings = gpd.GeoDataFrame(
        {"label": [f"{m} miles (straight line)" for m in _BAND_EDGES_MILES]},
        geometry=[shapely.LineString(centre.iloc[0].buffer(m * METRES_PER_MILE, 64).exterior.coords)
                  for m in _BAND_EDGES_MILES], crs=las.crs)
    folium.GeoJson(to_display(rings).to_json(), tooltip=folium.GeoJsonTooltip(["label"], labels=False),
                   style_function=lambda _: {"color": "#08306b", "weight": 1.2, "dashArray": "6 4",
                                             "className": "ffh-ring"}).add_to(group)
    for m, ring in zip(_BAND_EDGES_MILES, to_display(rings).geometry, strict=True):  # radii shown, not on hover
        lon, lat = max(ring.coords, key=lambda c: c[1])
        folium.Marker([lat, lon], icon=folium.DivIcon(html=f'<div class="ffh-ring-label">{m} mi</div>',
                                                     icon_size=(44, 14), icon_anchor=(22, 7),
                                                     class_name="ffh-label"),
                      interactive=False, keyboard=False).add_to(group)
    return group


def _bands_table(table: pd.DataFrame) -> str:
    """Render the band table as published (:func:`maps.summary.band_table` layout, total row last) as HTML."""
    cols = [c for c in BAND_COLUMNS if c in table.columns]
    head = "".join(f"<th>{'Straight line' if c == 'straight_line' else 'Road'}</th>" for c in cols)
    body = "".join(
        f"<tr><td>{html.escape(str(row['distance_band']))}</td>"
        + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in cols) + "</tr>"
        for _, row in table.iterrows())
    counts = html.escape(str(table["counts"].iloc[0]))
    return (f'<table class="ffh-bands"><tr><th>Distance from home</th>{head}</tr>{body}</table>'
            f'<div class="ffh-note">Placements by distance band from home, miles ({counts}): a child placed '
            'twice counts twice. The map\'s layers count children.</div>')


def _region_shapes(las: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Region polygons dissolved from the LAs (so they meet the LA edges), EPSG:4326, indexed by region name."""
    key = las["region_name"].astype(str) if "region_name" in las.columns else pd.Series("England", index=las.index)
    merged = las[["geometry"]].assign(region=key.to_numpy()).dissolve(by="region")
    return display_geometries(merged, tolerance_m=tolerance_m * 2)


def _band_area(las: gpd.GeoDataFrame, la: str, band: str, label: str, name: str) -> folium.GeoJson:
    """Shade the part of England between a band's two rings around the home LA (no LA or region can show it)."""
    k = list(DISTANCE_BANDS).index(band)
    lo, hi = DISTANCE_BAND_EDGES_MILES[k], DISTANCE_BAND_EDGES_MILES[k + 1]
    centre = las.loc[[la]].geometry.representative_point().iloc[0]
    england = shapely.union_all(las.geometry.simplify(1000).buffer(0).values)
    outer = england if not np.isfinite(hi) else centre.buffer(hi * METRES_PER_MILE, 64)
    area = outer.difference(centre.buffer(lo * METRES_PER_MILE, 64)).intersection(england)
    frame = gpd.GeoDataFrame({"band": [f"{name}'s children placed {band} away (straight line)"],
                              "children": [label]}, geometry=[area], crs=las.crs)
    shown = to_display(frame)
    return folium.GeoJson(shown.to_json(), style_function=lambda _: {
        "fillColor": _BAND_FILL, "fillOpacity": 0.35, "color": _BAND_FILL, "weight": 0.5,
        "className": "ffh-band-area ffh-count"}, tooltip=folium.GeoJsonTooltip(["band", "children"],
                                                                      aliases=["", "Children"]))


def _la_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    fill = feature["properties"]["fill"]
    return {"fillColor": fill if fill != _NO_FILL else "#ffffff", "fillOpacity": 0.85 if fill != _NO_FILL else 0.0,
            "color": "#9e9e9e", "weight": 0.5,
            "className": "ffh-la ffh-count" if feature["properties"]["counted"] else "ffh-la"}


def _region_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    fill = feature["properties"]["fill"]
    return {"fillColor": fill if fill != _NO_FILL else "#f2f2f2",
            "fillOpacity": 0.75 if fill not in (_NO_FILL, _PALE) else 0.6 if fill == _PALE else 0.0,
            "color": "#252525", "weight": 1.2,
            "className": "ffh-region-fill ffh-count" if feature["properties"]["counted"] else "ffh-region-fill"}
