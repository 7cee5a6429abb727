"""One LA's placements on a map: where its children are placed, with straight-line distance bands and rings."""

from __future__ import annotations

import html
from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd
import shapely

from distance.straight import DISTANCE_BAND_EDGES_MILES, DISTANCE_BANDS, METRES_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts, suppress_counts
from geo.errors import InputError
from maps._page import (
    _base_map,
    _fill_style,
    _finish,
    _highlight,
    _legend_html,
    _require,
    classify,
    colour_ramp,
    display_geometries,
)

__all__ = ["distance_map"]

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
    """
    _require(by_la, [count], "placements by LA")
    check_bng(las, name="LA polygons")
    if la not in las.index:
        raise InputError(f"distance map: LA {la!r} has no polygon; expected an English LA code such as "
                         f"{las.index[0]!r}")
    band_cols = [b for b in band_columns if b in by_la.columns]
    frame = by_la[[count, *band_cols]].copy()
    frame["_all"] = "all"
    safe = suppress_counts(frame, count_columns=band_cols or [count], total=count if band_cols else None,
                           group="_all")
    check_no_small_counts(safe, count_columns=[count, *band_cols], source="placements by LA")
    name = str(las.loc[la, "la_name"])
    title = title or f"Where {name}'s children are placed"
    shown = display_geometries(las[["la_name", "region_name", "geometry"]] if "region_name" in las.columns
                               else las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    legends: dict[str, str] = {}
    base_names = []
    for i, col in enumerate([count, *band_cols]):
        label = "All placements" if col == count else f"Placed {col} away (straight line)"
        vals = safe[col].reindex(shown.index).astype(float)
        lab = safe[f"{col}_label"].reindex(shown.index).fillna("0").replace("0", "none")
        vals = vals.mask(vals == 0)
        classes, edges = classify(vals.astype(float), scheme="quantiles", k=5)
        colours = colour_ramp("YlOrRd", max(len(edges) - 1, 1))
        data = shown[["la_name", "geometry"]].copy()
        data["children"] = lab.to_numpy()
        data["fill"] = [colours[c] if c >= 0 else ("#ffffff" if lb == "none" else "#bdbdbd")
                        for c, lb in zip(classes, lab, strict=True)]
        folium.GeoJson(
            data.reset_index().to_json(), name=label, overlay=False, show=i == 0, style_function=_fill_style,
            highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "children"], aliases=["Placed in", f"{name}'s children"]),
        ).add_to(m)
        legends[label] = _legend_html(label, f"Children from {name}; grey: {SUPPRESSED_LABEL} or suppressed; "
                                      "white: none", edges, colours,
                                      "{:,.0f}", "quantiles", missing=False)
        base_names.append(label)
    _rings(las, la).add_to(m)
    folium.GeoJson(shown.loc[[la]].reset_index()[["la_code", "geometry"]].to_json()
                   if "la_code" not in shown.columns else shown.loc[[la]].to_json(),
                   style_function=lambda _: {"fill": False, "color": "#000000", "weight": 3},
                   interactive=False, control=False).add_to(m)
    notes = [SUPPRESSION_RULE]
    if bands is not None:
        notes.insert(0, _bands_table(bands))
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names, initial=[base_names[0]],
            attribution=attribution + (f"; {OSM_ATTRIBUTION}" if roads else ""), notes=notes, raw_notes=1
            if bands is not None else 0)
    return m


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
    return group


def _bands_table(bands: pd.DataFrame) -> str:
    cols = [c for c in ("straight_line", "road") if c in bands.columns]
    safe = suppress_counts(bands[cols].assign(_all="all"), count_columns=cols, group="_all") if cols else bands
    head = "".join(f"<th>{'Straight line' if c == 'straight_line' else 'Road'}</th>" for c in cols)
    body = "".join(
        f"<tr><td>{html.escape(str(idx))}</td>" + "".join(f"<td>{html.escape(str(safe.loc[idx, c + '_label']))}"
                                                         f"</td>" for c in cols) + "</tr>"
        for idx in safe.index)
    return (f'<table class="ffh-bands"><tr><th>Distance from home</th>{head}</tr>{body}</table>'
            '<div class="ffh-note">Children by distance band from home. Where road distances were measured, '
            'both columns count only placements with both distances.</div>')
