"""Flow map: curved arrows from home LA to placement LA, one layer per placement type, filters and a click panel."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from geo.attribution import ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts
from geo.errors import InputError
from maps._page import ASSETS, base_map, display_geometries, finish_map, la_background, require_geometry
from maps.distance_map import PhoneLayout
from provision.flows import ALL_PLACEMENTS, FLOW_DISTANCE_FILTERS, published_flows

__all__ = ["flow_map", "flow_width"]



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
    published: pd.DataFrame | None = None,
) -> folium.Map:
    """Flow map from home LA to placement LA: curved arrows, width by count, one layer per placement type.

    Counts are suppressed here, whatever the input, with :func:`provision.flows.published_flows` (the same
    suppression as the flows table: counts of 1-4 hidden, and secondary suppression over the placement types of
    each pair and within each home LA; see :data:`geo.disclosure.SUPPRESSION_RULE`). Hidden flows are drawn,
    when ``show_suppressed``, as thin dashed arcs labelled "fewer than 5". Arcs bend to the right of the
    direction of travel, so A→B and B→A are drawn apart, and end in an arrowhead of a fixed size on screen.

    A distance filter (straight-line miles between the two LAs, :data:`provision.flows.FLOW_DISTANCE_FILTERS`,
    over 20 miles by default) shows where children are placed far away rather than only next door. Clicking an
    LA lists its flows out (where its children go) and in (whose children it hosts) in a panel, sortable and
    filtered by placement type and distance: only the published, suppressed counts are embedded.

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
        Most arcs drawn at once in the England view (widest first; flows whose ends are near each other at the
        zoom shown are drawn as one arc, their published counts added, and separate as the map zooms in). A
        selected LA's flows are all drawn, whatever their number.
    show_suppressed
        Draw a selected LA's suppressed flows as dashed "fewer than 5" arcs (default True); the England view
        draws only published counts.
    published
        :func:`provision.flows.published_flows` of these ``flows`` (with ``las``), when the caller has already
        suppressed them for its table: drawn as they are, so that the map and the table are one suppression.
    """
    show_suppressed = True if show_suppressed is None else show_suppressed
    need = [origin, destination, count] + ([by] if by else [])
    require_geometry(flows, need, "flows")
    check_bng(las, name="LA polygons")
    require_geometry(las, ["la_name"], "LA polygons")
    data = flows[need].copy()
    if by is None:
        by = "_layer"
        data[by] = ALL_PLACEMENTS
    if published is None:
        data = data[data[count].fillna(0) > 0]
        safe = published_flows(data, las=las, origin=origin, destination=destination, count=count, by=by)
    else:
        require_geometry(published, [*need, f"{count}_label", "straight_distance_miles"], "published flows")
        safe = published if by in published.columns else published.assign(**{by: ALL_PLACEMENTS})
    if la is not None:
        safe = safe[safe[origin] == la]
        if safe.empty:
            raise InputError(f"flows: no placements out of LA {la!r}")
    check_no_small_counts(safe, count_columns=[count], source="flows")
    shown = display_geometries(las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    m = base_map(shown, tiles=tiles)
    background = la_background(shown, highlight=la)
    background.add_to(m)
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
    listed = safe[~within & ~unknown].reset_index(drop=True)
    visible = listed[count].notna()
    top = float(listed.loc[visible, count].max()) if visible.any() else 1.0
    layer_names = [str(k) for k in pd.unique(listed[by].astype(str))]
    if not layer_names:
        raise InputError("flows: nothing to draw (every flow is inside its home LA or outside England)")
    groups = []
    for i, name in enumerate(layer_names):
        group = folium.FeatureGroup(name=name, overlay=False, show=i == 0)
        group.add_to(m)
        groups.append((name, group.get_name()))
    far = next(iter(FLOW_DISTANCE_FILTERS.values()))
    default = next(iter(FLOW_DISTANCE_FILTERS))
    far_types = set(listed.loc[visible & (listed["straight_distance_miles"] >= far), by].astype(str))
    if far_types != set(layer_names):
        notes.append(f"Some placement types have no flow of 5 or more children {default.lower()}: the map opens "
                     "on all distances (Distance filter, bottom left).")
        default = next(k for k, v in FLOW_DISTANCE_FILTERS.items() if v == 0)
    else:
        notes.append(f"Showing flows {default.lower()} (straight line between the LAs); change it with the "
                     "Distance filter, bottom left.")
    notes.append(f"Every published flow is drawn, widest first: zoomed out, flows between nearby LAs are drawn "
                 f"together (their published counts added) and at most the {max_arcs} largest at once; zoom in to "
                 "separate them. Click or search an LA for all its flows out and in.")
    legend = _flow_legend(top, dashed=bool(show_suppressed) and bool((~visible).any()))
    legends = {n: legend for n in layer_names}
    m.add_child(PhoneLayout())
    finish_map(m, title=title, subtitle=subtitle, legends=legends, base_names=layer_names,
            initial=[layer_names[0]], attribution=attribution, notes=notes + [SUPPRESSION_RULE])
    points = to_display(gpd.GeoDataFrame(geometry=centre, crs=las.crs))
    m.add_child(_FlowPanel(listed, default=default, origin=origin, destination=destination, count=count, by=by,
                           groups=groups, background=background.get_name(), focus=la, top=top,
                           max_arcs=max_arcs, points=points, show_suppressed=bool(show_suppressed)))
    return m


def flow_width(n: float, top: float) -> float:
    """Line width in pixels of a flow (or of flows drawn together) of ``n`` children, the largest flow ``top``.

    Width grows with the square root of the count (an area-like scale, so that flows drawn together do not
    swamp the map) from 1.5 px to 10 px at ``top``, and at most 14 px.
    """
    return float(min(14.0, 1.5 + 8.5 * np.sqrt(max(float(n), 0.0) / max(float(top), 1.0))))


def _flow_legend(top: float, *, dashed: bool) -> str:
    """Line widths of the largest, a middle and the smallest published flow; the dashed style when it is drawn."""
    picks = sorted({int(top), max(int(round(top / 4)), 5), 5}, reverse=True) if top >= 5 else []
    rows = "".join(f'<div><span class="ffh-line" style="height:{flow_width(v, top):.1f}px"></span>'
                   f'{v:,.0f} children</div>' for v in picks)
    dash = (f'<div><span class="ffh-line ffh-dash"></span>{SUPPRESSED_LABEL} (drawn for the selected LA)</div>'
            if dashed else "")
    return (f'<div class="ffh-legend-block"><b>Children placed (width)</b><div class="ffh-note">Arrow points '
            f'to the placement LA; arcs bend right of travel. Distance: straight line between the LAs, '
            f'miles</div>{rows}{dash}</div>')


class _FlowPanel(MacroElement):
    """Arcs drawn in the page, distance filter, LA search and click panel (flows out and in, sortable).

    Embeds only the published flows (suppressed counts, LA names, straight-line miles between the LAs) and one
    point inside each LA (EPSG:4326). With no LA selected, the flows of the shown type and distance are drawn
    widest first; flows whose ends fall in the same cells of a screen grid (a cell is 48 px, so nearby LAs
    share one when zoomed out) are drawn as one arc with their published counts added, and at most
    ``max_arcs`` arcs at once. With an LA selected (click, search or ``focus``) every one of its flows out and
    in is drawn, each on its own, suppressed ones dashed.
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<script>{{ this.js }}</script>
<style>
.ffh-flowpanel{max-height:40vh;overflow:auto;width:auto;max-width:min(460px,calc(100vw - 30px))}
@media (min-width:601px){.ffh-flowpanel{min-width:240px}}
.ffh-flowpanel table{border-collapse:collapse;width:100%;font-size:11px}
.ffh-flowpanel th{cursor:pointer;text-align:left;border-bottom:1px solid #999;white-space:nowrap}
.ffh-flowpanel td{border-bottom:1px solid #eee;padding:1px 3px}
.ffh-flowpanel td.n,.ffh-flowpanel th.n{text-align:right;white-space:nowrap}
.ffh-flowpanel select{font-size:11px;max-width:100%}
.ffh-flowpanel input[type=search]{font:inherit;width:100%;box-sizing:border-box;padding:1px 4px;margin:2px 0}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
var ffh_flow_groups = {};
{% for name, var in this.groups %}ffh_flow_groups[{{ name|tojson }}] = {{ var }};
{% endfor %}window.ffhFlows({{ this._parent.get_name() }}, ffh_chrome, {{ this.data|tojson }}, ffh_flow_groups,
  {{ this.background }});
{% endmacro %}
""")

    def __init__(self, listed: pd.DataFrame, *, origin: str, destination: str, count: str, by: str,
                 groups: list[tuple[str, str]], background: str, focus: str | None, default: str, top: float,
                 max_arcs: int, points: gpd.GeoDataFrame, show_suppressed: bool) -> None:
        super().__init__()
        self._name = "FarFromHomeFlows"
        types = [name for name, _ in groups]
        codes = sorted(set(listed[origin]) | set(listed[destination]))
        names = dict(zip(listed[origin], listed[f"{origin}_name"], strict=True)) | dict(
            zip(listed[destination], listed[f"{destination}_name"], strict=True))
        rows = [[o, d, types.index(str(t)), lab, None if pd.isna(n) else int(n), round(float(mi), 1)]
                for o, d, t, lab, n, mi in zip(listed[origin], listed[destination], listed[by],
                                               listed[f"{count}_label"], listed[count],
                                               listed["straight_distance_miles"], strict=True)]
        pts = {c: [round(float(points.geometry[c].y), 5), round(float(points.geometry[c].x), 5)] for c in codes}
        self.data = {"types": types, "names": {c: str(names[c]) for c in codes}, "rows": rows, "points": pts,
                     "filters": FLOW_DISTANCE_FILTERS, "default": default, "top": top, "max_arcs": int(max_arcs),
                     "dashed": show_suppressed}
        json.dumps(self.data)  # fail here, not in the browser, on anything that is not plain data
        self.data["focus"] = focus
        self.groups = groups
        self.background = background
        self.js = ASSETS.joinpath("flows.js").read_text(encoding="utf-8")
