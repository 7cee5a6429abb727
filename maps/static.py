"""Publication figures (matplotlib/geopandas): title, legend, scale bar, north arrow, London inset, sources."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.text import Text

from distance.straight import METRES_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng
from geo.disclosure import SUPPRESSED_LABEL, check_no_small_counts, suppress_counts
from geo.errors import InputError, MissingColumnsError, require_columns
from maps._page import NO_DATA, layer_classes
from maps.distance_tables import HIDDEN_LABELS, DistancePublication, publish_distances
from maps.interactive import (
    LISA_COLOURS,  # one set of cluster colours for map and figure
    SUPPLY_LAYERS,
    Layer,
    classify,
    colour_ramp,
    format_value,
)
from maps.summary import TOTAL_ROW

logger = logging.getLogger(__name__)

__all__ = ["FIGSIZE_IN", "FIGURE_WIDTHS_MM", "MIN_FONT_PT", "DPI", "FIGURE_FORMATS", "supply_figure",
           "lisa_figure", "flow_figure", "distance_figure", "save_figure", "save_all", "fit_footer",
           "diverging_classes", "DIVERGING_COLUMNS"]

FIGURE_WIDTHS_MM = {"single": 85.0, "double": 180.0}
"""Printed widths of the figures: an A4 page's single column (85 mm) and double column (180 mm)."""

MIN_FONT_PT = 7.0
"""No text of a figure is smaller than this at its printed width."""

FIGSIZE_IN = (FIGURE_WIDTHS_MM["double"] / 25.4, FIGURE_WIDTHS_MM["double"] / 25.4 * 1.2)
"""Nominal size in inches of a double-column figure (its height follows its content)."""

DPI = 300
"""Resolution of PNG output (dots per inch)."""

FIGURE_FORMATS = ("png", "svg", "pdf")
"""Every figure is written in each of these formats (PNG at :data:`DPI`)."""

DIVERGING_COLUMNS = ("gap_index", "net_gain")
"""Signed measures: classed symmetrically about zero, so that zero is a class edge and the colours say the sign."""

_LONDON = "E12000007"


def supply_figure(
    frame: gpd.GeoDataFrame,
    *,
    column: str = "places_per_10k",
    layer: Layer | None = None,
    regions: gpd.GeoDataFrame | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    width: str = "double",
) -> Figure:
    """Choropleth of one LA measure for England, with a London inset.

    Parameters
    ----------
    frame
        One row per LA, polygons in EPSG:27700 (metres), with ``column`` and ``region_code`` (for the London
        inset). Not modified.
    column
        The measure to map; its label and number format come from :data:`maps.interactive.SUPPLY_LAYERS`
        unless ``layer`` is given.
    regions
        Region polygons (EPSG:27700) drawn as outlines.
    scheme, k, bins
        Classification (see :func:`maps.interactive.classify`). The signed measures of :data:`DIVERGING_COLUMNS`
        (supply gap, net gain) are classed symmetrically about zero (:func:`diverging_classes`) unless ``bins``
        or another ``scheme`` is given.
    title, subtitle, source
        Title, a line under it (e.g. the year), and the data sources; the licence attribution is always added.
    width
        ``"double"`` (180 mm, A4 double column) or ``"single"`` (85 mm): text is at least :data:`MIN_FONT_PT`
        at that width.

    The classes are those of the interactive map's layer for the same year (:func:`maps._page.layer_classes`):
    within the data's range, centred on zero only where a signed measure spans zero.
    """
    check_bng(frame, name="supply figure frame")
    ly = layer or next((x for x in SUPPLY_LAYERS if x.column == column), Layer(column, column))
    if ly.column not in frame.columns:
        raise MissingColumnsError("supply figure frame", [ly.column], [str(c) for c in frame.columns])
    values = pd.to_numeric(frame[ly.column], errors="coerce")
    classes, edges, colours = layer_classes(values, cmap=ly.cmap, diverging=ly.diverging or ly.column in
                                            DIVERGING_COLUMNS, scheme=scheme, k=k, bins=bins)
    fills = np.array([colours[c] if c >= 0 else NO_DATA for c in classes])
    fig, ax = _figure(width=width)
    frame.plot(ax=ax, color=fills, edgecolor="white", linewidth=0.25)
    if regions is not None:
        check_bng(regions, name="regions")
        regions.boundary.plot(ax=ax, color="#252525", linewidth=0.6)
    def edge(x: float) -> str:
        return "0" if x == 0 else format_value(ly.fmt, x)

    handles = [Patch(facecolor=colours[i], edgecolor="#999999", label=f"{edge(edges[i])} – {edge(edges[i + 1])}")
               for i in range(len(edges) - 1)]
    if (classes < 0).any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#999999", label="no data"))
    _map_legend(ax, handles, ly.label)
    if "region_code" in frame.columns and (frame["region_code"] == _LONDON).any():
        london = frame["region_code"] == _LONDON
        inset = _inset(fig, ax, frame[london])
        frame[london].plot(ax=inset, color=fills[london.to_numpy()], edgecolor="white", linewidth=0.3)
    _decorate(fig, ax, title=title or ly.label, subtitle=subtitle, source=source, note=ly.note)
    return fig


def lisa_figure(
    frame: gpd.GeoDataFrame,
    *,
    column: str = "lisa_cluster",
    regions: gpd.GeoDataFrame | None = None,
    title: str = "Hot and cold spots of children's-home places (local Moran's I)",
    subtitle: str = "",
    source: str = "",
    note: str = ("LISA clusters of places per 10,000 children, queen contiguity, 999 permutations, p < 0.05: "
                 "a hot spot is an LA with many places among neighbours with many."),
    width: str = "double",
) -> Figure:
    """Map of LISA cluster labels (``HH``, ``LL``, ``HL``, ``LH``, ``ns``) for England, with a London inset.

    Parameters
    ----------
    frame
        One row per LA, polygons in EPSG:27700, with ``column`` holding the cluster labels (missing: no data).
    regions
        Region polygons (EPSG:27700) drawn as outlines.
    """
    check_bng(frame, name="LISA figure frame")
    if column not in frame.columns:
        raise MissingColumnsError("LISA figure frame", [column], [str(c) for c in frame.columns])
    labels = frame[column].map(_lisa_key)
    unknown = sorted({str(v) for v, k in zip(frame[column], labels, strict=True) if k is None})
    if unknown:
        raise InputError(f"LISA figure: unknown cluster label(s) {unknown}; expected High-High, Low-Low, High-Low, "
                         "Low-High, not significant, no neighbours or no data (or HH, LL, HL, LH, ns)")
    fills = np.array([_LISA_EXTRA.get(k, LISA_COLOURS.get(k, ("", "")))[0] for k in labels])
    fig, ax = _figure(width=width)
    frame.plot(ax=ax, color=fills, edgecolor="#bdbdbd", linewidth=0.25)
    if regions is not None:
        check_bng(regions, name="regions")
        regions.boundary.plot(ax=ax, color="#252525", linewidth=0.6)
    handles = [Patch(facecolor=colour, edgecolor="#999999", label=f"{name} ({int((labels == k).sum())} LAs)")
               for k, (colour, name) in {**LISA_COLOURS, **_LISA_EXTRA}.items() if (labels == k).any()]
    _map_legend(ax, handles, "LISA cluster")
    if "region_code" in frame.columns and (frame["region_code"] == _LONDON).any():
        london = (frame["region_code"] == _LONDON).to_numpy()
        inset = _inset(fig, ax, frame[london])
        frame[london].plot(ax=inset, color=fills[london], edgecolor="#bdbdbd", linewidth=0.3)
    _decorate(fig, ax, title=title, subtitle=subtitle, source=source, note=note)
    return fig


def diverging_classes(values: pd.Series, *, k_side: int = 3) -> tuple[pd.Series, list[float]]:
    """Class a signed measure as the maps do (:func:`maps._page.layer_classes`): ``k_side`` classes each side of zero.

    Zero is a class edge only where the values span zero; every edge lies within the values' range. Missing
    values get class -1. Returns (classes indexed like ``values``, edges).
    """
    classes, edges, _ = layer_classes(values, cmap="RdBu_r", diverging=True, k=2 * k_side)
    return classes, edges


def flow_figure(
    flows: pd.DataFrame,
    *,
    las: gpd.GeoDataFrame,
    origin: str = "home_la",
    destination: str = "pl_la",
    count: str = "children",
    la: str | None = None,
    max_arrows: int = 150,
    title: str = "Where children are placed: home LA to placement LA",
    subtitle: str = "",
    source: str = "",
    width: str = "double",
) -> Figure:
    """Draw curved arrows from home LA to placement LA, width by the number of children.

    Parameters
    ----------
    flows
        Aggregated counts, one row per (``origin``, ``destination``) — never child-level records. Counts of
        1-4 are suppressed here (with secondary suppression within each home LA) and not drawn.
    las
        LA polygons indexed by LA code, EPSG:27700.
    la
        Only flows out of this LA code.
    max_arrows
        The largest flows drawn; the caption says how many were left out.
    """
    require_columns(flows, (origin, destination, count), "flows")
    check_bng(las, name="LA polygons")
    data = flows[[origin, destination, count]]
    data = data[data[count].fillna(0) > 0]
    if la is not None:
        data = data[data[origin] == la]
    if data.empty:
        raise InputError(f"flows: nothing to draw{f' out of LA {la!r}' if la else ''}")
    safe = suppress_counts(data, count_columns=[count], group=origin)
    check_no_small_counts(safe, count_columns=[count], source="flows")
    centre = las.geometry.representative_point()
    ok = safe[count].notna() & (safe[origin] != safe[destination]) & safe[origin].isin(las.index) & \
        safe[destination].isin(las.index)
    drawn = safe[ok].sort_values(count, ascending=False)
    n_sup = int(safe[count].isna().sum())
    left = max(len(drawn) - max_arrows, 0)
    drawn = drawn.head(max_arrows).iloc[::-1]  # largest drawn last, on top
    fig, ax = _figure(width=width)
    fills = ["#fde0b6" if c == la else "#eeeeee" for c in las.index]
    las.plot(ax=ax, color=fills, edgecolor="#a0a0a0", linewidth=0.25)
    top = float(drawn[count].max()) if len(drawn) else 1.0
    axes = [ax]
    if "region_code" in las.columns and (las["region_code"] == _LONDON).any():
        london = (las["region_code"] == _LONDON).to_numpy()
        inset = _inset(fig, ax, las[london])
        las[london].plot(ax=inset, color=[f for f, keep in zip(fills, london, strict=True) if keep],
                         edgecolor="#a0a0a0", linewidth=0.3)
        axes.append(inset)
    for o, d, n in zip(drawn[origin], drawn[destination], drawn[count], strict=True):
        p0, p1 = centre[o].coords[0], centre[d].coords[0]
        lw = 0.4 + 4.0 * float(n) / top
        for target in axes:
            target.add_patch(FancyArrowPatch(p0, p1, connectionstyle="arc3,rad=-0.18", arrowstyle="-|>",
                                             mutation_scale=6 + 2 * lw, linewidth=lw, color="#b2182b",
                                             alpha=0.75))
    handles = [Line2D([], [], color="#b2182b", linewidth=0.4 + 4.0 * v / top, label=f"{v:,.0f} children")
               for v in sorted({top, max(round(top / 2), 5), 5}, reverse=True) if v <= top]
    _map_legend(ax, handles, "Children placed", handlelength=2.4)
    note = (f"Arrows point to the placement LA. {n_sup} flow(s) of {SUPPRESSED_LABEL} children, or hidden by "
            "secondary suppression, are not drawn; nor are placements inside the home LA or outside England.")
    if left:
        note += f" The {max_arrows} largest flows are drawn ({left} smaller ones are not)."
    _decorate(fig, ax, title=title, subtitle=subtitle, source=source, note=note)
    return fig


def distance_figure(
    by_la: pd.DataFrame,
    *,
    las: gpd.GeoDataFrame,
    la: str,
    bands: pd.DataFrame | None = None,
    count: str = "children",
    title: str | None = None,
    subtitle: str = "",
    source: str = "",
    roads: bool = False,
    published: DistancePublication | None = None,
    width: str = "double",
) -> Figure:
    """Where one LA's children are placed (by placement LA), with distance rings and a band chart.

    Parameters
    ----------
    by_la
        Indexed by placement LA code with ``count`` (children placed there). Small counts are suppressed here.
    las
        LA polygons indexed by LA code, EPSG:27700, with ``la_name``.
    la
        The home LA's code; rings at 10, 20, 50 and 100 miles (straight line) are drawn around it.
    bands
        Indexed by distance band with ``straight_line`` and optionally ``road`` counts: drawn as a bar chart.
    roads
        Whether road distances (OpenStreetMap) are shown: adds the OpenStreetMap attribution.
    published
        :func:`maps.distance_tables.publish_distances` of these inputs, when the caller has it already (as the
        distances map and the band table use it); otherwise computed here.
    """
    if count not in by_la.columns:
        raise MissingColumnsError("placements by LA", [count], [str(c) for c in by_la.columns])
    check_bng(las, name="LA polygons")
    if la not in las.index:
        raise InputError(f"distance figure: LA {la!r} has no polygon; expected an English LA code")
    pub = published if published is not None else publish_distances(by_la, las=las, bands=bands, count=count)
    check_no_small_counts(pub.la_values, count_columns=[count], source="placements by LA")
    values = pub.la_values[count].reindex(las.index).astype(float)
    values = values.mask(values == 0)
    classes, edges = classify(values, scheme="quantiles", k=5)
    colours = colour_ramp("YlOrRd", max(len(edges) - 1, 1))
    hidden = pub.la_labels[count].reindex(las.index).isin(HIDDEN_LABELS).to_numpy()
    fills = [colours[c] if c >= 0 else ("#bdbdbd" if h else "#f7f7f7") for c, h in zip(classes, hidden, strict=True)]
    fig, ax = _figure(width=width, share=0.64 if width == "double" else 1.0)
    las.plot(ax=ax, color=fills, edgecolor="#b0b0b0", linewidth=0.25)
    las.loc[[la]].boundary.plot(ax=ax, color="black", linewidth=1.4)
    if "region_code" in las.columns and (las["region_code"] == _LONDON).any():
        london = (las["region_code"] == _LONDON).to_numpy()
        inset = _inset(fig, ax, las[london], rect=(1.05, 0.02, 0.5, 0.3) if width == "double" else None)
        las[london].plot(ax=inset, color=[f for f, keep in zip(fills, london, strict=True) if keep],
                         edgecolor="#b0b0b0", linewidth=0.3)
        if london[las.index.get_loc(la)]:
            las.loc[[la]].boundary.plot(ax=inset, color="black", linewidth=1.2)
    centre = las.loc[[la]].geometry.representative_point().iloc[0]
    # labels at different bearings so the close inner rings' labels do not overlap; white halo over the fills
    for miles, bearing in ((10, 0), (20, 45), (50, 90), (100, 90)):
        ring = gpd.GeoSeries([centre.buffer(miles * METRES_PER_MILE, 64).exterior], crs=las.crs)
        ring.plot(ax=ax, color="#08306b", linewidth=0.6, linestyle="--")
        angle = np.radians(bearing)
        ax.annotate(f"{miles} mi", (centre.x + miles * METRES_PER_MILE * np.cos(angle),
                                    centre.y + miles * METRES_PER_MILE * np.sin(angle)),
                    fontsize=MIN_FONT_PT, color="#08306b", ha="left" if bearing == 0 else "center", va="bottom",
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    def span(lo: float, hi: float) -> str:  # one value reads "5", not "5 – 5"
        return f"{lo:,.0f}" if f"{lo:,.0f}" == f"{hi:,.0f}" else f"{lo:,.0f} – {hi:,.0f}"

    handles = [Patch(facecolor=colours[i], edgecolor="#999999", label=span(edges[i], edges[i + 1]))
               for i in range(len(edges) - 1)]
    handles += [Patch(facecolor="#bdbdbd", edgecolor="#999999", label=f"{SUPPRESSED_LABEL} (or suppressed)"),
                Patch(facecolor="#f7f7f7", edgecolor="#999999", label="none")]
    name = str(las.loc[la, "la_name"]) if "la_name" in las.columns else la
    if width == "double":
        ax.legend(handles=handles, title=f"{name}'s children placed", loc="upper left", bbox_to_anchor=(1.03, 0.62),
                  fontsize=MIN_FONT_PT, title_fontsize=MIN_FONT_PT + 0.5, frameon=False)
    else:
        _map_legend(ax, handles, f"{name}'s children placed")
    if pub.bands is not None:
        _band_chart(ax, pub.bands, rect=(1.1, 0.70, 0.44, 0.28) if width == "double" else (0.08, -0.42, 0.88, 0.3))
    note = "Rings: straight-line distance from a point inside the home LA."
    if bands is not None:
        counts = str(bands.attrs.get("counts", "placements"))
        note += (f" Bars count placements (a child placed twice counts twice), both colours the same set: {counts}."
                 " '<5' fewer than 5 placements; 's' suppressed so that a total cannot reveal a small count.")
    _decorate(fig, ax, title=title or f"Where {name}'s children are placed", subtitle=subtitle, source=source,
              note=note, roads=roads)
    return fig


def save_all(fig: Figure, stem: str | Path) -> list[Path]:
    """Save ``fig`` as ``stem``.png (:data:`DPI`), .svg and .pdf (:data:`FIGURE_FORMATS`); return the paths."""
    stem = Path(stem)
    return [save_figure(fig, stem.with_suffix(f".{ext}")) for ext in FIGURE_FORMATS]


def save_figure(fig: Figure, path: str | Path, *, fmt: str | None = None, dpi: int = DPI) -> Path:
    """Save a figure as PNG (``dpi``), SVG or PDF (vector, text kept as text) and return the path.

    The format comes from ``fmt`` or the file suffix. SVG text stays selectable (``svg.fonttype: none``) and
    PDF fonts are embedded as TrueType, so the attribution can be found in every file.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in {"png", "svg", "pdf"}:
        raise InputError(f"cannot write a figure as {fmt!r} ({path}); expected png, svg or pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"png": {"Software": "farfromhome"}, "svg": {"Creator": "farfromhome"},
            "pdf": {"Creator": "farfromhome", "Subject": getattr(fig, "_ffh_source", "")}}[fmt]
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=meta)
    logger.info("wrote figure %s", path)
    return path


def fit_footer(fig: Figure, text: str, *, x: float = 0.01, y: float = 0.005, fontsize: float = 6.5,
               va: str = "bottom", reserve: bool = True, color: str = "#333333", weight: str = "normal") -> Text:
    """Write a footer (sources, attribution) wrapped so that every line fits inside the figure; return it.

    Each paragraph (between newlines) is wrapped at the most characters whose rendered line still ends inside the
    figure's right edge (less a margin equal to ``x``), measured with the figure's own renderer, so nothing is cut off
    ("© OpenStreetMap contr"). With ``reserve`` and a constrained layout, the axes are laid out above the footer.
    """
    renderer = _renderer(fig)
    fig_w = fig.bbox.width
    limit = fig_w * (1 - 2 * x)
    t = fig.text(x, y, text, fontsize=fontsize, ha="left", va=va, color=color, fontweight=weight)
    width = max(int(limit / (fontsize * fig.dpi / 72 * 0.45)), 20)  # a generous first guess, then shrink
    while True:
        t.set_text("\n".join(textwrap.fill(p, width) if p else "" for p in text.split("\n")))
        if t.get_window_extent(renderer).width <= limit or width <= 20:
            break
        width -= 4
    if reserve:
        engine = fig.get_layout_engine()
        height = t.get_window_extent(renderer).height / fig.bbox.height
        if engine is not None and hasattr(engine, "set"):
            engine.set(rect=(0, y + height + 0.01, 1, 1 - y - height - 0.01))  # type: ignore[call-arg]
    return t


# --------------------------------------------------------------------------------------------- helpers
_LISA_EXTRA = {"none": ("#cbb8dd", "No neighbours (left out)"), "nodata": ("#d9d9d9", "No data")}
_LISA_KEYS = {"hh": "HH", "highhigh": "HH", "ll": "LL", "lowlow": "LL", "hl": "HL", "highlow": "HL", "lh": "LH",
              "lowhigh": "LH", "ns": "ns", "notsignificant": "ns", "noneighbours": "none", "nodata": "nodata"}


def _lisa_key(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "nodata"
    return _LISA_KEYS.get(str(value).strip().lower().replace("-", "").replace(" ", "").replace("_", ""))


def _round_sig(x: float, digits: int = 2) -> float:
    if x == 0 or not np.isfinite(x):
        return 0.0
    return float(round(x, digits - 1 - int(np.floor(np.log10(abs(x))))))


def _diverging_colours(cmap: str, edges: Sequence[float]) -> list[str]:
    """Colours of zero-centred classes: as many shades each side of the ramp's middle as there are classes."""
    n_neg = sum(1 for e in edges[1:] if e <= 0)
    n_pos = len(edges) - 1 - n_neg
    side = max(n_neg, n_pos, 1)
    cm = matplotlib.colormaps[cmap]
    # symmetric about the ramp's middle (its neutral colour, which is not used: every class has a sign)
    steps = np.arange(1, side + 1) / side * 0.45
    ramp = [to_hex(cm(0.5 - x)) for x in steps[::-1]] + [to_hex(cm(0.5 + x)) for x in steps]
    return ramp[side - n_neg:side] + ramp[side:side + n_pos]


def _renderer(fig: Figure) -> RendererBase:
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):
        canvas = FigureCanvasAgg(fig)  # what savefig would use for PNG; text metrics match the saved files
    return canvas.get_renderer()


def _figure(*, width: str = "double", share: float = 1.0) -> tuple[Figure, Axes]:
    """Make a figure of a printed width (:data:`FIGURE_WIDTHS_MM`) whose map axes take ``share`` of it.

    The height is set by :func:`_decorate` from the map's aspect and the wrapped title and footer.
    """
    if width not in FIGURE_WIDTHS_MM:
        raise InputError(f"figure width {width!r}: expected one of {', '.join(FIGURE_WIDTHS_MM)}")
    w_in = FIGURE_WIDTHS_MM[width] / 25.4
    fig = Figure(figsize=(w_in, w_in * 1.2))  # no pyplot: no global state, no GUI backend
    margin = 0.03
    ax = fig.add_axes((margin, 0.1, (1 - 2 * margin) * share, 0.8))
    ax.set_axis_off()
    ax.set_aspect("equal")
    fig._ffh_width = width  # type: ignore[attr-defined]
    return fig, ax


def _map_legend(ax: Axes, handles: list[Any], title: str, *, handlelength: float = 1.2) -> None:
    """Legend in the sea west of northern England (upper left of the map), at the figures' smallest text size."""
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(0.0, 0.97), fontsize=MIN_FONT_PT,
              title_fontsize=MIN_FONT_PT + 0.5, frameon=False, borderaxespad=0.0, handlelength=handlelength,
              handletextpad=0.4, labelspacing=0.3)


def _inset(fig: Figure, ax: Axes, london: gpd.GeoDataFrame,
           rect: tuple[float, float, float, float] | None = None) -> Axes:
    """Add a London inset (upper right of the map, in the map's axes fraction), boxed where it is on the map."""
    minx, miny, maxx, maxy = london.total_bounds
    pad = 3000
    ax.add_patch(Rectangle((minx - pad, miny - pad), maxx - minx + 2 * pad, maxy - miny + 2 * pad, fill=False,
                           edgecolor="#444444", linewidth=0.6))
    inset = ax.inset_axes(rect or (0.72, 0.66, 0.28, 0.24))
    inset.set_xlim(minx - pad, maxx + pad)
    inset.set_ylim(miny - pad, maxy + pad)
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.xaxis.label.set_visible(False)  # geopandas labels axes with the CRS's axis names when it plots
    inset.yaxis.label.set_visible(False)
    for s in inset.spines.values():
        s.set_edgecolor("#444444")
        s.set_linewidth(0.6)
    inset.set_title("London", fontsize=MIN_FONT_PT, pad=2)
    return inset


def _scale_bar(ax: Axes, *, length_m: float = 100_000) -> None:
    """Draw a two-segment scale bar at the lower right (EPSG:27700 axes are in metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x = x0 + 0.70 * (x1 - x0)
    y = y0 + 0.03 * (y1 - y0)
    h = 0.008 * (y1 - y0)
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((x + i * length_m / 2, y), length_m / 2, h, facecolor=colour, edgecolor="black",
                               linewidth=0.6))
    for dx, text in ((0, "0"), (length_m, f"{length_m / 1000:g} km")):
        ax.text(x + dx, y + 1.8 * h, text, fontsize=MIN_FONT_PT, ha="center", va="bottom")
    ax.text(x + length_m / 2, y - 1.2 * h, f"{length_m / METRES_PER_MILE:.0f} miles", fontsize=MIN_FONT_PT,
            ha="center", va="top")


def _north_arrow(ax: Axes) -> None:
    ax.annotate("N", xy=(0.96, 0.60), xytext=(0.96, 0.53), xycoords="axes fraction", ha="center", va="center",
                fontsize=9, fontweight="bold",
                arrowprops={"facecolor": "black", "width": 2.5, "headwidth": 8, "headlength": 8})


def _decorate(fig: Figure, ax: Axes, *, title: str, subtitle: str, source: str, note: str = "",
              roads: bool = False) -> None:
    """Title, subtitle, footer (note, source, attribution), scale bar and north arrow; then size the figure.

    The title and footer are wrapped to the figure's width and the figure's height is set so that the map keeps
    its aspect between them: nothing is cut, whatever the width.
    """
    single = getattr(fig, "_ffh_width", "double") == "single"
    _scale_bar(ax)
    _north_arrow(ax)
    margin = 0.03
    t = fit_footer(fig, title, x=margin, y=0.99, fontsize=10.5 if single else 13, va="top", reserve=False,
                   color="#000000", weight="bold")
    sub = None
    if subtitle:
        synthetic = "SYNTHETIC" in subtitle.upper()
        sub = fit_footer(fig, subtitle, x=margin, y=0.9, fontsize=8.0, va="top", reserve=False,
                         color="#b30000" if synthetic else "#333333", weight="bold" if synthetic else "normal")
    attribution = ATTRIBUTION + (f"; {OSM_ATTRIBUTION}" if roads else "")
    parts = (note, f"Source: {source}" if source else "", attribution)
    text = " ".join(x.rstrip(".") + "." for x in parts if x)
    fig._ffh_source = text  # type: ignore[attr-defined]
    foot = fit_footer(fig, text, x=margin, y=0.05, fontsize=MIN_FONT_PT, va="top", reserve=False)
    renderer = _renderer(fig)
    w_in = fig.get_figwidth()
    inch = fig.dpi

    def height(artist: Text | None) -> float:
        return 0.0 if artist is None else artist.get_window_extent(renderer).height / inch

    h_title, h_sub, h_foot = height(t), height(sub), height(foot)
    x0, y0, x1, y1 = ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1]
    pos = ax.get_position()
    map_w = pos.width * w_in
    map_h = map_w * (y1 - y0) / (x1 - x0)
    extra = getattr(fig, "_ffh_below", 0.0) * map_h
    gap = 0.08
    total = gap + h_title + (gap / 2 + h_sub if sub is not None else 0) + gap + map_h + extra + gap + h_foot + gap
    fig.set_size_inches(w_in, total)
    y = 1 - gap / total
    t.set_y(y)
    y -= h_title / total
    if sub is not None:
        y -= gap / 2 / total
        sub.set_y(y)
        y -= h_sub / total
    y -= gap / total
    ax.set_position((pos.x0, y - map_h / total, pos.width, map_h / total))
    foot.set_y((gap + h_foot) / total)


def _band_chart(ax: Axes, published: pd.DataFrame, *, rect: tuple[float, float, float, float]) -> None:
    """Bars of the distance bands as published (:func:`maps.distance_tables.publish_distances`, as the map's table).

    ``rect`` is in the map's axes fraction (below the map, a negative ``y``; beside it, ``x`` above 1).
    """
    cols = [c for c in ("straight_line", "road") if c in published.columns]
    if not cols:
        return
    table = published.set_index("distance_band")
    safe = table.drop(index=TOTAL_ROW)
    check_no_small_counts(safe[cols].apply(pd.to_numeric, errors="coerce"), count_columns=cols,
                          source="distance bands")
    if rect[1] < 0:
        ax.figure._ffh_below = -rect[1] + 0.04  # type: ignore[union-attr]  # room under the map (_decorate)
    axb = ax.inset_axes(rect)
    x = np.arange(len(safe))
    w = 0.8 / len(cols)
    for j, c in enumerate(cols):
        vals = pd.to_numeric(safe[c], errors="coerce").fillna(0).to_numpy()
        total = table.loc[TOTAL_ROW, c]
        axb.bar(x + j * w - 0.4 + w / 2, vals, w, color=("#2166ac", "#b2182b")[j],
                label=f"{'Straight line' if c == 'straight_line' else 'Road'} (total {int(total):,})")
        for xi, lab in zip(x, safe[c], strict=True):
            if lab in HIDDEN_LABELS:
                axb.text(xi + j * w - 0.4 + w / 2, 0, "<5" if lab == SUPPRESSED_LABEL else "s", fontsize=MIN_FONT_PT,
                         ha="center", va="bottom")
    labels = [str(i).replace(" miles", "").replace("over ", ">") for i in safe.index]
    axb.set_xticks(x, labels, fontsize=MIN_FONT_PT)
    axb.tick_params(axis="y", labelsize=MIN_FONT_PT)
    axb.set_title("Placements by distance from home (miles)", fontsize=MIN_FONT_PT + 0.5)
    top = axb.get_ylim()[1]
    axb.set_ylim(0, top * 1.4)  # headroom: the legend sits above the bars
    axb.legend(fontsize=MIN_FONT_PT, frameon=False, loc="upper right")
    for s in ("top", "right"):
        axb.spines[s].set_visible(False)
