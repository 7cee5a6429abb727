/* farfromhome map chrome: title box, legends, tools (CSV, PNG, table of the view), keyboard and phone layout.
   Dependency-free; needs only Leaflet. window.ffhChrome(map, options) returns an API the supply map extends. */
(function () {
  'use strict';
  var SKIP = {fill: 1, colour: 1, weight: 1, dash: 1, index: 1};
  var LABELS = {la_code: 'LA code', la_name: 'Local authority', region_name: 'Region', from: 'Home LA',
                to: 'Placed in', children: 'Children', type: 'Placement type', value: 'Value', rank: 'Rank',
                label: 'Label', cluster: 'Cluster'};

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
      for (var k in o.legends) { if (api.active[k]) h += o.legends[k]; }
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
    L.DomEvent.on(api.tools.querySelector('.ffh-png'), 'click', function () {
      api.png(function (blob) { download(slug(o.title + ' ' + api.activeBase()) + '.png', blob); });
    });

    // PNG of the view without libraries: the SVG overlay drawn on a canvas, then the title, legend and attribution
    api.png = function (done) {
      var size = map.getSize(), scale = 2, box = map.getContainer().getBoundingClientRect();
      var canvas = document.createElement('canvas');
      canvas.width = size.x * scale; canvas.height = size.y * scale;
      var ctx = canvas.getContext('2d');
      ctx.scale(scale, scale); ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, size.x, size.y);
      var svgs = Array.prototype.slice.call(map.getContainer().querySelectorAll('.leaflet-pane svg'));
      var i = 0;
      function next() {
        if (i >= svgs.length) { overlay(); canvas.toBlob(done, 'image/png'); return; }
        var svg = svgs[i++], r = svg.getBoundingClientRect();
        var copy = svg.cloneNode(true);
        copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
        copy.setAttribute('width', r.width); copy.setAttribute('height', r.height);
        var img = new Image();
        img.onload = function () { ctx.drawImage(img, r.left - box.left, r.top - box.top, r.width, r.height); next(); };
        img.onerror = next;
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(copy));
      }
      function overlay() {
        ctx.textBaseline = 'top'; ctx.font = 'bold 15px system-ui, Arial, sans-serif'; ctx.fillStyle = '#222';
        var y = 8;
        var caption = api.caption ? api.caption() : api.activeBase();
        ctx.fillStyle = 'rgba(255,255,255,0.85)'; ctx.fillRect(4, 4, Math.min(size.x - 8, 620), o.subtitle ? 38 : 24);
        ctx.fillStyle = '#222';
        ctx.fillText(o.title + (caption ? ' — ' + caption : ''), 10, y); y += 20;
        ctx.font = '11px system-ui, Arial, sans-serif';
        if (o.subtitle) { ctx.fillText(o.subtitle, 10, y); y += 15; }
        var rows = legendDiv.querySelectorAll('.ffh-legend-block > div');
        var ly = size.y - 30 - rows.length * 15;
        var lw = 0;
        Array.prototype.forEach.call(rows, function (row) { lw = Math.max(lw, ctx.measureText(row.textContent).width); });
        ctx.fillStyle = 'rgba(255,255,255,0.9)'; ctx.fillRect(4, ly - 4, lw + 34, rows.length * 15 + 6);
        ctx.fillStyle = '#222';
        Array.prototype.forEach.call(rows, function (row) {
          var sw = row.querySelector('i');
          if (sw) { ctx.fillStyle = sw.style.background || '#ccc'; ctx.fillRect(10, ly, 14, 11); ctx.fillStyle = '#222'; }
          ctx.fillText(row.textContent, 30, ly); ly += 15;
        });
        ctx.fillStyle = '#444'; ctx.font = '10px system-ui, Arial, sans-serif';
        ctx.fillText(o.attribution, 10, size.y - 14);
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
