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

__all__ = ["classify", "layer_classes", "colour_ramp", "format_value", "display_geometries", "render_html",
           "save_map", "NO_DATA"]

NO_DATA = "#d9d9d9"
"""Fill of an area without a value (maps and figures alike)."""
_LA_CLASS = "ffh-la"
ASSETS = resources.files("maps").joinpath("assets")


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


def layer_classes(values: pd.Series, *, cmap: str, diverging: bool = False, scheme: str = "quantiles", k: int = 5,
                  bins: Sequence[float] | None = None) -> tuple[pd.Series, list[float], list[str]]:
    """Classes, edges and colours of one measure: the one classification of the interactive maps and the figures.

    Every edge lies within the data's range (the first is its minimum, the last its maximum). A signed measure
    (``diverging``) is centred on zero only where its values span zero: zero is then a class edge (values of
    exactly zero fall in the class ending at zero), the classes below zero are classed among the negative values
    and those above among the positive ones, and the colours take the two halves of a diverging ``cmap``. Data
    wholly on one side of zero is classed like any other measure, in the half of the ramp of its sign.

    Parameters
    ----------
    values
        The numbers to class (any units); missing values get class -1.
    cmap
        Matplotlib colormap name (sequential, or diverging for a signed measure).
    diverging
        A signed measure (e.g. the supply-gap index, net gain).
    scheme, k, bins
        As :func:`classify`; user-defined ``bins`` are never centred and their top edge is cut to the maximum.

    Returns
    -------
    (classes, edges, colours)
        Integer classes indexed like ``values`` (a value ``v`` is in class ``i`` when ``edges[i] <= v <=
        edges[i + 1]``, the lowest such ``i``), ``len(colours) + 1`` edges and the hex colours.
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    ok = v.dropna()
    out = pd.Series(-1, index=values.index, dtype=int)
    if ok.empty:
        return out, [], []
    lo, hi = float(ok.min()), float(ok.max())
    user = scheme.lower().replace("_", "").replace(" ", "").replace("-", "") == "userdefined"
    cm = colormaps[cmap]
    if diverging and not user and lo < 0 < hi:
        side = max(2, (k + 1) // 2)
        neg = classify(ok[ok <= 0], scheme=scheme, k=side)[1]
        pos = classify(ok[ok > 0], scheme=scheme, k=side)[1]
        edges = [*neg[:-1], 0.0, *pos[1:]] if len(pos) > 1 else [*neg[:-1], 0.0, hi]
        n_neg = len(neg) - 1 if len(neg) > 1 else 1
        n_pos = len(edges) - 1 - n_neg
        colours = [to_hex(cm(x)) for x in np.linspace(0.05, 0.4, n_neg)] + \
                  [to_hex(cm(x)) for x in np.linspace(0.6, 0.95, n_pos)]
    else:
        _, edges = classify(ok, scheme=scheme, k=k, bins=bins)
        if user:  # bins above the data are not classes of it
            top = next(i for i, e in enumerate(edges) if e >= hi or i == len(edges) - 1)
            edges = [*edges[:top], hi] if top else [lo, hi]
        n = max(len(edges) - 1, 1)
        if diverging and not user:  # one side of zero: that half of the diverging ramp, darker away from zero
            xs = np.linspace(0.6, 0.95, n) if lo >= 0 else np.linspace(0.05, 0.4, n)
            colours = [to_hex(cm(x)) for x in xs]
        else:
            colours = colour_ramp(cmap, n)
    edges = [float(e) for e in edges]
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    upper = np.asarray(edges[1:], dtype=float)
    cls = np.minimum(np.searchsorted(upper, ok.to_numpy(), side="left"), len(upper) - 1)
    out.iloc[np.flatnonzero(v.notna().to_numpy())] = cls.astype(int)
    return out, edges, colours


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
    text = _page_head(m.get_root().render(), getattr(m, "_ffh_title", "farfromhome map"))
    if not inline_assets:
        return text
    js = ASSETS.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = ASSETS.joinpath("leaflet.css").read_text(encoding="utf-8")
    for img in ("layers.png", "layers-2x.png"):
        b64 = base64.b64encode(ASSETS.joinpath(img).read_bytes()).decode("ascii")
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


def _page_head(text: str, title: str) -> str:
    """Give the page its language (British English) and a ``<title>``."""
    text = re.sub(r"<html(?=[\s>])", '<html lang="en-GB"', text, count=1)
    if "<title>" not in text:
        text = text.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    return text


def save_map(m: folium.Map, path: str | Path, *, inline_assets: bool = False) -> Path:
    """Write a map as a standalone HTML file (see :func:`render_html`) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(m, inline_assets=inline_assets), encoding="utf-8")
    logger.info("wrote map %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def require_geometry(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    require_columns(frame, columns, source)


def format_value(fmt: str, v: Any) -> str:
    """Format ``v`` with a ``str.format`` pattern such as ``"{:,.0f}"``; "no data" for a missing value."""
    return "no data" if pd.isna(v) else fmt.format(v)


def colour_ramp(cmap: str, n: int) -> list[str]:
    """``n`` hex colours from a matplotlib colormap, avoiding its palest end (which reads as "no data")."""
    cm = colormaps[cmap]
    return [to_hex(cm(x)) for x in (np.linspace(0.15, 0.95, n) if n > 1 else [0.6])]


def fill_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"fillColor": feature["properties"]["fill"], "fillOpacity": 0.8, "color": "#ffffff", "weight": 0.6,
            "className": _LA_CLASS}


def highlight_style(_: Any) -> dict[str, Any]:
    return {"weight": 2.5, "color": "#000000"}


def base_map(shown: gpd.GeoDataFrame, *, tiles: str | None) -> folium.Map:
    no_tiles = tiles is None or str(tiles).lower() == "none"
    m = folium.Map(tiles=None if no_tiles else tiles, control_scale=True, zoom_snap=0.25, prefer_canvas=False)
    minx, miny, maxx, maxy = shown.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def region_outlines(regions: gpd.GeoDataFrame, *, tolerance_m: float) -> folium.GeoJson:
    shown = display_geometries(regions[["geometry"]], tolerance_m=tolerance_m)
    return folium.GeoJson(
        shown.reset_index().to_json(), name="Region outlines", interactive=False,
        style_function=lambda _: {"fill": False, "color": "#252525", "weight": 1.6, "className": "ffh-region"},
    )


def la_background(shown: gpd.GeoDataFrame, *, highlight: str | None) -> folium.GeoJson:
    data = shown[["la_name", "geometry"]].copy()
    data["fill"] = ["#fde0b6" if code == highlight else "#f2f2f2" for code in data.index]
    return folium.GeoJson(
        data.reset_index().to_json(), name="Local authorities", control=False, style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "fillOpacity": 1, "color": "#9e9e9e", "weight": 0.5,
            "className": f"{_LA_CLASS} ffh-bg"},
        tooltip=folium.GeoJsonTooltip(["la_name"], aliases=["Local authority"]),
    )


def legend_html(title: str, note: str, edges: list[float], colours: list[str], fmt: str, scheme: str, *,
                 missing: bool) -> str:
    def label(v: float) -> str:  # zero, a class edge of signed measures, reads "0" (not "+0.0")
        return "0" if v == 0 else format_value(fmt, v)

    rows = []
    for i in range(len(edges) - 1):
        same = label(edges[i]) == label(edges[i + 1])  # one value (e.g. 9): not "9 – 9"
        rows.append((colours[i], label(edges[i]) if same else f"{label(edges[i])} – {label(edges[i + 1])}"))
    if not rows and edges:
        rows.append((colours[0], label(edges[0])))
    if missing:
        rows.append((NO_DATA, "no data"))
    sch = {"quantiles": "quantiles", "naturalbreaks": "natural breaks (Fisher-Jenks)",
           "userdefined": "user-defined bins"}.get(scheme.lower().replace("_", "").replace(" ", ""), scheme)
    return swatch_legend(title, f"{note} · classes: {sch}" if note else f"classes: {sch}", rows)


def swatch_legend(title: str, note: str, rows: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<div><i style="background:{c}"></i>{html.escape(t)}</div>' for c, t in rows)
    return (f'<div class="ffh-legend-block" data-layer="{html.escape(title)}"><b>{html.escape(title)}</b>'
            f'<div class="ffh-note">{html.escape(note)}</div>{items}</div>')


class _Chrome(MacroElement):
    """Title box, per-layer legends switched with the layer control, tools (CSV, PNG, table), notes, attribution.

    The behaviour is ``assets/chrome.js`` and ``assets/chrome.css``, embedded in the page (no network).
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
<script>{{ this.js }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
var ffh_chrome = window.ffhChrome({{ this._parent.get_name() }}, {
  control: {{ this.control }}, heading: {{ this.heading|tojson }}, info: {{ this.info|tojson }},
  legends: {{ this.legends|tojson }}, bases: {{ this.base_names|tojson }}, initial: {{ this.initial|tojson }},
  attribution: {{ this.attribution|tojson }}, title: {{ this.title|tojson }}, subtitle: {{ this.subtitle|tojson }}});
{% endmacro %}
""")

    def __init__(self, *, heading: str, info: str, legends: dict[str, str], base_names: list[str],
                 initial: list[str], attribution: str, control: str, title: str, subtitle: str) -> None:
        super().__init__()
        self._name = "FarFromHomeChrome"
        self.heading = heading
        self.info = info
        self.legends = legends
        self.base_names = base_names
        self.initial = initial
        self.attribution = attribution
        self.control = control
        self.title = title
        self.subtitle = subtitle
        self.css = ASSETS.joinpath("chrome.css").read_text(encoding="utf-8")
        self.js = ASSETS.joinpath("chrome.js").read_text(encoding="utf-8")


def finish_map(m: folium.Map, *, title: str, subtitle: str, legends: dict[str, str], base_names: list[str],
            initial: list[str], attribution: str, notes: Sequence[str] = (), raw_notes: int = 0) -> None:
    heading = f"<h1>{html.escape(title)}</h1>"
    parts = []
    if subtitle:
        if "SYNTHETIC" in subtitle.upper():  # stays in view even when the box is folded on a phone
            heading += f'<div class="ffh-synthetic">{html.escape(subtitle)}</div>'
        else:
            parts.append(f'<div class="ffh-note">{html.escape(subtitle)}</div>')
    for i, note in enumerate(notes):
        if note == SUPPRESSION_RULE:
            parts.append(f'<details class="ffh-note"><summary>Small counts are suppressed</summary>'
                         f'{html.escape(note)}</details>')
        else:
            parts.append(note if i < raw_notes else f'<div class="ffh-note">{html.escape(note)}</div>')
    parts.append(f'<div class="ffh-note">{html.escape(attribution)}</div>')
    control = folium.LayerControl(collapsed=False, position="topleft")
    control.add_to(m)
    m._ffh_title = title  # type: ignore[attr-defined]  # the page <title> (render_html)
    m.add_child(_Chrome(heading=heading, info="".join(parts), legends=legends, base_names=base_names,
                        initial=initial, attribution=attribution, control=control.get_name(), title=title,
                        subtitle=subtitle))
