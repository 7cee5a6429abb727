/* farfromhome map chrome: title box, legends, tools (CSV, PNG, table of the view), keyboard and phone layout.
   Dependency-free; needs only Leaflet. window.ffhChrome(map, options) returns an API the supply map extends. */
(function () {
  'use strict';
  var SKIP = {fill: 1, colour: 1, weight: 1, dash: 1, index: 1, counted: 1};
  var LABELS = {la_code: 'LA code', la_name: 'Local authority', region_name: 'Region', from: 'Home LA',
                to: 'Placed in', children: 'Children', type: 'Placement type', value: 'Value', rank: 'Rank',
                label: 'Label', cluster: 'Cluster', region_children: 'Children in its region',
                band: 'Distance band', arc: 'Arc'};

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function csvCell(v) {  // as geo.csvsafe: text that a spreadsheet would run as a formula gets a leading '
    var s = v == null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^-$/.test(s)) s = "'" + s;
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function slug(s) { return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, ''); }
  function download(name, blob) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob); a.download = name; document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  window.ffhEsc = esc;

  window.ffhChrome = function (map, o) {
    var api = {map: map, control: o.control, provider: null, active: {}};
    map.attributionControl.setPrefix('Leaflet');  // plain text, not a link: one Tab stop fewer
    map.attributionControl.addAttribution(o.attribution);
    var phone = window.matchMedia && window.matchMedia('(max-width: 600px)').matches;

    var info = L.control({position: 'topright'});
    info.onAdd = function () {
      var d = L.DomUtil.create('div', 'ffh-box ffh-title' + (phone ? ' ffh-collapsed' : ''));
      d.innerHTML = '<button type="button" class="ffh-toggle" aria-expanded="' + !phone + '">' +
        (phone ? 'More' : 'Less') + '</button>' + o.heading + '<div class="ffh-info-body">' + o.info + '</div>';
      var b = d.querySelector('.ffh-toggle');
      L.DomEvent.on(b, 'click', function () {
        var shut = L.DomUtil.hasClass(d, 'ffh-collapsed');
        (shut ? L.DomUtil.removeClass : L.DomUtil.addClass)(d, 'ffh-collapsed');
        b.textContent = shut ? 'Less' : 'More'; b.setAttribute('aria-expanded', String(shut));
      });
      L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    info.addTo(map);

    var tools = L.control({position: 'topright'});
    tools.onAdd = function () {
      var d = L.DomUtil.create('div', 'ffh-box ffh-tools');
      d.innerHTML = '<div class="ffh-slot"></div><div><button type="button" class="ffh-csv">Download CSV</button>' +
        '<button type="button" class="ffh-png">Export PNG</button></div>' +
        '<details class="ffh-table"><summary>Table of this view</summary><div class="ffh-table-body"></div></details>';
      L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    tools.addTo(map);
    api.tools = tools.getContainer();
    api.slot = api.tools.querySelector('.ffh-slot');

    var legend = L.control({position: 'bottomright'});
    legend.onAdd = function () {
      var d = L.DomUtil.create('div', 'ffh-box ffh-legend');
      L.DomEvent.disableScrollPropagation(d); return d;
    };
    legend.addTo(map);
    var legendDiv = legend.getContainer();
    o.initial.forEach(function (n) { api.active[n] = true; });

    api.redraw = function () {
      var h = '';
      for (var k in o.legends) { if (api.active[k]) h += (api.legendHtml && api.legendHtml(k)) || o.legends[k]; }
      legendDiv.innerHTML = h; legendDiv.style.display = h ? 'block' : 'none';
      if (api.fit) api.fit();
    };
    api.activeBase = function () {
      for (var i = 0; i < o.bases.length; i++) { if (api.active[o.bases[i]]) return o.bases[i]; }
      return o.bases[0] || '';
    };
    api.outlinesOnTop = function () {  // region outlines stay above the LA fills whatever was switched
      map.eachLayer(function (l) {
        if (l instanceof L.Path && l._path && L.DomUtil.hasClass(l._path, 'ffh-region')) l.bringToFront();
      });
    };
    api.table = function () { return (api.provider || defaultTable)(); };
    api.refresh = function () {
      var body = api.tools.querySelector('.ffh-table-body');
      if (body.parentNode.open) body.innerHTML = tableHtml(api.table());
    };
    api.fitAbove = function (el, share) {  // el ends above the legend (and scrolls inside), whatever the window
      if (!el || !el.offsetParent) return;
      var c = map.getContainer().getBoundingClientRect();
      var bottom = legendDiv.offsetHeight ? legendDiv.getBoundingClientRect().top : c.bottom - 40;
      var room = bottom - el.getBoundingClientRect().top - 14;
      el.style.maxHeight = Math.max(share ? Math.min(room, share * c.height) : room, 60) + 'px';
    };
    api.fit = function () {
      api.fitAbove(api.tools.querySelector('.ffh-table-body'), api.onFit && phone ? 0.3 : 0);  // room for a phone's LA panel
      if (api.onFit) api.onFit();
    };
    api.tools.querySelector('.ffh-table').addEventListener('toggle', function () { api.refresh(); api.fit(); });
    window.addEventListener('resize', function () { api.fit(); });

    map.on('baselayerchange', function (e) {
      o.bases.forEach(function (n) { api.active[n] = false; });
      api.active[e.name] = true; api.redraw(); api.outlinesOnTop(); api.refresh();
    });
    map.on('overlayadd', function (e) { api.active[e.name] = true; api.redraw(); api.outlinesOnTop(); api.refresh(); });
    map.on('overlayremove', function (e) { api.active[e.name] = false; api.redraw(); api.refresh(); });
    api.redraw();

    function activeLayers() {
      var out = [];
      (o.control ? o.control._layers : []).forEach(function (c) {
        if (!map.hasLayer(c.layer)) return;
        var stack = [c.layer];
        while (stack.length) {
          var l = stack.pop();
          if (l instanceof L.GeoJSON) out.push(l);
          else if (l instanceof L.LayerGroup) l.eachLayer(function (x) { stack.push(x); });
        }
      });
      return out;
    }
    function defaultTable() {  // the active layers' feature properties, one row per distinct feature
      var rows = [], cols = [], seen = {};
      activeLayers().forEach(function (g) {
        if (g.options.interactive === false) return;
        g.eachLayer(function (f) {
          var p = f.feature && f.feature.properties; if (!p) return;
          var r = {};
          Object.keys(p).forEach(function (k) {
            if (SKIP[k] || typeof p[k] === 'object') return;
            r[k] = p[k]; if (cols.indexOf(k) < 0) cols.push(k);
          });
          var key = JSON.stringify(r);
          if (!seen[key] && Object.keys(r).length) { seen[key] = 1; rows.push(r); }
        });
      });
      return {title: api.activeBase() || o.title, note: 'as shown on the map (suppressed as published)',
              columns: cols.map(function (c) { return {key: c, label: LABELS[c] || c}; }), rows: rows};
    }
    function cellText(c, r) { return c.text ? c.text(r) : r[c.key]; }
    function tableHtml(t) {
      var h = '<div class="ffh-note">' + esc(t.title) + (t.note ? ' · ' + esc(t.note) : '') + '</div><table><thead><tr>' +
        t.columns.map(function (c) { return '<th class="' + (c.num ? 'num' : '') + '">' + esc(c.label) + '</th>'; }).join('') +
        '</tr></thead><tbody>';
      t.rows.forEach(function (r) {
        h += '<tr>' + t.columns.map(function (c) {
          return '<td class="' + (c.num ? 'num' : '') + '">' + esc(cellText(c, r)) + '</td>';
        }).join('') + '</tr>';
      });
      h += '</tbody>';
      if (t.total) {
        h += '<tfoot><tr>' + t.columns.map(function (c, i) {
          return '<td class="' + (c.num ? 'num' : '') + '">' + esc(i === 0 ? t.total.label : (t.total[c.key] || '')) + '</td>';
        }).join('') + '</tr></tfoot>';
      }
      return h + '</table>';
    }
    api.csv = function () {
      var t = api.table();
      var lines = [t.columns.map(function (c) { return csvCell(c.label); }).join(',')];
      t.rows.forEach(function (r) {
        lines.push(t.columns.map(function (c) { return csvCell(c.raw ? c.raw(r) : r[c.key]); }).join(','));
      });
      lines.push('');
      lines.push(csvCell('Source: ' + o.attribution));
      if (t.note) lines.push(csvCell(t.note));
      return {name: slug(o.title + ' ' + t.title) + '.csv', text: lines.join('\r\n') + '\r\n'};
    };
    L.DomEvent.on(api.tools.querySelector('.ffh-csv'), 'click', function () {
      var c = api.csv(); download(c.name, new Blob(['\ufeff' + c.text], {type: 'text/csv;charset=utf-8'}));
    });
    api.pngName = function () {
      var caption = api.caption ? api.caption() : api.activeBase();
      return slug(o.title + ' ' + caption) + '.png';
    };
    L.DomEvent.on(api.tools.querySelector('.ffh-png'), 'click', function () {
      api.png(function (blob) { download(api.pngName(), blob); });
    });

    function wrap(ctx, text, width) {  // lines of text no wider than width (in the context's current font)
      var words = String(text).split(/\s+/), lines = [], line = '';
      words.forEach(function (w) {
        var t = line ? line + ' ' + w : w;
        if (line && ctx.measureText(t).width > width) { lines.push(line); line = w; } else { line = t; }
      });
      if (line) lines.push(line);
      return lines;
    }
    function niceLength(m) {  // the largest 1, 2 or 5 × 10^n metres not above m
      var p = Math.pow(10, Math.floor(Math.log(m) / Math.LN10)), f = m / p;
      return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
    }
    // PNG of the view without libraries: a title band, the map's SVG drawn unobstructed, the legend beside it and
    // a footer with a scale bar and the attribution, so no title, legend or control hides part of the map
    api.png = function (done) {
      var size = map.getSize(), scale = 2, box = map.getContainer().getBoundingClientRect(), pad = 10;
      var caption = api.caption ? api.caption() : api.activeBase();
      var subtitle = api.subtitle ? api.subtitle(o.subtitle || '') : (o.subtitle || '');
      var rows = Array.prototype.slice.call(legendDiv.querySelectorAll('.ffh-legend-block > b, .ffh-legend-block > div'))
        .filter(function (r) { return r.textContent.trim() && r.offsetParent !== null || r.tagName === 'B'; });
      var probe = document.createElement('canvas').getContext('2d');
      probe.font = '11px system-ui, Arial, sans-serif';
      var legendW = 0;
      rows.forEach(function (r) { legendW = Math.max(legendW, Math.min(probe.measureText(r.textContent).width + 30, 260)); });
      legendW = rows.length ? legendW + 2 * pad : 0;
      var width = size.x + legendW;
      probe.font = 'bold 16px system-ui, Arial, sans-serif';
      var titleLines = wrap(probe, o.title + (caption ? ' — ' + caption : ''), width - 2 * pad - 8);
      probe.font = '11px system-ui, Arial, sans-serif';
      var subLines = subtitle ? wrap(probe, subtitle, width - 2 * pad - 8) : [];
      var legendLines = [];
      rows.forEach(function (r) {
        var lines = wrap(probe, r.textContent, legendW - 2 * pad - (r.querySelector && r.querySelector('i, span') ? 22 : 0));
        legendLines.push({row: r, lines: lines});
      });
      probe.font = '10px system-ui, Arial, sans-serif';
      var attrLines = wrap(probe, o.attribution, width - 2 * pad);
      var headH = pad + titleLines.length * 20 + subLines.length * 14 + pad;
      var footH = 34 + attrLines.length * 13 + pad;
      var legendH = legendLines.reduce(function (a, l) { return a + Math.max(l.lines.length * 14, 15); }, 0) + 2 * pad;
      var bodyH = Math.max(size.y, legendH);
      var canvas = document.createElement('canvas');
      canvas.width = width * scale; canvas.height = (headH + bodyH + footH) * scale;
      var ctx = canvas.getContext('2d');
      ctx.scale(scale, scale); ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, width, headH + bodyH + footH);
      var svgs = Array.prototype.slice.call(map.getContainer().querySelectorAll('.leaflet-pane svg, .leaflet-pane img.leaflet-image-layer'));
      var i = 0;
      ctx.save(); ctx.beginPath(); ctx.rect(0, headH, size.x, size.y); ctx.clip();
      function next() {
        if (i >= svgs.length) { ctx.restore(); overlay(); canvas.toBlob(done, 'image/png'); return; }
        var el = svgs[i++], r = el.getBoundingClientRect();
        var img = new Image();
        img.onload = function () { ctx.drawImage(img, r.left - box.left, headH + r.top - box.top, r.width, r.height); next(); };
        img.onerror = next;
        if (el.tagName.toLowerCase() === 'img') { img.src = el.src; return; }
        var copy = el.cloneNode(true);
        copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
        copy.setAttribute('width', r.width); copy.setAttribute('height', r.height);
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(copy));
      }
      function overlay() {
        ctx.textBaseline = 'top'; ctx.fillStyle = '#222';
        var y = pad;
        ctx.font = 'bold 16px system-ui, Arial, sans-serif';
        titleLines.forEach(function (t) { ctx.fillText(t, pad, y); y += 20; });
        ctx.font = '11px system-ui, Arial, sans-serif';
        ctx.fillStyle = /SYNTHETIC/i.test(subtitle) ? '#b30000' : '#444';
        subLines.forEach(function (t) { ctx.fillText(t, pad, y); y += 14; });
        ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
        ctx.strokeRect(0.5, headH + 0.5, size.x - 1, size.y - 1);
        var ly = headH + pad, lx = size.x + pad;
        legendLines.forEach(function (l) {
          var sw = l.row.querySelector && l.row.querySelector('i, span');
          ctx.fillStyle = '#222';
          ctx.font = (l.row.tagName === 'B' ? 'bold ' : '') + '11px system-ui, Arial, sans-serif';
          if (sw) {
            var st = window.getComputedStyle(sw);
            ctx.fillStyle = st.backgroundColor && st.backgroundColor !== 'rgba(0, 0, 0, 0)' ? st.backgroundColor : st.borderTopColor;
            var sh = sw.tagName === 'SPAN' ? Math.max(Math.min(sw.offsetHeight, 10), 1.5) : 10;
            ctx.fillRect(lx, ly + 6 - sh / 2, 16, sh); ctx.fillStyle = '#222';
          }
          l.lines.forEach(function (t, k) { ctx.fillText(t, lx + (sw ? 22 : 0), ly + k * 14); });
          ly += Math.max(l.lines.length * 14, 15);
        });
        // scale bar: metres per pixel across the middle of the view
        var mid = size.y / 2, a = map.containerPointToLatLng([0, mid]), b2 = map.containerPointToLatLng([100, mid]);
        var mpp = a.distanceTo(b2) / 100, metres = niceLength(mpp * Math.min(160, size.x / 3)), px = metres / mpp;
        var sy = headH + bodyH + 10;
        ctx.fillStyle = '#222'; ctx.fillRect(pad, sy + 8, px / 2, 5);
        ctx.strokeStyle = '#222'; ctx.strokeRect(pad + 0.5, sy + 8.5, px - 1, 5);
        ctx.font = '10px system-ui, Arial, sans-serif'; ctx.textBaseline = 'top';
        ctx.fillText('0', pad, sy - 3);
        ctx.fillText((metres >= 1000 ? (metres / 1000) + ' km' : metres + ' m') + ' (' +
          (metres / 1609.344).toFixed(metres / 1609.344 >= 10 ? 0 : 1) + ' miles)', pad + px + 6, sy + 5);
        ctx.fillStyle = '#444';
        attrLines.forEach(function (t, k) { ctx.fillText(t, pad, headH + bodyH + 28 + k * 13); });
        api.lastPng = {width: width, height: headH + bodyH + footH, headH: headH, titleLines: titleLines.length,
                       titleWidth: Math.max.apply(null, titleLines.map(function (t) {
                         ctx.font = 'bold 16px system-ui, Arial, sans-serif'; return ctx.measureText(t).width; })),
                       subtitle: subLines.join(' '), title: titleLines.join(' '), scaleMetres: metres,
                       legendRows: legendLines.length, mapTop: headH, mapHeight: size.y};
      }
      next();
    };

    // the polygons are not Tab stops (153 of them would bury the controls): the LA search and the table are
    // the keyboard way in; a polygon focused by a click is outlined like one under the mouse
    function untab(l) {
      if (!(l instanceof L.Path) || !l._path) return;
      l._path.setAttribute('tabindex', '-1');
      l._path.addEventListener('focus', function () { L.DomUtil.addClass(l._path, 'ffh-focus'); });
      l._path.addEventListener('blur', function () { L.DomUtil.removeClass(l._path, 'ffh-focus'); });
    }
    map.eachLayer(untab);
    map.on('layeradd', function (e) { untab(e.layer); });

    window.addEventListener('beforeprint', function () { map.invalidateSize(); });
    window.addEventListener('afterprint', function () { map.invalidateSize(); });
    return api;
  };
})();
