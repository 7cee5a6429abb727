/* farfromhome flow map: arcs drawn from the published flows, distance and type filters, LA search and panel.
   Needs Leaflet and chrome.js (window.ffhChrome). window.ffhFlows(map, chrome, D, groups, bg) */
(function () {
  'use strict';
  window.ffhFlows = function (map, chrome, D, groups, bg) {
  var state = {la: D.focus, min: D.filters[D.default], type: D.types[0], sort: 'n', desc: true};
  var rows = D.rows.map(function(r){ return {home: r[0], pl: r[1], type: D.types[r[2]], label: r[3], n: r[4],
    miles: r[5]}; });
  var drawn = [];
  function esc(s){ return window.ffhEsc(s); }
  function keep(r){ return r.miles >= state.min && r.type === state.type &&
    (!state.la || r.home === state.la || r.pl === state.la); }
  var scale = D.top;  // the largest arc drawn: flows drawn together can exceed the largest single flow
  function width(n){ return Math.min(14, 1.5 + 8.5 * Math.sqrt(Math.max(n, 0) / Math.max(scale, 1))); }
  function legend(){  // the widths drawn now (the scale follows the largest arc in view)
    var small = drawn.reduce(function(a, it){ return it.n === null ? a : Math.min(a, it.n); }, Infinity);
    var picks = [scale, Math.max(Math.round(scale / 4), 5), isFinite(small) ? small : 5].filter(function(v, k, a){
      return v <= scale && a.indexOf(v) === k; }).sort(function(a, b){ return b - a; });
    var dashed = drawn.some(function(it){ return it.n === null; });
    return '<div class="ffh-legend-block"><b>Children placed (width)</b><div class="ffh-note">Arrow points to the ' +
      'placement LA; arcs bend right of travel' + (state.la ? '' : '; zoomed out, nearby flows are drawn together') +
      '. Distance: straight line between the LAs, miles</div>' + picks.map(function(v){
        return '<div><span class="ffh-line" style="height:' + width(v).toFixed(1) + 'px"></span>' +
          v.toLocaleString('en-GB') + ' children</div>'; }).join('') +
      (dashed ? '<div><span class="ffh-line ffh-dash"></span>fewer than 5</div>' : '') + '</div>';
  }
  chrome.legendHtml = function(){ return legend(); };
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
    var line = L.polyline(pts.map(ll), {color: colour, weight: w, opacity: 0.7, dashArray: dashed ? '4 4' : null,
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
    scale = items.reduce(function(a, it){ return Math.max(a, it.n || 0); }, 0) || D.top;
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
    chrome.redraw();
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
  };
})();
