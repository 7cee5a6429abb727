"""The page every farfromhome map shares: classes, colours, display geometry, chrome and offline HTML."""

from __future__ import annotations

import base64
import html
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSION_RULE
from geo.errors import InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = ["classify", "colour_ramp", "format_value", "display_geometries", "render_html", "save_map"]

_NO_DATA = "#d9d9d9"
_LA_CLASS = "ffh-la"
_ASSETS = resources.files("maps").joinpath("assets")


def classify(values: pd.Series, *, scheme: str = "quantiles", k: int = 5,
             bins: Sequence[float] | None = None) -> tuple[pd.Series, list[float]]:
    """Class each value with mapclassify; missing values get class -1.

    Parameters
    ----------
    values
        The numbers to class (any units).
    scheme
        ``quantiles``, ``naturalbreaks`` (Fisher-Jenks, deterministic) or ``userdefined`` (needs ``bins``).
    k
        Number of classes (reduced to the number of distinct values where there are fewer).
    bins
        Upper bounds of the classes for ``userdefined``; the largest value is added when it is above the last.

    Returns
    -------
    (classes, edges)
        Integer classes indexed like ``values``; class edges (``k + 1`` numbers, the first the minimum).
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    ok = v.notna().to_numpy()
    y = v.to_numpy()[ok]
    out = pd.Series(-1, index=values.index, dtype=int)
    if not ok.any():
        return out, []
    name = scheme.lower().replace("_", "").replace(" ", "").replace("-", "")
    k = max(1, min(k, len(np.unique(y))))
    if name == "userdefined":
        if not bins:
            raise InputError("scheme 'userdefined' needs bins, e.g. --bins 5,10,20")
        b = sorted(float(x) for x in bins)
        if y.max() > b[-1]:
            b.append(float(y.max()))
        cls = mapclassify.UserDefined(y, bins=b)
    elif name == "quantiles":
        with warnings.catch_warnings():  # ties: mapclassify merges equal quantiles into fewer classes itself
            warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
            cls = mapclassify.Quantiles(y, k=k) if k > 1 else None
    elif name in {"naturalbreaks", "fisherjenks", "jenks"}:
        with warnings.catch_warnings():  # mapclassify's advice to install numba; 153 LAs need no speed-up
            warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
            cls = mapclassify.FisherJenks(y, k=k) if k > 1 else None
    else:
        raise InputError(f"unknown classification scheme {scheme!r}; expected quantiles, naturalbreaks or "
                         "userdefined")
    if cls is None:
        out.iloc[np.flatnonzero(ok)] = 0
        return out, [float(y.min()), float(y.max())]
    out.iloc[np.flatnonzero(ok)] = np.asarray(cls.yb, dtype=int)
    return out, [float(y.min()), *map(float, cls.bins)]


def display_geometries(frame: gpd.GeoDataFrame, *, tolerance_m: float = 500.0,
                       decimals: int = 5) -> gpd.GeoDataFrame:
    """Simplify polygons for display only, keeping shared edges shared, and convert to EPSG:4326.

    Uses GEOS coverage simplification (``shapely.coverage_simplify``), which simplifies each shared edge once
    so neighbouring LAs still meet exactly; then rounds coordinates to ``decimals`` (5 ≈ 1 m).

    Parameters
    ----------
    frame
        Polygons in EPSG:27700 (metres), e.g. :func:`boundaries.load_las`. Not modified.
    tolerance_m
        Simplification tolerance in metres; 0 keeps the geometry as it is.
    """
    check_bng(frame, name="boundaries to display")
    out = frame.copy()
    geoms = out.geometry.values
    if tolerance_m > 0 and len(out) and shapely.get_type_id(geoms).max() in (3, 6) and \
            shapely.get_type_id(geoms).min() in (3, 6):
        out = out.set_geometry(gpd.GeoSeries(shapely.coverage_simplify(geoms, tolerance_m), index=out.index,
                                             crs=out.crs))
    out = to_display(out)
    out = out.set_geometry(shapely.transform(out.geometry.values, lambda c: np.round(c, decimals)))
    return out


def render_html(m: folium.Map, *, inline_assets: bool = False) -> str:
    """Render a map to one HTML document; with ``inline_assets`` Leaflet's JS and CSS are embedded (no CDN).

    With ``inline_assets`` every other external script or stylesheet folium would link (jQuery, Bootstrap,
    awesome-markers: unused by these maps) is left out, so the file opens with no network at all.
    """
    text = m.get_root().render()
    if not inline_assets:
        return text
    js = _ASSETS.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = _ASSETS.joinpath("leaflet.css").read_text(encoding="utf-8")
    for img in ("layers.png", "layers-2x.png"):
        b64 = base64.b64encode(_ASSETS.joinpath(img).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{img})", f"url(data:image/png;base64,{b64})")

    def script(match: re.Match[str]) -> str:
        return f"<script>{js}</script>" if re.search(r"/leaflet(\.min)?\.js", match.group(1)) else ""

    def link(match: re.Match[str]) -> str:
        return f"<style>{css}</style>" if re.search(r"/leaflet(\.min)?\.css", match.group(1)) else ""

    text = re.sub(r'<script src="(https?://[^"]+)"></script>', script, text)
    text = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"/>', link, text)
    if re.search(r'<script src="https?://|<link rel="stylesheet" href="https?://', text):
        logger.warning("inline assets: the map still links an external file")
    return text


def save_map(m: folium.Map, path: str | Path, *, inline_assets: bool = False) -> Path:
    """Write a map as a standalone HTML file (see :func:`render_html`) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(m, inline_assets=inline_assets), encoding="utf-8")
    logger.info("wrote map %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    require_columns(frame, columns, source)


def format_value(fmt: str, v: Any) -> str:
    """Format ``v`` with a ``str.format`` pattern such as ``"{:,.0f}"``; "no data" for a missing value."""
    return "no data" if pd.isna(v) else fmt.format(v)


def colour_ramp(cmap: str, n: int) -> list[str]:
    """``n`` hex colours from a matplotlib colormap, avoiding its palest end (which reads as "no data")."""
    cm = colormaps[cmap]
    return [to_hex(cm(x)) for x in (np.linspace(0.15, 0.95, n) if n > 1 else [0.6])]


def _fill_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"fillColor": feature["properties"]["fill"], "fillOpacity": 0.8, "color": "#ffffff", "weight": 0.6,
            "className": _LA_CLASS}


def _highlight(_: Any) -> dict[str, Any]:
    return {"weight": 2.5, "color": "#000000"}


def _base_map(shown: gpd.GeoDataFrame, *, tiles: str | None) -> folium.Map:
    no_tiles = tiles is None or str(tiles).lower() == "none"
    m = folium.Map(tiles=None if no_tiles else tiles, control_scale=True, zoom_snap=0.25, prefer_canvas=False)
    minx, miny, maxx, maxy = shown.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _region_outlines(regions: gpd.GeoDataFrame, *, tolerance_m: float) -> folium.GeoJson:
    shown = display_geometries(regions[["geometry"]], tolerance_m=tolerance_m)
    return folium.GeoJson(
        shown.reset_index().to_json(), name="Region outlines", interactive=False,
        style_function=lambda _: {"fill": False, "color": "#252525", "weight": 1.6, "className": "ffh-region"},
    )


def _la_background(shown: gpd.GeoDataFrame, *, highlight: str | None) -> folium.GeoJson:
    data = shown[["la_name", "geometry"]].copy()
    data["fill"] = ["#fde0b6" if code == highlight else "#f2f2f2" for code in data.index]
    return folium.GeoJson(
        data.reset_index().to_json(), name="Local authorities", control=False, style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "fillOpacity": 1, "color": "#9e9e9e", "weight": 0.5,
            "className": _LA_CLASS},
        tooltip=folium.GeoJsonTooltip(["la_name"], aliases=["Local authority"]),
    )


def _legend_html(title: str, note: str, edges: list[float], colours: list[str], fmt: str, scheme: str, *,
                 missing: bool) -> str:
    rows = []
    for i in range(len(edges) - 1):
        rows.append((colours[i], f"{format_value(fmt, edges[i])} – {format_value(fmt, edges[i + 1])}"))
    if not rows and edges:
        rows.append((colours[0], format_value(fmt, edges[0])))
    if missing:
        rows.append((_NO_DATA, "no data"))
    sch = {"quantiles": "quantiles", "naturalbreaks": "natural breaks (Fisher-Jenks)",
           "userdefined": "user-defined bins"}.get(scheme.lower().replace("_", "").replace(" ", ""), scheme)
    return _swatch_legend(title, f"{note} · classes: {sch}" if note else f"classes: {sch}", rows)


def _swatch_legend(title: str, note: str, rows: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<div><i style="background:{c}"></i>{html.escape(t)}</div>' for c, t in rows)
    return (f'<div class="ffh-legend-block" data-layer="{html.escape(title)}"><b>{html.escape(title)}</b>'
            f'<div class="ffh-note">{html.escape(note)}</div>{items}</div>')


class _Chrome(MacroElement):
    """Title box, per-layer legends switched with the layer control, notes and attribution."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.ffh-box{background:rgba(255,255,255,.94);padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);
 font:12px/1.35 system-ui,Arial,sans-serif;max-width:340px;color:#222}
.ffh-box h1{font-size:15px;margin:0 0 2px}
.ffh-synthetic{color:#b30000;font-weight:bold}
.ffh-legend-block i{display:inline-block;width:14px;height:11px;margin-right:6px;vertical-align:middle;
 border:1px solid #999}
.ffh-note{color:#555;font-size:11px;margin:1px 0 3px}
.ffh-line{display:inline-block;width:30px;background:#b2182b;margin-right:6px;vertical-align:middle}
.ffh-dash{height:0!important;border-top:2px dashed #9e9e9e;background:none}
.ffh-bands{border-collapse:collapse;margin:3px 0}.ffh-bands td,.ffh-bands th{border:1px solid #ccc;
 padding:1px 5px;text-align:right}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function(){
  var map = {{ this._parent.get_name() }};
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.addAttribution({{ this.attribution|tojson }});
  var info = L.control({position: 'topright'});
  info.onAdd = function(){ var d = L.DomUtil.create('div', 'ffh-box ffh-title'); d.innerHTML = {{ this.info|tojson }};
    L.DomEvent.disableScrollPropagation(d); return d; };
  info.addTo(map);
  var legends = {{ this.legends|tojson }};
  var bases = {{ this.base_names|tojson }};
  var active = {};
  {{ this.initial|tojson }}.forEach(function(n){ active[n] = true; });
  var ctl = L.control({position: 'bottomright'});
  ctl.onAdd = function(){ this._div = L.DomUtil.create('div', 'ffh-box ffh-legend'); return this._div; };
  ctl.addTo(map);
  function redraw(){ var h = ''; for (var k in legends) { if (active[k]) h += legends[k]; }
    ctl._div.innerHTML = h; ctl._div.style.display = h ? 'block' : 'none'; }
  map.on('baselayerchange', function(e){ bases.forEach(function(n){ active[n] = false; });
    active[e.name] = true; redraw(); });
  map.on('overlayadd', function(e){ active[e.name] = true; redraw(); });
  map.on('overlayremove', function(e){ active[e.name] = false; redraw(); });
  redraw();
})();
{% endmacro %}
""")

    def __init__(self, *, info: str, legends: dict[str, str], base_names: list[str], initial: list[str],
                 attribution: str) -> None:
        super().__init__()
        self._name = "FarFromHomeChrome"
        self.info = info
        self.legends = legends
        self.base_names = base_names
        self.initial = initial
        self.attribution = attribution


def _finish(m: folium.Map, *, title: str, subtitle: str, legends: dict[str, str], base_names: list[str],
            initial: list[str], attribution: str, notes: Sequence[str] = (), raw_notes: int = 0) -> None:
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if subtitle:
        cls = "ffh-synthetic" if "SYNTHETIC" in subtitle.upper() else "ffh-note"
        parts.append(f'<div class="{cls}">{html.escape(subtitle)}</div>')
    for i, note in enumerate(notes):
        if note == SUPPRESSION_RULE:
            parts.append(f'<details class="ffh-note"><summary>Small counts are suppressed</summary>'
                         f'{html.escape(note)}</details>')
        else:
            parts.append(note if i < raw_notes else f'<div class="ffh-note">{html.escape(note)}</div>')
    parts.append(f'<div class="ffh-note">{html.escape(attribution)}</div>')
    folium.LayerControl(collapsed=False, position="topleft").add_to(m)
    m.add_child(_Chrome(info="".join(parts), legends=legends, base_names=base_names, initial=initial,
                        attribution=attribution))
