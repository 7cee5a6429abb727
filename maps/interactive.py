"""Interactive folium maps: LA supply choropleths and one LA's placement distances.

The page they share is :mod:`maps._page`; the flow map is :mod:`maps.flow_map`, the distance map
:mod:`maps.distance_map` (both re-exported here).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.attribution import ATTRIBUTION
from geo.errors import MissingColumnsError
from maps._page import (  # noqa: F401  (re-exported: maps.sufficiency and the tests use these names)
    _NO_DATA,
    _base_map,
    _fill_style,
    _finish,
    _highlight,
    _legend_html,
    _region_outlines,
    _require,
    _swatch_legend,
    classify,
    colour_ramp,
    display_geometries,
    format_value,
    render_html,
    save_map,
)
from maps.distance_map import distance_map
from maps.flow_map import flow_map

logger = logging.getLogger(__name__)

__all__ = [
    "Layer", "SUPPLY_LAYERS", "classify", "colour_ramp", "format_value",
    "display_geometries", "supply_map", "flow_map", "distance_map", "render_html", "save_map",
]



@dataclass(frozen=True)
class Layer:
    """One switchable choropleth layer: which column, how to label it and colour it.

    Parameters
    ----------
    column
        Column of the frame given to :func:`supply_map`.
    label
        Name in the layer switcher and legend title.
    fmt
        Python format for values in tooltips and the legend.
    cmap
        Matplotlib colormap name (sequential, or diverging for signed measures).
    note
        One line under the legend title (what the measure means, where it comes from).
    """

    column: str
    label: str
    fmt: str = "{:,.0f}"
    cmap: str = "YlGnBu"
    note: str = ""


SUPPLY_LAYERS: tuple[Layer, ...] = (
    Layer("homes", "Children's homes", "{:,.0f}", "Blues", "Active children's homes at 31 March (Ofsted)"),
    Layer("places", "Registered places", "{:,.0f}", "Purples", "Registered places in children's homes (Ofsted)"),
    Layer("places_per_10k", "Places per 10,000 children", "{:,.1f}", "YlGnBu",
          "Children's-home places per 10,000 children aged 0-17"),
    Layer("gap_index", "Supply-gap index", "{:+,.1f}", "RdBu_r",
          "Own children in children's homes minus local places, per 10,000 children: positive = deficit"),
    Layer("pct_outside_la", "% placed outside their LA", "{:,.0f}%", "Oranges",
          "Children in children's homes placed outside their own LA (DfE)"),
    Layer("net_gain", "Net gain of children", "{:+,.0f}", "PuOr",
          "Children placed in the LA by others minus its own placed elsewhere (DfE)"),
)
"""The supply map's default layers; those whose column is absent are left out (and logged)."""


_LISA_COLOURS = {"HH": ("#d7191c", "Hot spot (high-high)"), "LL": ("#2c7bb6", "Cold spot (low-low)"),
                 "HL": ("#fdae61", "High among low (high-low)"), "LH": ("#abd9e9", "Low among high (low-high)"),
                 "ns": ("#f0f0f0", "Not significant")}


def supply_map(
    frame: gpd.GeoDataFrame,
    *,
    layers: Sequence[Layer] | None = None,
    regions: gpd.GeoDataFrame | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    lisa_column: str = "lisa_cluster",
    title: str = "Children's homes: supply by local authority",
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    tolerance_m: float = 500.0,
) -> folium.Map:
    """Choropleth of England's LAs with one switchable layer (and legend) per measure.

    Parameters
    ----------
    frame
        One row per LA, indexed by LA code, polygons in EPSG:27700, with ``la_name``, ``region_name`` and the
        columns named in ``layers`` (e.g. the supply, demand and gaps tables joined to
        :func:`boundaries.load_las`). An optional ``lisa_cluster`` column (HH, LL, HL, LH, ns) adds a LISA
        hot/cold-spot layer. Not modified; converted to EPSG:4326 only for display.
    layers
        The measures to show (default :data:`SUPPLY_LAYERS`; layers whose column is absent are left out).
    regions
        Region polygons (EPSG:27700) drawn as outlines.
    scheme, k, bins
        Classification (see :func:`classify`).
    title, subtitle
        Shown in a box on the map.
    tiles
        ``"none"`` (no basemap: works offline) or a folium tile name such as ``"cartodbpositron"``.
    attribution
        Data attribution, always shown (OpenStreetMap's is added by folium when OSM tiles are used).
    tolerance_m
        Display simplification in metres (see :func:`display_geometries`).

    Returns
    -------
    folium.Map
        Save with :func:`save_map`.
    """
    _require(frame, ["la_name", "region_name"], "supply map frame")
    explicit = layers is not None
    layers = list(layers if layers is not None else SUPPLY_LAYERS)
    absent = [ly.column for ly in layers if ly.column not in frame.columns]
    if absent and explicit:
        raise MissingColumnsError("supply map frame", absent, list(frame.columns))
    if absent:
        logger.info("supply map: no column(s) %s; those layers are left out", ", ".join(absent))
    layers = [ly for ly in layers if ly.column in frame.columns]
    has_lisa = lisa_column in frame.columns
    if not layers and not has_lisa:
        raise MissingColumnsError("supply map frame", [ly.column for ly in SUPPLY_LAYERS] + [lisa_column],
                                  list(frame.columns))
    shown = display_geometries(frame[["la_name", "region_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    legends: dict[str, str] = {}
    base_names: list[str] = []
    for i, ly in enumerate(layers):
        values = pd.to_numeric(frame[ly.column], errors="coerce")
        classes, edges = classify(values, scheme=scheme, k=k, bins=bins)
        colours = colour_ramp(ly.cmap, max(len(edges) - 1, 1))
        rank = values.rank(ascending=False, method="min")
        data = shown[["la_name", "region_name", "geometry"]].copy()
        data["value"] = [format_value(ly.fmt, v) for v in values]
        data["rank"] = [f"{int(r)} of {int(values.notna().sum())}" if pd.notna(r) else "no data" for r in rank]
        data["fill"] = [colours[c] if c >= 0 else _NO_DATA for c in classes]
        folium.GeoJson(
            data.reset_index().to_json(), name=ly.label, overlay=False, show=i == 0,
            style_function=_fill_style, highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "value", "rank", "region_name"],
                                          aliases=["Local authority", ly.label, "Rank (1 = highest)", "Region"]),
        ).add_to(m)
        legends[ly.label] = _legend_html(ly.label, ly.note, edges, colours, ly.fmt, scheme,
                                         missing=bool((classes < 0).any()))
        base_names.append(ly.label)
    overlays_shown: list[str] = []
    if has_lisa:
        name = "LISA hot and cold spots"
        lisa = frame[lisa_column].map(_lisa_key)
        data = shown[["la_name", "region_name", "geometry"]].copy()
        data["cluster"] = [_LISA_COLOURS[c][1] for c in lisa]
        data["fill"] = [_LISA_COLOURS[c][0] for c in lisa]
        folium.GeoJson(
            data.reset_index().to_json(), name=name, overlay=True, show=not layers,
            style_function=_fill_style, highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "cluster", "region_name"],
                                          aliases=["Local authority", "Local Moran's I", "Region"]),
        ).add_to(m)
        legends[name] = _swatch_legend(name, "Places per 10,000 children; permutation p < 0.05",
                                       [v for k, v in _LISA_COLOURS.items() if (lisa == k).any()])
        if not layers:
            overlays_shown.append(name)
    if regions is not None:
        _region_outlines(regions, tolerance_m=tolerance_m).add_to(m)
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names,
            initial=[base_names[0]] if base_names else overlays_shown, attribution=attribution)
    return m




def _lisa_key(value: Any) -> str:
    s = str(value).strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    table = {"hh": "HH", "highhigh": "HH", "hotspot": "HH", "hot": "HH", "ll": "LL", "lowlow": "LL",
             "coldspot": "LL", "cold": "LL", "hl": "HL", "highlow": "HL", "lh": "LH", "lowhigh": "LH"}
    return table.get(s, "ns")




