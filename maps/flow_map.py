"""Flow map: curved arrows from home LA to placement LA, one layer per placement type, filters and a click panel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geo.attribution import ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts
from geo.errors import InputError
from maps._page import _base_map, _finish, _la_background, _require, display_geometries
from maps.distance_map import PhoneLayout
from provision.flows import ALL_PLACEMENTS, FLOW_DISTANCE_FILTERS, published_flows, select_flows

__all__ = ["flow_map"]

_ARC_CLASS = "ffh-flow"
_RED, _GREY = "#b2182b", "#9e9e9e"


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
        Largest flows drawn per layer and distance filter; the rest are counted in a note and listed in the panel.
    show_suppressed
        Draw suppressed flows as dashed "fewer than 5" arcs (default: only when ``la`` is given).
    published
        :func:`provision.flows.published_flows` of these ``flows`` (with ``las``), when the caller has already
        suppressed them for its table: drawn as they are, so that the map and the table are one suppression.
    """
    show_suppressed = la is not None if show_suppressed is None else show_suppressed
    need = [origin, destination, count] + ([by] if by else [])
    _require(flows, need, "flows")
    check_bng(las, name="LA polygons")
    _require(las, ["la_name"], "LA polygons")
    data = flows[need].copy()
    if by is None:
        by = "_layer"
        data[by] = ALL_PLACEMENTS
    if published is None:
        data = data[data[count].fillna(0) > 0]
        safe = published_flows(data, las=las, origin=origin, destination=destination, count=count, by=by)
    else:
        _require(published, [*need, f"{count}_label", "straight_distance_miles"], "published flows")
        safe = published if by in published.columns else published.assign(**{by: ALL_PLACEMENTS})
    if la is not None:
        safe = safe[safe[origin] == la]
        if safe.empty:
            raise InputError(f"flows: no placements out of LA {la!r}")
    check_no_small_counts(safe, count_columns=[count], source="flows")
    shown = display_geometries(las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    background = _la_background(shown, highlight=la)
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
    listed["arc"] = -1
    top = float(listed[count].max()) if listed[count].notna().any() else 1.0
    layer_names, layers = [], []
    drawn_weights: list[float] = []
    any_dashed = False
    for i, (kind, part) in enumerate(listed.groupby(by, sort=False)):
        picked = pd.concat([select_flows(part, min_miles=mi, max_flows=max_arcs, origin=origin,
                                         destination=destination, count=count) for mi in
                            FLOW_DISTANCE_FILTERS.values()])
        picked = picked[~picked.index.duplicated()]
        n_visible = int(part[count].notna().sum())
        if len(picked) < n_visible:
            notes.append(f"{kind}: {len(picked)} of {n_visible} flows are drawn (the {max_arcs} largest at each "
                         "distance); the panel lists them all.")
        if show_suppressed:
            picked = pd.concat([picked, part[part[count].isna()]])
        listed.loc[picked.index, "arc"] = picked.index
        arcs = _arc_frame(listed.loc[picked.index], origin=origin, destination=destination, count=count, by=by,
                          centre=centre, top=top)
        if len(arcs):
            lines = arcs[arcs.geom_type == "LineString"]
            drawn_weights += [float(w) for w, d in zip(lines["weight"], lines["dash"], strict=True) if not d]
            any_dashed |= bool((lines["dash"] != "").any())
        name = str(kind)
        group = folium.FeatureGroup(name=name, overlay=False, show=i == 0)
        if len(arcs):
            layer = folium.GeoJson(
                arcs.to_json(), style_function=_arc_style, highlight_function=_arc_highlight,
                tooltip=folium.GeoJsonTooltip(["from", "to", "children", "type"],
                                              aliases=["Home LA", "Placed in", "Children", "Placement type"]),
            )
            layer.add_to(group)
            layers.append((name, layer.get_name()))
        group.add_to(m)
        layer_names.append(name)
    if not layer_names:
        raise InputError("flows: nothing to draw (every flow is inside its home LA or outside England)")
    legend = _flow_legend(top, drawn_weights, dashed=any_dashed)
    legends = {n: legend for n in layer_names}
    far = next(iter(FLOW_DISTANCE_FILTERS.values()))
    default = next(iter(FLOW_DISTANCE_FILTERS))
    arcs_far = listed[(listed["arc"] >= 0) & (listed["straight_distance_miles"] >= far)]
    if set(arcs_far[by]) != set(layer_names):
        notes.append(f"Some placement types have no flow of 5 or more children {default.lower()}: the map opens "
                     "on all distances (Distance filter, bottom left).")
        default = next(k for k, v in FLOW_DISTANCE_FILTERS.items() if v == 0)
    else:
        notes.append(f"Showing flows {default.lower()} (straight line between the LAs); change it with the "
                     "Distance filter, bottom left. Click an LA for its flows out and in.")
    m.add_child(PhoneLayout())
    m.add_child(_FlowPanel(listed, default=default, origin=origin, destination=destination, count=count, by=by,
                           layers=layers, background=background.get_name(), focus=la))
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=layer_names,
            initial=[layer_names[0]], attribution=attribution, notes=notes + [SUPPRESSION_RULE])
    return m


def _arc_frame(part: pd.DataFrame, *, origin: str, destination: str, count: str, by: str,
               centre: gpd.GeoSeries, top: float) -> gpd.GeoDataFrame:
    """Curved arcs (quadratic Bézier bending right of travel) and arrowheads, built in BNG, shown in 4326.

    The arrowhead is small here (at most a fifth of the arc, 3 km) and kept at a fixed size on screen by the
    page's script as the map zooms.
    """
    rows = []
    for arc, o, d, n, kind, home, pl in zip(part.index, part[origin], part[destination], part[count], part[by],
                                            part[f"{origin}_name"], part[f"{destination}_name"], strict=True):
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
        head = min(3000.0, length * 0.2)
        tip, before = curve[-1], curve[-2]
        direction = (tip - before) / max(np.hypot(*(tip - before)), 1e-9)
        side = np.array([direction[1], -direction[0]])
        base = tip - direction * head
        arrow = shapely.Polygon([tip, base + side * head * 0.45, base - side * head * 0.45])
        line = shapely.LineString(curve.tolist())
        label = SUPPRESSED_LABEL if suppressed else f"{int(n):,}"
        colour = _GREY if suppressed else _RED
        common = {"from": str(home), "to": str(pl), "children": label, "type": str(kind), "colour": colour,
                  "weight": round(weight, 2), "dash": "4 4" if suppressed else "", "arc": int(arc)}
        rows.append({**common, "geometry": line})
        rows.append({**common, "weight": 1, "geometry": arrow})
    if not rows:
        return gpd.GeoDataFrame({"geometry": [], "weight": [], "dash": []}, geometry="geometry", crs=centre.crs)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=centre.crs)
    out = to_display(frame)
    return out.set_geometry(shapely.transform(out.geometry.values, lambda c: np.round(c, 5)))


def _arc_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    return {"color": p["colour"], "weight": p["weight"], "opacity": 0.85, "fillColor": p["colour"],
            "fillOpacity": 0.9, "dashArray": p["dash"] or None, "className": _ARC_CLASS}


def _arc_highlight(_: Any) -> dict[str, Any]:
    return {"color": "#000000"}


def _flow_legend(top: float, weights: list[float], *, dashed: bool) -> str:
    """Line widths actually drawn (largest, middle, smallest) and the dashed style only when it is drawn."""
    rows = ""
    if weights:
        drawn = sorted({round((w - 1.5) / 8.5 * top) for w in weights}, reverse=True)
        picks = sorted({drawn[0], drawn[len(drawn) // 2], drawn[-1]}, reverse=True)
        rows = "".join(f'<div><span class="ffh-line" style="height:{1.5 + 8.5 * v / top:.1f}px"></span>'
                       f'{v:,.0f} children</div>' for v in picks)
    dash = f'<div><span class="ffh-line ffh-dash"></span>{SUPPRESSED_LABEL}</div>' if dashed else ""
    return (f'<div class="ffh-legend-block"><b>Children placed (width)</b><div class="ffh-note">Arrow points '
            f'to the placement LA; arcs bend right of travel. Distance: straight line between the LAs, '
            f'miles</div>{rows}{dash}</div>')


class _FlowPanel(MacroElement):
    """Distance filter, click-an-LA panel (flows out and in, sortable, by type and distance) and fixed arrowheads.

    Embeds only the published flows (suppressed counts, LA names, straight-line miles between the LAs).
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.ffh-panel{max-height:40vh;overflow:auto;width:300px}
.ffh-panel table{border-collapse:collapse;width:100%;font-size:11px}
.ffh-panel th{cursor:pointer;text-align:left;border-bottom:1px solid #999;white-space:nowrap}
.ffh-panel td{border-bottom:1px solid #eee;padding:1px 3px}.ffh-panel td.n{text-align:right}
.ffh-panel select{font-size:11px;max-width:100%}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function(){
  var map = {{ this._parent.get_name() }};
  var D = {{ this.data|tojson }};
  var layers = {};
  {% for name, var in this.layers %}layers[{{ name|tojson }}] = {{ var }};{% endfor %}
  var bg = {{ this.background }};
  var state = {la: {{ this.focus|tojson }}, min: D.filters[D.default], type: D.types[0], sort: 'n', desc: true};
  var rows = D.rows.map(function(r){ return {home: r[0], pl: r[1], type: D.types[r[2]], label: r[3], n: r[4],
    miles: r[5], arc: r[6]}; });
  var byArc = {}; rows.forEach(function(r){ if (r.arc >= 0) byArc[r.arc] = r; });
  var parts = {};
  Object.keys(layers).forEach(function(k){ parts[k] = layers[k].getLayers(); });
  function keep(r){ return r.miles >= state.min && (!state.la || r.home === state.la || r.pl === state.la); }
  function heads(){
    Object.keys(layers).forEach(function(k){
      var lines = {};
      parts[k].forEach(function(l){
        if (l.feature.geometry.type === 'LineString') lines[l.feature.properties.arc] = l; });
      parts[k].forEach(function(l){
        if (l.feature.geometry.type !== 'Polygon' || !map.hasLayer(l)) return;
        var line = lines[l.feature.properties.arc]; if (!line) return;
        var ll = line.getLatLngs(), tip = map.latLngToLayerPoint(ll[ll.length - 1]);
        var prev = map.latLngToLayerPoint(ll[ll.length - 2]), first = map.latLngToLayerPoint(ll[0]);
        var dx = tip.x - prev.x, dy = tip.y - prev.y, d = Math.sqrt(dx * dx + dy * dy) || 1;
        var span = Math.sqrt(Math.pow(tip.x - first.x, 2) + Math.pow(tip.y - first.y, 2));
        var w = line.options.weight || 1, s = Math.max(3, Math.min(5 + 1.4 * w, 0.25 * span, 18));
        dx /= d; dy /= d;
        var bx = tip.x - dx * s, by = tip.y - dy * s, sx = -dy * s * 0.5, sy = dx * s * 0.5;
        l.setLatLngs([tip, L.point(bx + sx, by + sy), L.point(bx - sx, by - sy)].map(function(p){
          return map.layerPointToLatLng(p); }));
      });
    });
  }
  function apply(){
    Object.keys(layers).forEach(function(k){
      parts[k].forEach(function(l){
        var r = byArc[l.feature.properties.arc], on = r && keep(r);
        if (on && !layers[k].hasLayer(l)) layers[k].addLayer(l);
        if (!on && layers[k].hasLayer(l)) layers[k].removeLayer(l);
      });
    });
    heads(); list(); outline();
  }
  function esc(s){ return String(s).replace(/[&<>"]/g, function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]; }); }
  function list(){
    var body = panel._div.querySelector('.ffh-rows'), head = panel._div.querySelector('.ffh-which');
    if (!state.la) { head.innerHTML = 'Click an LA to list its flows out and in.'; body.innerHTML = ''; return; }
    var sel = rows.filter(function(r){ return keep(r) && r.type === state.type; });
    var key = state.sort;
    sel.sort(function(a, b){
      function v(r){ return key === 'n' ? (r.n === null ? 0.5 : r.n) : key === 'miles' ? r.miles :
        D.names[key === 'from' ? r.home : r.pl]; }
      var x = v(a), y = v(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (state.desc ? -1 : 1); });
    var out = sel.filter(function(r){ return r.home === state.la; }).length;
    head.innerHTML = '<b>' + esc(D.names[state.la]) + '</b>: ' + out + ' flows out, ' + (sel.length - out) +
      ' in (' + esc(state.type) + '). <a href="#" class="ffh-clear">Show all LAs</a>';
    body.innerHTML = sel.map(function(r){ return '<tr class="ffh-row" data-home="' + r.home + '" data-pl="' + r.pl +
      '"><td>' + (r.home === state.la ? 'out' : 'in') + '</td><td>' + esc(D.names[r.home]) + '</td><td>' +
      esc(D.names[r.pl]) + '</td><td class="n">' + esc(r.label) + '</td><td class="n">' + r.miles.toFixed(0) +
      '</td></tr>'; }).join('');
  }
  var panel = L.control({position: 'bottomleft'});
  panel.onAdd = function(){
    var d = L.DomUtil.create('div', 'ffh-box ffh-panel');
    var f = Object.keys(D.filters).map(function(k){ return '<option' + (k === D.default ? ' selected' : '') + '>' +
      esc(k) + '</option>'; }).join('');
    var t = D.types.map(function(k){ return '<option>' + esc(k) + '</option>'; }).join('');
    d.innerHTML = '<b>Flows</b> <label>Distance <select class="ffh-dist" aria-label="Distance filter">' + f +
      '</select></label> <label>Type <select class="ffh-type" aria-label="Placement type filter">' + t +
      '</select></label><div class="ffh-note ffh-which"></div><table><thead><tr><th data-k="dir">Flow</th>' +
      '<th data-k="from">Home LA</th><th data-k="to">Placed in</th><th data-k="n">Children</th>' +
      '<th data-k="miles">Miles</th></tr></thead><tbody class="ffh-rows"></tbody></table>' +
      '<div class="ffh-note">Miles: straight line between the two LAs. Counts as published (suppressed).</div>';
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    this._div = d; return d; };
  panel.addTo(map);
  var div = panel._div;
  div.querySelector('.ffh-dist').addEventListener('change', function(e){
    state.min = D.filters[e.target.value]; apply(); });
  div.querySelector('.ffh-type').addEventListener('change', function(e){
    var want = e.target.value;
    Object.keys(layers).forEach(function(k){ if (k !== want && map.hasLayer(layers[k])) map.removeLayer(layers[k]); });
    var input = Array.prototype.find.call(document.querySelectorAll('.leaflet-control-layers-base label'),
      function(l){ return l.textContent.trim() === want; });
    if (input) { input.querySelector('input').click(); } state.type = want; apply(); });
  div.querySelectorAll('th').forEach(function(th){ th.addEventListener('click', function(){
    var k = th.getAttribute('data-k'); if (k === 'dir') return;
    state.desc = state.sort === k ? !state.desc : k === 'n' || k === 'miles'; state.sort = k; list(); }); });
  div.addEventListener('click', function(e){ if (e.target.classList.contains('ffh-clear')) { e.preventDefault();
    state.la = null; apply(); } });
  map.on('baselayerchange', function(e){
    state.type = e.name; div.querySelector('.ffh-type').value = e.name; apply(); });
  var picked = null;
  function outline(){
    if (picked) { bg.resetStyle(picked); picked = null; }
    bg.eachLayer(function(l){ if (state.la && l.feature.properties.la_code === state.la) {
      picked = l; l.setStyle({weight: 2.5, color: '#000000'}); } });
  }
  bg.eachLayer(function(l){ l.on('click', function(){ state.la = l.feature.properties.la_code; apply(); }); });
  map.on('zoomend', heads);
  apply();
})();
{% endmacro %}
""")

    def __init__(self, listed: pd.DataFrame, *, origin: str, destination: str, count: str, by: str,
                 layers: list[tuple[str, str]], background: str, focus: str | None, default: str) -> None:
        super().__init__()
        self._name = "FarFromHomeFlows"
        types = list(pd.unique(listed[by].astype(str)))
        codes = sorted(set(listed[origin]) | set(listed[destination]))
        names = dict(zip(listed[origin], listed[f"{origin}_name"], strict=True)) | dict(
            zip(listed[destination], listed[f"{destination}_name"], strict=True))
        rows = [[o, d, types.index(str(t)), lab, None if pd.isna(n) else int(n), float(mi), int(a)]
                for o, d, t, lab, n, mi, a in zip(listed[origin], listed[destination], listed[by],
                                                   listed[f"{count}_label"], listed[count],
                                                   listed["straight_distance_miles"], listed["arc"], strict=True)]
        self.data = {"types": types, "names": {c: str(names[c]) for c in codes}, "rows": rows,
                     "filters": FLOW_DISTANCE_FILTERS, "default": default}
        json.dumps(self.data)  # fail here, not in the browser, on anything that is not plain data
        self.layers = layers
        self.background = background
        self.focus = focus
