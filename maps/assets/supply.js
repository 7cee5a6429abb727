/* farfromhome supply map: one copy of the LA polygons coloured by the chosen layer and year; LA search and panel;
   the chosen LA kept in the URL (#la=E08000007). Needs Leaflet and chrome.js (window.ffhChrome). */
(function () {
  'use strict';
  var NO_DATA = '#d9d9d9';

  function fmt(pattern, v) {  // the Python formats the layers use: {:,.0f} {:+,.1f} {:,.0f}%
    if (v == null || isNaN(v)) return 'no data';
    var m = /\{:(\+)?(,)?\.(\d)f\}(.*)/.exec(pattern) || [null, '', ',', '0', ''];
    var d = Number(m[3]);
    var s = Math.abs(v).toLocaleString('en-GB', {minimumFractionDigits: d, maximumFractionDigits: d,
                                                  useGrouping: !!m[2]});
    var neg = v < 0 && Number(s.replace(/,/g, '')) !== 0;
    return (neg ? '−' : (m[1] && v > 0 ? '+' : '')) + s + (m[4] || '');
  }
  function norm(s) {
    return String(s).toLowerCase().replace(/&/g, ' and ').replace(/[^a-z0-9]+/g, ' ').replace(/\bcity of\b/g, ' ')
      .replace(/\b(council|county|borough|metropolitan|district|of)\b/g, ' ').replace(/\s+/g, ' ').trim();
  }

  window.ffhSupply = function (map, chrome, D) {
    var esc = window.ffhEsc, n = D.codes.length;
    var idx = {}, byLabel = {}, paths = [];
    D.codes.forEach(function (c, i) { idx[c] = i; });
    D.layers.forEach(function (l) { byLabel[l.label] = l; });
    var ykeys = D.years.length ? D.years.map(String) : ['0'];
    var state = {layer: D.initial, year: D.year != null ? String(D.year) : ykeys[ykeys.length - 1], sel: null};
    if (ykeys.indexOf(state.year) < 0) state.year = ykeys[ykeys.length - 1];
    var isLisa = function () { return D.lisa && state.layer === D.lisa.label; };

    function klass(edges, v) {
      if (v == null) return -1;
      for (var i = 0; i < edges.length - 1; i++) { if (v <= edges[i + 1]) return i; }
      return edges.length - 2;
    }
    function fill(i) {
      if (isLisa()) return D.lisa.colours[D.lisa.keys[i]];
      var l = byLabel[state.layer]; if (!l || !l.edges[state.year]) return NO_DATA;
      var cols = l.colours[state.year], c = klass(l.edges[state.year], l.values[state.year][i]);
      return c < 0 ? NO_DATA : cols[Math.min(c, cols.length - 1)];
    }
    // the years the shown layer has data for (the LISA layer: its one year); the year control offers only these
    function layerYears() {
      if (isLisa()) return D.year != null ? [String(D.year)] : ykeys;
      var l = byLabel[state.layer];
      return l && l.years.length ? l.years : ykeys;
    }
    function whyMissing(i) {  // an LA made by a split: before it, the figures were its predecessor's
      var s = D.split && D.split[D.codes[i]];
      if (s && Number(state.year) <= s.year) {
        return 'part of ' + s.name + ' until 31 March ' + s.year + ": " + s.name + "'s figures cannot be divided " +
          'between the LAs that replaced it';
      }
      return '';
    }
    function rankOf(l, year, i) {
      var vals = l.values[year], v = vals[i];
      if (v == null) return null;
      var r = 1, m = 0;
      for (var j = 0; j < vals.length; j++) { if (vals[j] != null) { m++; if (vals[j] > v) r++; } }
      return {rank: r, of: m};
    }
    function spark(l, i) {  // inline SVG of the LA's value over the years, the shown year marked
      if (ykeys.length < 2) return '';
      var vals = ykeys.map(function (y) { return l.values[y][i]; });
      var ok = vals.filter(function (v) { return v != null; });
      if (!ok.length) return '';
      var lo = Math.min.apply(null, ok), hi = Math.max.apply(null, ok), w = 96, h = 22;
      var x = function (k) { return 2 + k * (w - 4) / (ykeys.length - 1); };
      var yv = function (v) { return hi === lo ? h / 2 : h - 2 - (v - lo) * (h - 4) / (hi - lo); };
      var d = '', pen = false;
      vals.forEach(function (v, k) {
        if (v == null) { pen = false; return; }
        d += (pen ? 'L' : 'M') + x(k).toFixed(1) + ' ' + yv(v).toFixed(1); pen = true;
      });
      var k = ykeys.indexOf(state.year), cur = vals[k];
      var dot = cur == null ? '' : '<circle cx="' + x(k).toFixed(1) + '" cy="' + yv(cur).toFixed(1) + '" r="2.5" fill="#b2182b"/>';
      return '<svg class="ffh-spark" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h +
        '" preserveAspectRatio="none" role="img" aria-label="' +
        esc(l.label + ', ' + ykeys[0] + ' to ' + ykeys[ykeys.length - 1] + ': ' +
            vals.map(function (v) { return fmt(l.fmt, v); }).join(', ')) + '"><path d="' + d +
        '" fill="none" stroke="#555" stroke-width="1.3"/>' + dot + '</svg>';
    }
    function lisaText(i) {
      var key = D.lisa.keys[i], name = D.lisa.names[key];
      var iv = D.lisa.i ? D.lisa.i[i] : null, pv = D.lisa.p ? D.lisa.p[i] : null;
      if (key === 'nn' || key === 'nd') return name;
      var stats = iv != null ? "local Moran's I = " + iv.toFixed(3) + (pv != null ? ', p = ' + pv.toFixed(3) : '') : '';
      if (key === 'ns') return stats ? 'Not significant (' + stats + ')' : name;
      return name + (stats ? ' (' + stats + ')' : '');
    }
    function tip(i) {
      var h = '<b>' + esc(D.names[i]) + '</b><br>';
      if (isLisa()) {
        h += esc(D.lisa.label) + ': ' + esc(lisaText(i));
      } else {
        var l = byLabel[state.layer], v = l.values[state.year][i], r = rankOf(l, state.year, i);
        var why = v == null ? whyMissing(i) : '';
        h += esc(l.label) + (D.years.length ? ' (' + state.year + ')' : '') + ': <b>' + esc(fmt(l.fmt, v)) + '</b>' +
          (why ? ' <i>(' + esc(why) + ')</i>' : '') + '<br>' +
          'Rank (1 = highest): ' + (r ? r.rank + ' of ' + r.of : 'no data') + '<br>' + spark(l, i);
      }
      return h + '<br>Region: ' + esc(D.regions[i]);
    }
    var baseStyle = {fillOpacity: 1, color: '#ffffff', weight: 0.6, className: 'ffh-la'};
    var geo = L.geoJSON(D.geo, {
      style: function () { return baseStyle; },
      onEachFeature: function (f, layer) {
        var i = idx[f.properties.la_code];
        paths[i] = layer;
        layer.bindTooltip(function () { return tip(i); }, {sticky: true});
        layer.on('mouseover', function () { if (state.sel !== i) layer.setStyle({weight: 2.5, color: '#000000'}); });
        layer.on('mouseout', function () { if (state.sel !== i) layer.setStyle({weight: 0.6, color: '#ffffff'}); });
        layer.on('click', function () { select(i); });
      }
    }).addTo(map);
    function restyle() {
      paths.forEach(function (p, i) { p.setStyle({fillColor: fill(i)}); });
      if (state.sel != null) panel();
      chrome.redraw();
      chrome.refresh();
      heading();
    }
    // the legend follows the layer and the year (each year is classed on its own values)
    chrome.legendHtml = function (name) {
      var l = byLabel[name];
      return l && l.legends[state.year] ? l.legends[state.year] : null;
    };
    // the title box and the exported picture say the year shown
    var titleBox = map.getContainer().querySelector('.ffh-title');
    var view = document.createElement('div'); view.className = 'ffh-view';
    var h1 = titleBox && titleBox.querySelector('h1');
    if (h1) h1.parentNode.insertBefore(view, h1.nextSibling);
    var subNotes = titleBox ? Array.prototype.filter.call(titleBox.querySelectorAll('.ffh-note'), function (e) {
      return D.year != null && e.textContent.indexOf('31 March ' + D.year) >= 0; }) : [];
    var subTexts = subNotes.map(function (e) { return e.textContent; });
    function yearText(t) { return D.year == null ? t : t.split('31 March ' + D.year).join('31 March ' + state.year); }
    chrome.subtitle = function (s) { return yearText(s); };
    function heading() {
      view.textContent = state.layer + (D.years.length ? ', 31 March ' + (isLisa() ? D.year : state.year) : '');
      subNotes.forEach(function (e, k) { e.textContent = yearText(subTexts[k]); });
    }

    // the layer switcher: one radio per measure, all colouring the one set of polygons
    var bases = {};
    D.layers.map(function (l) { return l.label; }).concat(D.lisa ? [D.lisa.label] : []).forEach(function (name) {
      bases[name] = L.layerGroup(); chrome.control.addBaseLayer(bases[name], name);
    });
    bases[state.layer].addTo(map);
    map.on('baselayerchange', function (e) { if (bases[e.name]) { state.layer = e.name; setYears(); restyle(); } });

    // search and year controls, first in the tools box
    var slot = chrome.slot;
    var opts = D.codes.map(function (c, i) { return '<option value="' + esc(D.names[i]) + '">' + esc(c) +
      (D.dfe[i] ? ' · ' + esc(D.dfe[i]) : '') + '</option>'; }).join('');
    slot.innerHTML = '<label>Find an LA (name, ONS code or DfE number)<input type="search" class="ffh-search" ' +
      'list="ffh-la-list" placeholder="e.g. Stockport, 356, E08000007" autocomplete="off"></label>' +
      '<datalist id="ffh-la-list">' + opts + '</datalist><div class="ffh-note ffh-status" role="status" aria-live="polite"></div>' +
      (ykeys.length > 1 ? '<label>Year (31 March): <b class="ffh-year-label">' + state.year + '</b><input type="range" ' +
        'class="ffh-year" min="0" max="' + (ykeys.length - 1) + '" step="1" value="' + ykeys.indexOf(state.year) +
        '" aria-valuetext="' + state.year + '"></label><div class="ffh-note ffh-years" role="status"></div>' : '');
    var search = slot.querySelector('.ffh-search'), status = slot.querySelector('.ffh-status');
    var range = slot.querySelector('.ffh-year'), yearsNote = slot.querySelector('.ffh-years');
    var shownYears = ykeys;
    function span(list) {  // "2016–2025" or "2014, 2016–2025"
      var out = [], a = 0;
      for (var k = 1; k <= list.length; k++) {
        if (k === list.length || Number(list[k]) !== Number(list[k - 1]) + 1) {
          out.push(a === k - 1 ? list[a] : list[a] + '–' + list[k - 1]); a = k;
        }
      }
      return out.join(', ');
    }
    function setYears() {  // the slider steps over the shown layer's years only; a year without data says why
      shownYears = layerYears();
      var said = '';
      if (shownYears.indexOf(state.year) < 0) {
        var want = Number(state.year), best = shownYears[0];
        shownYears.forEach(function (y) { if (Math.abs(Number(y) - want) < Math.abs(Number(best) - want)) best = y; });
        var l = byLabel[state.layer], why = l && l.why ? l.why[state.year] : '';
        said = 'No ' + state.layer + ' for ' + state.year + (why ? ' (' + why + ')' : '') + ': showing ' + best + '. ';
        state.year = best;
      }
      if (!range) return;
      range.max = String(Math.max(shownYears.length - 1, 0));
      range.value = String(shownYears.indexOf(state.year));
      range.disabled = shownYears.length < 2;
      range.setAttribute('aria-valuetext', state.year);
      slot.querySelector('.ffh-year-label').textContent = state.year;
      var missing = ykeys.filter(function (y) { return shownYears.indexOf(y) < 0; });
      var l2 = byLabel[state.layer];
      yearsNote.textContent = said + (isLisa() ? 'The LISA layer is for ' + D.year + ' only.' :
        state.layer + ': ' + span(shownYears) + (missing.length ? '; no data for ' + span(missing) +
        (l2 && l2.why && l2.why[missing[0]] ? ' (' + l2.why[missing[0]] + ')' : '') : '') + '.');
    }
    if (range) {
      var onYear = function () {
        state.year = shownYears[Number(range.value)];
        range.setAttribute('aria-valuetext', state.year);
        slot.querySelector('.ffh-year-label').textContent = state.year;
        setYears();
        restyle();
      };
      range.addEventListener('input', onYear); range.addEventListener('change', onYear);
    }
    function find(q) {
      var t = String(q || '').trim();
      if (!t) return -1;
      var up = t.toUpperCase();
      if (idx[up] != null) return idx[up];
      var i;
      for (i = 0; i < n; i++) { if (D.dfe[i] && D.dfe[i] === t) return i; }
      var k = norm(t), starts = -1, within = -1;
      for (i = 0; i < n; i++) {
        var nm = norm(D.names[i]);
        if (nm === k) return i;
        if (starts < 0 && nm.indexOf(k) === 0) starts = i;
        if (within < 0 && nm.indexOf(k) >= 0) within = i;
      }
      return starts >= 0 ? starts : within;
    }
    function former(q) {  // an LA that no longer exists (Cumbria): the LAs that replaced it
      var k = norm(q);
      if (!k) return null;
      return (D.former || []).filter(function (f) { return norm(f.name) === k || f.code === q.trim().toUpperCase() ||
        (k.length >= 4 && norm(f.name).indexOf(k) === 0); })[0] || null;
    }
    function go() {
      var f = former(search.value), i = f ? -1 : find(search.value);
      if (f) {
        var to = f.to.map(function (c) { return D.names[idx[c]]; });
        status.innerHTML = esc(f.name) + ' was replaced on 1 April ' + f.year + ' by ' + to.map(function (t, k) {
          return '<a href="#la=' + f.to[k] + '" class="ffh-goto">' + esc(t) + '</a>'; }).join(' and ') + '.';
        select(idx[f.to[0]]);
        return;
      }
      if (i < 0) { status.textContent = search.value ? 'No LA matches "' + search.value + '"' : ''; return; }
      status.textContent = ''; select(i);
    }
    search.addEventListener('change', go);
    search.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); go(); } });

    // the panel of one LA
    // on a wide screen the panel goes under the layer list (the right column holds the tools and legend)
    var wide = map.getContainer().getBoundingClientRect().width > 600;
    var box = L.control({position: wide ? 'topleft' : 'topright'});
    box.onAdd = function () {
      var d = L.DomUtil.create('div', 'ffh-box ffh-panel ffh-lapanel'); d.style.display = 'none';
      d.setAttribute('role', 'region'); d.setAttribute('aria-label', 'Selected local authority');
      L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d); return d;
    };
    box.addTo(map);
    var panelDiv = box.getContainer();
    function panel() {
      var i = state.sel, y = state.year, region = D.regions[i];
      var h = '<button type="button" class="ffh-close" tabindex="-1" aria-keyshortcuts="Escape" ' +
        'aria-label="Close the panel (Esc)" title="Close (Esc)">×</button><b style="font-size:14px">' +
        esc(D.names[i]) + '</b><div class="ffh-note">ONS ' + esc(D.codes[i]) + (D.dfe[i] ? ' · DfE LA ' + esc(D.dfe[i]) : '') +
        ' · ' + esc(region) + '</div><table><thead><tr><th>Measure</th><th>' + (D.years.length ? y : 'Value') +
        '</th><th>Rank</th><th>' + esc(region) + (D.year ? ' (' + D.year + ')' : '') + '</th>' +
        (ykeys.length > 1 ? '<th class="ffh-spark-col">' + ykeys[0] + '–' + ykeys[ykeys.length - 1] + '</th>' : '') + '</tr></thead><tbody>';
      D.layers.forEach(function (l) {
        var r = rankOf(l, y, i), rv = l.region[region];
        h += '<tr><td>' + esc(l.label) + (ykeys.length > 1 ? '<div class="ffh-spark-inline">' + spark(l, i) + '</div>' : '') +
          '</td><td class="num"' + (l.values[y][i] == null && whyMissing(i) ? ' title="' + esc(whyMissing(i)) + '"' : '') +
          '>' + esc(fmt(l.fmt, l.values[y][i])) + '</td><td class="num">' +
          (r ? r.rank + ' of ' + r.of : '–') + '</td><td class="num">' + (rv == null ? '–' : esc(fmt(l.fmt, rv))) + '</td>' +
          (ykeys.length > 1 ? '<td class="ffh-spark-col">' + spark(l, i) + '</td>' : '') + '</tr>';
      });
      h += '</tbody></table>';
      if (whyMissing(i)) h += '<div class="ffh-note">No data for ' + esc(y) + ': ' + esc(whyMissing(i)) + '.</div>';
      if (D.lisa) h += '<div>' + esc(D.lisa.label) + (D.year ? ' (' + D.year + ')' : '') + ': ' + esc(lisaText(i)) + '</div>';
      if (D.neighbours && D.neighbours[D.codes[i]]) {
        h += '<div>Statistical neighbours: ' + D.neighbours[D.codes[i]].map(function (c) {
          return esc(idx[c] != null ? D.names[idx[c]] : c); }).join(', ') + '</div>';
      } else {
        h += '<div class="ffh-note">' + esc(D.neighbours_note) + '</div>';
      }
      panelDiv.innerHTML = h; panelDiv.style.display = 'block';
      panelDiv.querySelector('.ffh-close').addEventListener('click', function () { select(null); });
      fit();
    }
    // a phone has room for the table or the panel, not both: opening one closes the other
    var details = chrome.tools.querySelector('.ffh-table');
    details.addEventListener('toggle', function () { if (!wide && details.open && state.sel != null) select(null); });
    function fit() {
      if (panelDiv.style.display === 'none') return;
      if (!wide) { chrome.fitAbove(panelDiv); return; }
      var c = map.getContainer().getBoundingClientRect(), scale = map.getContainer().querySelector('.leaflet-bottom.leaflet-left');
      var bottom = scale ? scale.getBoundingClientRect().top : c.bottom - 40;
      panelDiv.style.maxHeight = Math.max(bottom - panelDiv.getBoundingClientRect().top - 10, 80) + 'px';
    }
    chrome.onFit = fit;
    function select(i, quiet) {
      if (state.sel != null) paths[state.sel].setStyle({weight: 0.6, color: '#ffffff'});
      state.sel = i;
      if (i == null) {
        panelDiv.style.display = 'none';
        if (window.history && history.replaceState) history.replaceState(null, '', location.pathname + location.search);
        return;
      }
      var p = paths[i];
      p.setStyle({weight: 3, color: '#000000'}); p.bringToFront(); chrome.outlinesOnTop();
      if (!wide && details.open) details.open = false;
      panel();
      map.fitBounds(p.getBounds(), pad());
      if (!quiet && window.history && history.replaceState) history.replaceState(null, '', '#la=' + D.codes[i]);
    }
    function pad() {  // keep the LA clear of the control columns on either side
      var c = map.getContainer(), box = c.getBoundingClientRect();
      var right = c.querySelector('.leaflet-top.leaflet-right'), left = c.querySelector('.leaflet-top.leaflet-left');
      var rw = right ? right.getBoundingClientRect().width + 10 : 40;
      var lr = left ? left.getBoundingClientRect() : {width: 0, bottom: box.top};
      var narrow = box.width - rw - lr.width < 200;  // a phone: put the LA below the layer list instead
      return {maxZoom: 9, paddingTopLeft: narrow ? [10, lr.bottom - box.top + 10] : [lr.width + 10, 20],
              paddingBottomRight: [rw, 60]};
    }
    function fromHash() {
      var m = /(?:^#|&)la=([^&]+)/.exec(location.hash);
      if (!m) return;
      var i = find(decodeURIComponent(m[1]));
      if (i >= 0) { search.value = D.names[i]; select(i, true); }
    }
    window.addEventListener('hashchange', fromHash);
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && state.sel != null) select(null); });

    // the table behind the view (the chrome's CSV and table use it)
    chrome.provider = function () {
      var base = [{key: 'code', label: 'LA code'}, {key: 'name', label: 'Local authority'},
                  {key: 'dfe', label: 'DfE LA number'}, {key: 'region', label: 'Region'}];
      var rows = D.codes.map(function (c, i) { return {i: i, code: c, name: D.names[i], dfe: D.dfe[i], region: D.regions[i]}; });
      if (isLisa()) {
        rows.forEach(function (r) {
          r.cluster = D.lisa.names[D.lisa.keys[r.i]];
          r.lisa_i = D.lisa.i ? D.lisa.i[r.i] : null; r.lisa_p = D.lisa.p ? D.lisa.p[r.i] : null;
        });
        return {title: D.lisa.label + (D.year ? ', ' + D.year : ''), note: 'permutation p < 0.05',
                columns: base.concat([{key: 'cluster', label: 'Cluster'}, {key: 'lisa_i', label: "Local Moran's I", num: true},
                                      {key: 'lisa_p', label: 'p-value', num: true}]), rows: rows};
      }
      var l = byLabel[state.layer], y = state.year, total = 0, missing = 0;
      rows.forEach(function (r) {
        r.value = l.values[y][r.i]; var k = rankOf(l, y, r.i); r.rank = k ? k.rank : null;
        if (r.value == null) missing++; else total += r.value;
      });
      var t = {title: l.label + (D.years.length ? ', 31 March ' + y : ''), note: l.note + '; blank = not published or suppressed',
               columns: base.concat([{key: 'value', label: l.label, num: true, text: function (r) { return fmt(l.fmt, r.value); },
                                      raw: function (r) { return r.value == null ? '' : r.value; }},
                                     {key: 'rank', label: 'Rank (1 = highest)', num: true}]), rows: rows};
      if (l.total) {
        t.total = {label: 'England (sum of ' + (n - missing) + ' LAs' + (missing ? '; ' + missing + ' without data' : '') + ')',
                   value: fmt(l.fmt, total)};
      }
      return t;
    };
    chrome.caption = function () { return state.layer + (D.years.length && !isLisa() ? ', 31 March ' + state.year : ''); };
    setYears();
    restyle();
    chrome.outlinesOnTop();
    fromHash();
    map._ffhSupply = {state: state, find: find, select: select, fill: fill, paths: paths, codes: D.codes};
  };
})();
