"""Interactive folium maps: LA supply choropleths, home→placement flows and one LA's placement distances."""

from __future__ import annotations

import base64
import html
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

from distance.straight import DISTANCE_BAND_EDGES_MILES, DISTANCE_BANDS, METRES_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.disclosure import SUPPRESSED_LABEL, SUPPRESSION_RULE, check_no_small_counts, suppress_counts
from geo.errors import InputError, MissingColumnsError, require_columns

logger = logging.getLogger(__name__)

__all__ = [
    "Layer", "SUPPLY_LAYERS", "classify", "colour_ramp", "format_value",
    "display_geometries", "supply_map", "flow_map", "distance_map", "render_html", "save_map",
]

_BAND_EDGES_MILES = tuple(int(e) for e in DISTANCE_BAND_EDGES_MILES[1:-1])  # rings at 10, 20, 50, 100 miles
_NO_DATA = "#d9d9d9"
_LA_CLASS = "ffh-la"
_ARC_CLASS = "ffh-flow"
_ASSETS = resources.files("maps").joinpath("assets")


@dataclass(frozen=True)
class Layer:
    """One switchable choropleth layer: which column, how to label it and colour it.

    Parameters
    ----------
    column
        Column of the frame given to :func:`supply_map`.
    label
        Name in the layer switcher and legend title.
    fmt
        Python format for values in tooltips and the legend.
    cmap
        Matplotlib colormap name (sequential, or diverging for signed measures).
    note
        One line under the legend title (what the measure means, where it comes from).
    """

    column: str
    label: str
    fmt: str = "{:,.0f}"
    cmap: str = "YlGnBu"
    note: str = ""


SUPPLY_LAYERS: tuple[Layer, ...] = (
    Layer("homes", "Children's homes", "{:,.0f}", "Blues", "Active children's homes at 31 March (Ofsted)"),
    Layer("places", "Registered places", "{:,.0f}", "Purples", "Registered places in children's homes (Ofsted)"),
    Layer("places_per_10k", "Places per 10,000 children", "{:,.1f}", "YlGnBu",
          "Children's-home places per 10,000 children aged 0-17"),
    Layer("gap_index", "Supply-gap index", "{:+,.1f}", "RdBu_r",
          "Own children in children's homes minus local places, per 10,000 children: positive = deficit"),
    Layer("pct_outside_la", "% placed outside their LA", "{:,.0f}%", "Oranges",
          "Children in children's homes placed outside their own LA (DfE)"),
    Layer("net_gain", "Net gain of children", "{:+,.0f}", "PuOr",
          "Children placed in the LA by others minus its own placed elsewhere (DfE)"),
)
"""The supply map's default layers; those whose column is absent are left out (and logged)."""

_LISA_COLOURS = {"HH": ("#d7191c", "Hot spot (high-high)"), "LL": ("#2c7bb6", "Cold spot (low-low)"),
                 "HL": ("#fdae61", "High among low (high-low)"), "LH": ("#abd9e9", "Low among high (low-high)"),
                 "ns": ("#f0f0f0", "Not significant")}


# --------------------------------------------------------------------------------------------- public API
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


def supply_map(
    frame: gpd.GeoDataFrame,
    *,
    layers: Sequence[Layer] | None = None,
    regions: gpd.GeoDataFrame | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    lisa_column: str = "lisa_cluster",
    title: str = "Children's homes: supply by local authority",
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    tolerance_m: float = 500.0,
) -> folium.Map:
    """Choropleth of England's LAs with one switchable layer (and legend) per measure.

    Parameters
    ----------
    frame
        One row per LA, indexed by LA code, polygons in EPSG:27700, with ``la_name``, ``region_name`` and the
        columns named in ``layers`` (e.g. the supply, demand and gaps tables joined to
        :func:`boundaries.load_las`). An optional ``lisa_cluster`` column (HH, LL, HL, LH, ns) adds a LISA
        hot/cold-spot layer. Not modified; converted to EPSG:4326 only for display.
    layers
        The measures to show (default :data:`SUPPLY_LAYERS`; layers whose column is absent are left out).
    regions
        Region polygons (EPSG:27700) drawn as outlines.
    scheme, k, bins
        Classification (see :func:`classify`).
    title, subtitle
        Shown in a box on the map.
    tiles
        ``"none"`` (no basemap: works offline) or a folium tile name such as ``"cartodbpositron"``.
    attribution
        Data attribution, always shown (OpenStreetMap's is added by folium when OSM tiles are used).
    tolerance_m
        Display simplification in metres (see :func:`display_geometries`).

    Returns
    -------
    folium.Map
        Save with :func:`save_map`.
    """
    _require(frame, ["la_name", "region_name"], "supply map frame")
    explicit = layers is not None
    layers = list(layers if layers is not None else SUPPLY_LAYERS)
    absent = [ly.column for ly in layers if ly.column not in frame.columns]
    if absent and explicit:
        raise MissingColumnsError("supply map frame", absent, list(frame.columns))
    if absent:
        logger.info("supply map: no column(s) %s; those layers are left out", ", ".join(absent))
    layers = [ly for ly in layers if ly.column in frame.columns]
    has_lisa = lisa_column in frame.columns
    if not layers and not has_lisa:
        raise MissingColumnsError("supply map frame", [ly.column for ly in SUPPLY_LAYERS] + [lisa_column],
                                  list(frame.columns))
    shown = display_geometries(frame[["la_name", "region_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    legends: dict[str, str] = {}
    base_names: list[str] = []
    for i, ly in enumerate(layers):
        values = pd.to_numeric(frame[ly.column], errors="coerce")
        classes, edges = classify(values, scheme=scheme, k=k, bins=bins)
        colours = colour_ramp(ly.cmap, max(len(edges) - 1, 1))
        rank = values.rank(ascending=False, method="min")
        data = shown[["la_name", "region_name", "geometry"]].copy()
        data["value"] = [format_value(ly.fmt, v) for v in values]
        data["rank"] = [f"{int(r)} of {int(values.notna().sum())}" if pd.notna(r) else "no data" for r in rank]
        data["fill"] = [colours[c] if c >= 0 else _NO_DATA for c in classes]
        folium.GeoJson(
            data.reset_index().to_json(), name=ly.label, overlay=False, show=i == 0,
            style_function=_fill_style, highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "value", "rank", "region_name"],
                                          aliases=["Local authority", ly.label, "Rank (1 = highest)", "Region"]),
        ).add_to(m)
        legends[ly.label] = _legend_html(ly.label, ly.note, edges, colours, ly.fmt, scheme,
                                         missing=bool((classes < 0).any()))
        base_names.append(ly.label)
    overlays_shown: list[str] = []
    if has_lisa:
        name = "LISA hot and cold spots"
        lisa = frame[lisa_column].map(_lisa_key)
        data = shown[["la_name", "region_name", "geometry"]].copy()
        data["cluster"] = [_LISA_COLOURS[c][1] for c in lisa]
        data["fill"] = [_LISA_COLOURS[c][0] for c in lisa]
        folium.GeoJson(
            data.reset_index().to_json(), name=name, overlay=True, show=not layers,
            style_function=_fill_style, highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "cluster", "region_name"],
                                          aliases=["Local authority", "Local Moran's I", "Region"]),
        ).add_to(m)
        legends[name] = _swatch_legend(name, "Places per 10,000 children; permutation p < 0.05",
                                       [v for k, v in _LISA_COLOURS.items() if (lisa == k).any()])
        if not layers:
            overlays_shown.append(name)
    if regions is not None:
        _region_outlines(regions, tolerance_m=tolerance_m).add_to(m)
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names,
            initial=[base_names[0]] if base_names else overlays_shown, attribution=attribution)
    return m


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


def distance_map(
    by_la: pd.DataFrame,
    *,
    las: gpd.GeoDataFrame,
    la: str,
    bands: pd.DataFrame | None = None,
    count: str = "children",
    band_columns: Sequence[str] = DISTANCE_BANDS,
    title: str | None = None,
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    roads: bool = False,
    tolerance_m: float = 500.0,
) -> folium.Map:
    """Where one LA's children are placed, by placement LA, with straight-line distance bands from home.

    Parameters
    ----------
    by_la
        Indexed by placement LA code: ``count`` (children placed there) and, where present, one count column
        per straight-line distance band (``band_columns``). Aggregated counts only. Small counts are
        suppressed here (row totals and band totals are treated as published).
    las
        LA polygons indexed by LA code, EPSG:27700, with ``la_name``.
    la
        The home LA's code (outlined; distance rings of 10, 20, 50 and 100 miles straight-line drawn around
        a point inside it).
    bands
        Optional summary indexed by band label with columns ``straight_line`` and, where road distances
        exist, ``road``: children per band, shown side by side in a table on the map.
    roads
        Whether road distances (OpenStreetMap) are shown: adds the OpenStreetMap attribution.
    """
    _require(by_la, [count], "placements by LA")
    check_bng(las, name="LA polygons")
    if la not in las.index:
        raise InputError(f"distance map: LA {la!r} has no polygon; expected an English LA code such as "
                         f"{las.index[0]!r}")
    band_cols = [b for b in band_columns if b in by_la.columns]
    frame = by_la[[count, *band_cols]].copy()
    frame["_all"] = "all"
    safe = suppress_counts(frame, count_columns=band_cols or [count], total=count if band_cols else None,
                           group="_all")
    check_no_small_counts(safe, count_columns=[count, *band_cols], source="placements by LA")
    name = str(las.loc[la, "la_name"])
    title = title or f"Where {name}'s children are placed"
    shown = display_geometries(las[["la_name", "region_name", "geometry"]] if "region_name" in las.columns
                               else las[["la_name", "geometry"]], tolerance_m=tolerance_m)
    m = _base_map(shown, tiles=tiles)
    legends: dict[str, str] = {}
    base_names = []
    for i, col in enumerate([count, *band_cols]):
        label = "All placements" if col == count else f"Placed {col} away (straight line)"
        vals = safe[col].reindex(shown.index).astype(float)
        lab = safe[f"{col}_label"].reindex(shown.index).fillna("0").replace("0", "none")
        vals = vals.mask(vals == 0)
        classes, edges = classify(vals.astype(float), scheme="quantiles", k=5)
        colours = colour_ramp("YlOrRd", max(len(edges) - 1, 1))
        data = shown[["la_name", "geometry"]].copy()
        data["children"] = lab.to_numpy()
        data["fill"] = [colours[c] if c >= 0 else ("#ffffff" if lb == "none" else "#bdbdbd")
                        for c, lb in zip(classes, lab, strict=True)]
        folium.GeoJson(
            data.reset_index().to_json(), name=label, overlay=False, show=i == 0, style_function=_fill_style,
            highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(["la_name", "children"], aliases=["Placed in", f"{name}'s children"]),
        ).add_to(m)
        legends[label] = _legend_html(label, f"Children from {name}; grey: {SUPPRESSED_LABEL} or suppressed; "
                                      "white: none", edges, colours,
                                      "{:,.0f}", "quantiles", missing=False)
        base_names.append(label)
    _rings(las, la).add_to(m)
    folium.GeoJson(shown.loc[[la]].reset_index()[["la_code", "geometry"]].to_json()
                   if "la_code" not in shown.columns else shown.loc[[la]].to_json(),
                   style_function=lambda _: {"fill": False, "color": "#000000", "weight": 3},
                   interactive=False, control=False).add_to(m)
    notes = [SUPPRESSION_RULE]
    if bands is not None:
        notes.insert(0, _bands_table(bands))
    _finish(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names, initial=[base_names[0]],
            attribution=attribution + (f"; {OSM_ATTRIBUTION}" if roads else ""), notes=notes, raw_notes=1
            if bands is not None else 0)
    return m


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


# --------------------------------------------------------------------------------------------- helpers
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


def _arc_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    return {"color": p["colour"], "weight": p["weight"], "opacity": 0.85, "fillColor": p["colour"],
            "fillOpacity": 0.9, "dashArray": p["dash"] or None, "className": _ARC_CLASS}


def _arc_highlight(_: Any) -> dict[str, Any]:
    return {"color": "#000000"}


def _lisa_key(value: Any) -> str:
    s = str(value).strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    table = {"hh": "HH", "highhigh": "HH", "hotspot": "HH", "hot": "HH", "ll": "LL", "lowlow": "LL",
             "coldspot": "LL", "cold": "LL", "hl": "HL", "highlow": "HL", "lh": "LH", "lowhigh": "LH"}
    return table.get(s, "ns")


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


def _rings(las: gpd.GeoDataFrame, la: str) -> folium.FeatureGroup:
    """Straight-line distance rings (10, 20, 50, 100 miles) around a point inside the home LA."""
    centre = las.loc[[la]].geometry.representative_point()
    group = folium.FeatureGroup(name="Distance rings (straight line)", overlay=True, show=True)
    rings = gpd.GeoDataFrame(
        {"label": [f"{m} miles (straight line)" for m in _BAND_EDGES_MILES]},
        geometry=[shapely.LineString(centre.iloc[0].buffer(m * METRES_PER_MILE, 64).exterior.coords)
                  for m in _BAND_EDGES_MILES], crs=las.crs)
    folium.GeoJson(to_display(rings).to_json(), tooltip=folium.GeoJsonTooltip(["label"], labels=False),
                   style_function=lambda _: {"color": "#08306b", "weight": 1.2, "dashArray": "6 4",
                                             "className": "ffh-ring"}).add_to(group)
    return group


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


def _flow_legend(top: float) -> str:
    lines = "".join(
        f'<div><span class="ffh-line" style="height:{1.5 + 8.5 * f:.1f}px"></span>{v:,.0f} children</div>'
        for f, v in sorted({(1.0, top), (max(top / 2, 5) / top, max(top / 2, 5)), (5 / top, 5.0)}, reverse=True)
        if v >= 5)
    return (f'<div class="ffh-legend-block"><b>Children placed (width)</b><div class="ffh-note">Arrow points '
            f'to the placement LA; arcs bend right of travel</div>{lines}<div><span class="ffh-line ffh-dash">'
            f'</span>{SUPPRESSED_LABEL}</div></div>')


def _bands_table(bands: pd.DataFrame) -> str:
    cols = [c for c in ("straight_line", "road") if c in bands.columns]
    safe = suppress_counts(bands[cols].assign(_all="all"), count_columns=cols, group="_all") if cols else bands
    head = "".join(f"<th>{'Straight line' if c == 'straight_line' else 'Road'}</th>" for c in cols)
    body = "".join(
        f"<tr><td>{html.escape(str(idx))}</td>" + "".join(f"<td>{html.escape(str(safe.loc[idx, c + '_label']))}"
                                                         f"</td>" for c in cols) + "</tr>"
        for idx in safe.index)
    return (f'<table class="ffh-bands"><tr><th>Distance from home</th>{head}</tr>{body}</table>'
            '<div class="ffh-note">Children by distance band from home. Where road distances were measured, '
            'both columns count only placements with both distances.</div>')


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
