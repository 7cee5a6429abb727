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
from maps._page import _base_map, _finish, _la_background, _require, display_geometries
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
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=layer_names,
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
(function(){
  var map = {{ this._parent.get_name() }}, chrome = ffh_chrome;
  var D = {{ this.data|tojson }};
  var groups = {};
  {% for name, var in this.groups %}groups[{{ name|tojson }}] = {{ var }};{% endfor %}
  var bg = {{ this.background }};
  var state = {la: {{ this.focus|tojson }}, min: D.filters[D.default], type: D.types[0], sort: 'n', desc: true};
  var rows = D.rows.map(function(r){ return {home: r[0], pl: r[1], type: D.types[r[2]], label: r[3], n: r[4],
    miles: r[5]}; });
  var drawn = [];
  function esc(s){ return window.ffhEsc(s); }
  function keep(r){ return r.miles >= state.min && r.type === state.type &&
    (!state.la || r.home === state.la || r.pl === state.la); }
  function width(n){ return Math.min(14, 1.5 + 8.5 * Math.sqrt(Math.max(n, 0) / Math.max(D.top, 1))); }
  function arc(a, b, w, dashed, tip){  // quadratic Bezier bending right of travel, in screen space, and its head
    var p0 = map.latLngToLayerPoint(a), p2 = map.latLngToLayerPoint(b);
    var dx = p2.x - p0.x, dy = p2.y - p0.y, len = Math.sqrt(dx * dx + dy * dy);
    if (len < 2) return null;
    var c = L.point((p0.x + p2.x) / 2 - dy * 0.18, (p0.y + p2.y) / 2 + dx * 0.18), pts = [];
    for (var k = 0; k <= 20; k++) {
      var t = k / 20, u = 1 - t;
      pts.push(L.point(u * u * p0.x + 2 * u * t * c.x + t * t * p2.x, u * u * p0.y + 2 * u * t * c.y + t * t * p2.y));
    }
    var end = pts[20], prev = pts[19], ex = end.x - prev.x, ey = end.y - prev.y, d = Math.sqrt(ex * ex + ey * ey) || 1;
    var sz = Math.max(4, Math.min(5 + 1.2 * w, 0.25 * len, 16)); ex /= d; ey /= d;
    var bx = end.x - ex * sz, by = end.y - ey * sz, sx = -ey * sz * 0.5, sy = ex * sz * 0.5;
    var colour = dashed ? '#9e9e9e' : '#b2182b';
    var ll = function(p){ return map.layerPointToLatLng(p); };
    var line = L.polyline(pts.map(ll), {color: colour, weight: w, opacity: 0.85, dashArray: dashed ? '4 4' : null,
      className: 'ffh-flow', interactive: true});
    var head = L.polygon([end, L.point(bx + sx, by + sy), L.point(bx - sx, by - sy)].map(ll), {color: colour,
      weight: 1, fillColor: colour, fillOpacity: 0.9, className: 'ffh-flow-head', interactive: false});
    line.bindTooltip(tip, {sticky: true});
    line.on('mouseover', function(){ line.setStyle({color: '#000000'}); });
    line.on('mouseout', function(){ line.setStyle({color: colour}); });
    return [line, head];
  }
  function draw(){
    var g = groups[state.type];
    Object.keys(groups).forEach(function(k){ groups[k].clearLayers(); });
    drawn = [];
    var sel = rows.filter(keep), items = [];
    if (state.la) {  // one LA: all its flows, each on its own; suppressed ones dashed
      sel.forEach(function(r){
        if (r.n !== null || D.dashed) items.push({a: D.points[r.home], b: D.points[r.pl], n: r.n, rows: [r]}); });
    } else {  // England: published flows, nearby ends drawn together when zoomed out, widest first
      var cell = 48, byKey = {};
      sel.forEach(function(r){
        if (r.n === null) return;
        var p = map.latLngToLayerPoint(D.points[r.home]), q = map.latLngToLayerPoint(D.points[r.pl]);
        var key = Math.floor(p.x / cell) + ':' + Math.floor(p.y / cell) + '>' + Math.floor(q.x / cell) + ':' + Math.floor(q.y / cell);
        var it = byKey[key];
        if (!it) { it = byKey[key] = {sx: 0, sy: 0, tx: 0, ty: 0, n: 0, rows: []}; items.push(it); }
        it.sx += p.x * r.n; it.sy += p.y * r.n; it.tx += q.x * r.n; it.ty += q.y * r.n; it.n += r.n; it.rows.push(r);
      });
      items.forEach(function(it){
        it.a = map.layerPointToLatLng(L.point(it.sx / it.n, it.sy / it.n));
        it.b = map.layerPointToLatLng(L.point(it.tx / it.n, it.ty / it.n));
      });
    }
    items.sort(function(x, y){ return (y.n || 0) - (x.n || 0); });
    var hidden = 0;
    if (!state.la && items.length > D.max_arcs) { hidden = items.length - D.max_arcs; items = items.slice(0, D.max_arcs); }
    items.reverse().forEach(function(it){  // widest drawn last, on top
      var r = it.rows[0], dashed = it.n === null;
      var tip = it.rows.length === 1 ? '<b>' + esc(D.names[r.home]) + ' → ' + esc(D.names[r.pl]) + '</b><br>' +
        esc(r.label) + ' children (' + esc(r.type) + '), ' + r.miles.toFixed(0) + ' miles (straight line)' :
        '<b>' + it.rows.length + ' flows drawn together, ' + it.n.toLocaleString('en-GB') + ' children</b> (' +
        esc(r.type) + '; published counts added; zoom in to separate them)<br>' + it.rows.slice().sort(function(x, y){
          return y.n - x.n; }).slice(0, 8).map(function(x){ return esc(D.names[x.home]) + ' → ' + esc(D.names[x.pl]) +
          ': ' + esc(x.label); }).join('<br>') + (it.rows.length > 8 ? '<br>…' : '');
      var parts = arc(it.a, it.b, dashed ? 1.2 : width(it.n), dashed, tip);
      if (!parts) return;
      parts.forEach(function(l){ g.addLayer(l); });
      drawn.push(it);
    });
    status(hidden);
    (state.la ? L.DomUtil.addClass : L.DomUtil.removeClass)(map.getContainer(), 'ffh-la-picked');
    list(); outline(); chrome.refresh();
  }
  function status(hidden){
    var el = div.querySelector('.ffh-drawn');
    var flows = drawn.reduce(function(a, it){ return a + it.rows.length; }, 0);
    el.textContent = state.la ? drawn.length + ' flows drawn for ' + D.names[state.la] + '.' :
      drawn.length + ' arcs drawn (' + flows + ' published flows' + (hidden ? '; ' + hidden + ' smaller arcs not drawn at this zoom' : '') + ').';
  }
  function list(){
    var body = div.querySelector('.ffh-rows'), head = div.querySelector('.ffh-which');
    if (!state.la) { head.innerHTML = 'Click or search an LA to list and draw all its flows out and in.'; body.innerHTML = ''; return; }
    var sel = rows.filter(keep);
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
    var d = L.DomUtil.create('div', 'ffh-box ffh-panel ffh-flowpanel');
    var f = Object.keys(D.filters).map(function(k){ return '<option' + (k === D.default ? ' selected' : '') + '>' +
      esc(k) + '</option>'; }).join('');
    var t = D.types.map(function(k){ return '<option>' + esc(k) + '</option>'; }).join('');
    var opts = Object.keys(D.names).map(function(c){ return '<option value="' + esc(D.names[c]) + '">' + esc(c) + '</option>'; }).join('');
    d.innerHTML = '<b>Flows</b> <label>Distance <select class="ffh-dist" aria-label="Distance filter">' + f +
      '</select></label> <label>Type <select class="ffh-type" aria-label="Placement type filter">' + t +
      '</select></label><label style="display:block">Find an LA <input type="search" class="ffh-search" list="ffh-flow-las" ' +
      'placeholder="e.g. Stockport or E08000007" autocomplete="off"></label><datalist id="ffh-flow-las">' + opts +
      '</datalist><div class="ffh-note ffh-status" role="status" aria-live="polite"></div>' +
      '<div class="ffh-note ffh-drawn"></div><div class="ffh-note ffh-which"></div><table><thead><tr><th data-k="dir">Flow</th>' +
      '<th data-k="from">Home LA</th><th data-k="to">Placed in</th><th data-k="n" class="n">Children</th>' +
      '<th data-k="miles" class="n">Miles</th></tr></thead><tbody class="ffh-rows"></tbody></table>' +
      '<div class="ffh-note">Miles: straight line between the two LAs. Counts as published (suppressed).</div>';
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    return d; };
  panel.addTo(map);
  var div = panel.getContainer();
  function norm(s){ return String(s || '').toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, ' ').trim(); }
  function find(q){
    var t = String(q || '').trim(), up = t.toUpperCase(), k = norm(t), codes = Object.keys(D.names), i, starts = null;
    if (!k) return null;
    if (D.names[up]) return up;
    for (i = 0; i < codes.length; i++) {
      var nm = norm(D.names[codes[i]]);
      if (nm === k) return codes[i];
      if (starts === null && nm.indexOf(k) === 0) starts = codes[i];
    }
    return starts;
  }
  function pick(code){ state.la = code; draw(); if (code) zoomTo(code); }
  function zoomTo(code){
    var b = L.latLngBounds([D.points[code]]);
    rows.forEach(function(r){ if (keep(r)) { b.extend(D.points[r.home]); b.extend(D.points[r.pl]); } });
    map.fitBounds(b.pad(0.15), {maxZoom: 9});
  }
  var search = div.querySelector('.ffh-search'), said = div.querySelector('.ffh-status');
  function go(){
    var c = find(search.value);
    said.textContent = c ? '' : (search.value ? 'No LA with flows matches "' + search.value + '"' : '');
    if (c) pick(c);
  }
  search.addEventListener('change', go);
  search.addEventListener('keydown', function(e){ if (e.key === 'Enter') { e.preventDefault(); go(); } });
  div.querySelector('.ffh-dist').addEventListener('change', function(e){ state.min = D.filters[e.target.value]; draw(); });
  div.querySelector('.ffh-type').addEventListener('change', function(e){
    var want = e.target.value;
    var input = Array.prototype.find.call(map.getContainer().querySelectorAll('.leaflet-control-layers-base label'),
      function(l){ return l.textContent.trim() === want; });
    if (input) { input.querySelector('input').click(); } state.type = want; draw(); });
  div.querySelectorAll('th').forEach(function(th){ th.addEventListener('click', function(){
    var k = th.getAttribute('data-k'); if (k === 'dir') return;
    state.desc = state.sort === k ? !state.desc : k === 'n' || k === 'miles'; state.sort = k; list(); }); });
  div.addEventListener('click', function(e){ if (e.target.classList.contains('ffh-clear')) { e.preventDefault();
    search.value = ''; pick(null); } });
  map.on('baselayerchange', function(e){
    if (!groups[e.name]) return;
    state.type = e.name; div.querySelector('.ffh-type').value = e.name; draw(); });
  var picked = null;
  function outline(){
    if (picked) { bg.resetStyle(picked); picked = null; }
    bg.eachLayer(function(l){ if (state.la && l.feature.properties.la_code === state.la) {
      picked = l; l.setStyle({weight: 2.5, color: '#000000'}); } });
  }
  bg.eachLayer(function(l){ l.on('click', function(){
    var c = l.feature.properties.la_code;
    if (!D.names[c]) { said.textContent = (l.feature.properties.la_name || c) + ' has no published flow here.'; return; }
    said.textContent = ''; search.value = D.names[c]; state.la = c; draw(); }); });
  map.on('zoomend', draw);
  document.addEventListener('keydown', function(e){ if (e.key === 'Escape' && state.la) { search.value = ''; pick(null); } });
  // the table and CSV of the view: the flows drawn
  chrome.provider = function(){
    var out = [];
    drawn.forEach(function(it){ it.rows.forEach(function(r){ out.push({from: D.names[r.home], to: D.names[r.pl],
      children: r.label, n: r.n, type: r.type, miles: Math.round(r.miles)}); }); });
    return {title: state.type + (state.la ? ', ' + D.names[state.la] : ''), note: 'flows drawn; counts as published (suppressed); miles: straight line between the LAs',
            columns: [{key: 'from', label: 'Home LA'}, {key: 'to', label: 'Placed in'},
                      {key: 'children', label: 'Children', num: true}, {key: 'type', label: 'Placement type'},
                      {key: 'miles', label: 'Miles (straight line)', num: true}], rows: out};
  };
  chrome.caption = function(){ return state.type + (state.la ? ', ' + D.names[state.la] : ''); };
  map._ffhFlows = {state: state, pick: pick, drawn: function(){ return drawn; }, rows: rows, keep: keep};
  draw();
  if (state.la) zoomTo(state.la);
})();
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
        self.groups = groups
        self.background = background
        self.focus = focus
