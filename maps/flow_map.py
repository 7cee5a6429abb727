"""Flow map: curved arrows from home LA to placement LA, one layer per placement type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.attribution import ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts, suppress_counts
from geo.errors import InputError
from maps._page import _base_map, _finish, _la_background, _require, display_geometries

__all__ = ["flow_map"]

_ARC_CLASS = "ffh-flow"


def flow_map(
    flows: pd.DataFrame,
    *,
    las: gpd.GeoDataFrame,
    origin: str = "home_la",
    destination: str = "pl_la",
    count: str = "children",
    by: str | None = "placement_type",
    la: str | None = None,
    max_arcs: int = 300,
    show_suppressed: bool | None = None,
    title: str = "Where children are placed: home LA to placement LA",
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    tolerance_m: float = 500.0,
) -> folium.Map:
    """Flow map from home LA to placement LA: curved arrows, width by count, one layer per placement type.

    Counts are suppressed here, whatever the input: counts of 1-4 are hidden (drawn, when
    ``show_suppressed``, as thin dashed arcs labelled "fewer than 5"), with secondary suppression within
    each home LA and placement type (see :data:`geo.disclosure.SUPPRESSION_RULE`). Arcs bend to the right of
    the direction of travel, so A→B and B→A are drawn apart, and end in an arrowhead at the placement LA.

    Parameters
    ----------
    flows
        Aggregated counts, one row per (``origin``, ``destination``[, ``by``]) — never child-level records.
        Rows whose origin equals destination (placed inside the home LA) are not drawn; destinations without
        an English polygon (e.g. WAL, SCO) are counted in a note.
    las
        LA polygons indexed by LA code, EPSG:27700, with ``la_name``.
    by
        Column whose values become switchable layers (e.g. placement type); ``None`` for one layer.
    la
        Only flows out of this LA code.
    max_arcs
        Largest flows drawn per layer; the rest are counted in a note.
    show_suppressed
        Draw suppressed flows as dashed "fewer than 5" arcs (default: only when ``la`` is given).
    """
    show_suppressed = la is not None if show_suppressed is None else show_suppressed
    need = [origin, destination, count] + ([by] if by else [])
    _require(flows, need, "flows")
    check_bng(las, name="LA polygons")
    _require(las, ["la_name"], "LA polygons")
    data = flows[need].copy()
    if by is None:
        by = "_layer"
        data[by] = "All placements"
    data = data[data[count].fillna(0) > 0]
    if la is not None:
        data = data[data[origin] == la]
        if data.empty:
            raise InputError(f"flows: no placements out of LA {la!r}")
    safe = suppress_counts(data, count_columns=[count], group=[by, origin])
    check_no_small_counts(safe, count_columns=[count], source="flows")
    shown = display_geometries(las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    _la_background(shown, highlight=la).add_to(m)
    names = las["la_name"]
    centre = las.geometry.representative_point()
    within = safe[origin] == safe[destination]
    unknown = ~safe[origin].isin(las.index) | ~safe[destination].isin(las.index)
    notes = []
    if within.any():
        notes.append("Children placed inside their own LA are not drawn.")
    if (unknown & ~within).any():
        dests = sorted(map(str, set(safe.loc[unknown & ~within, destination]) - set(las.index)))
        notes.append(f"Flows to or from areas without an English LA polygon ({', '.join(dests[:6])}) are "
                     "not drawn.")
    drawable = safe[~within & ~unknown]
    top = float(drawable[count].max()) if drawable[count].notna().any() else 1.0
    layer_names = []
    for i, (kind, part) in enumerate(drawable.groupby(by, sort=True)):
        part = part.sort_values(count, ascending=False, na_position="last")
        visible = part[part[count].notna()]
        hidden = part[part[count].isna()]
        if len(visible) > max_arcs:
            notes.append(f"{kind}: the {max_arcs} largest of {len(visible)} flows are drawn.")
            visible = visible.head(max_arcs)
        rows = [visible] + ([hidden] if show_suppressed else [])
        arcs = _arc_frame(pd.concat(rows), origin=origin, destination=destination, count=count, by=by,
                          centre=centre, names=names, top=top)
        name = str(kind)
        group = folium.FeatureGroup(name=name, overlay=False, show=i == 0)
        if len(arcs):
            folium.GeoJson(
                arcs.to_json(), style_function=_arc_style, highlight_function=_arc_highlight,
                tooltip=folium.GeoJsonTooltip(["from", "to", "children", "type"],
                                              aliases=["Home LA", "Placed in", "Children", "Placement type"]),
            ).add_to(group)
        group.add_to(m)
        layer_names.append(name)
    if not layer_names:
        raise InputError("flows: nothing to draw (every flow is inside its home LA or outside England)")
    legend = _flow_legend(top)
    legends = {n: legend for n in layer_names}
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=layer_names,
            initial=[layer_names[0]], attribution=attribution, notes=notes + [SUPPRESSION_RULE])
    return m


def _arc_frame(part: pd.DataFrame, *, origin: str, destination: str, count: str, by: str,
               centre: gpd.GeoSeries, names: pd.Series, top: float) -> gpd.GeoDataFrame:
    """Curved arcs (quadratic Bézier bending right of travel) and arrowheads, built in BNG, shown in 4326."""
    rows = []
    for o, d, n, kind in zip(part[origin], part[destination], part[count], part[by], strict=True):
        p0 = np.array(centre[o].coords[0])
        p2 = np.array(centre[d].coords[0])
        vec = p2 - p0
        length = float(np.hypot(*vec))
        if length == 0:
            continue
        normal = np.array([vec[1], -vec[0]]) / length  # right of travel
        p1 = (p0 + p2) / 2 + normal * length * 0.18
        t = np.linspace(0, 1, 24)[:, None]
        curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
        suppressed = pd.isna(n)
        weight = 1.0 if suppressed else 1.5 + 8.5 * float(n) / top
        head = min(max(2500.0 + 900.0 * weight, 2500.0), length * 0.35)
        tip, before = curve[-1], curve[-3]
        direction = (tip - before) / max(np.hypot(*(tip - before)), 1e-9)
        side = np.array([direction[1], -direction[0]])
        base = tip - direction * head
        arrow = shapely.Polygon([tip, base + side * head * 0.45, base - side * head * 0.45])
        line = shapely.LineString(curve[:-1].tolist() + [base.tolist()])
        label = SUPPRESSED_LABEL if suppressed else f"{int(n):,}"
        colour = "#9e9e9e" if suppressed else "#b2182b"
        common = {"from": str(names.get(o, o)), "to": str(names.get(d, d)), "children": label, "type": str(kind),
                  "colour": colour, "weight": round(weight, 2), "dash": "4 4" if suppressed else ""}
        rows.append({**common, "geometry": line})
        rows.append({**common, "weight": 1, "geometry": arrow})
    if not rows:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=centre.crs)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=centre.crs)
    out = to_display(frame)
    return out.set_geometry(shapely.transform(out.geometry.values, lambda c: np.round(c, 5)))


def _arc_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    return {"color": p["colour"], "weight": p["weight"], "opacity": 0.85, "fillColor": p["colour"],
            "fillOpacity": 0.9, "dashArray": p["dash"] or None, "className": _ARC_CLASS}


def _arc_highlight(_: Any) -> dict[str, Any]:
    return {"color": "#000000"}


def _flow_legend(top: float) -> str:
    lines = "".join(
        f'<div><span class="ffh-line" style="height:{1.5 + 8.5 * f:.1f}px"></span>{v:,.0f} children</div>'
        for f, v in sorted({(1.0, top), (max(top / 2, 5) / top, max(top / 2, 5)), (5 / top, 5.0)}, reverse=True)
        if v >= 5)
    return (f'<div class="ffh-legend-block"><b>Children placed (width)</b><div class="ffh-note">Arrow points '
            f'to the placement LA; arcs bend right of travel</div>{lines}<div><span class="ffh-line ffh-dash">'
            f'</span>{SUPPRESSED_LABEL}</div></div>')
