"""Publication figures (matplotlib/geopandas): title, legend, scale bar, north arrow, London inset, sources."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path

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
from maps.distance_tables import HIDDEN_LABELS, DistancePublication, publish_distances
from maps.interactive import _LISA_COLOURS as LISA_COLOURS  # one set of cluster colours for map and figure
from maps.interactive import SUPPLY_LAYERS, Layer, classify, colour_ramp, format_value
from maps.summary import TOTAL_ROW

logger = logging.getLogger(__name__)

__all__ = ["FIGSIZE_IN", "DPI", "FIGURE_FORMATS", "supply_figure", "lisa_figure", "flow_figure", "distance_figure",
           "save_figure", "save_all", "fit_footer", "diverging_classes", "DIVERGING_COLUMNS"]

FIGSIZE_IN = (7.5, 9.0)
"""Figure size in inches: at :data:`DPI` a PNG is 2250 × 2700 pixels."""

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
    """
    check_bng(frame, name="supply figure frame")
    ly = layer or next((x for x in SUPPLY_LAYERS if x.column == column), Layer(column, column))
    if ly.column not in frame.columns:
        raise MissingColumnsError("supply figure frame", [ly.column], [str(c) for c in frame.columns])
    values = pd.to_numeric(frame[ly.column], errors="coerce")
    if ly.column in DIVERGING_COLUMNS and bins is None and scheme == "quantiles":
        classes, edges = diverging_classes(values)
        colours = _diverging_colours(ly.cmap, edges)
    else:
        classes, edges = classify(values, scheme=scheme, k=k, bins=bins)
        colours = colour_ramp(ly.cmap, max(len(edges) - 1, 1))
    fills = np.array([colours[c] if c >= 0 else "#d9d9d9" for c in classes])
    fig, ax = _figure()
    frame.plot(ax=ax, color=fills, edgecolor="white", linewidth=0.25)
    if regions is not None:
        check_bng(regions, name="regions")
        regions.boundary.plot(ax=ax, color="#252525", linewidth=0.6)
    def edge(x: float) -> str:
        return "0" if x == 0 else format_value(ly.fmt, x)

    handles = [Patch(facecolor=colours[i], edgecolor="#999999", label=f"{edge(edges[i])} – {edge(edges[i + 1])}")
               for i in range(len(edges) - 1)]
    if (classes < 0).any():
        handles.append(Patch(facecolor="#d9d9d9", edgecolor="#999999", label="no data"))
    ax.legend(handles=handles, title=ly.label, loc="upper left", bbox_to_anchor=(0.0, 0.86), fontsize=7,
              title_fontsize=7.5, frameon=False)
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
    fig, ax = _figure()
    frame.plot(ax=ax, color=fills, edgecolor="#bdbdbd", linewidth=0.25)
    if regions is not None:
        check_bng(regions, name="regions")
        regions.boundary.plot(ax=ax, color="#252525", linewidth=0.6)
    handles = [Patch(facecolor=colour, edgecolor="#999999", label=f"{name} ({int((labels == k).sum())} LAs)")
               for k, (colour, name) in {**LISA_COLOURS, **_LISA_EXTRA}.items() if (labels == k).any()]
    ax.legend(handles=handles, title="LISA cluster", loc="upper left", bbox_to_anchor=(0.0, 0.86), fontsize=7,
              title_fontsize=7.5, frameon=False)
    if "region_code" in frame.columns and (frame["region_code"] == _LONDON).any():
        london = (frame["region_code"] == _LONDON).to_numpy()
        inset = _inset(fig, ax, frame[london])
        frame[london].plot(ax=inset, color=fills[london], edgecolor="#bdbdbd", linewidth=0.3)
    _decorate(fig, ax, title=title, subtitle=subtitle, source=source, note=note)
    return fig


def diverging_classes(values: pd.Series, *, k_side: int = 3) -> tuple[pd.Series, list[float]]:
    """Class signed values symmetrically about zero: ``k_side`` classes below zero, ``k_side`` above.

    The edges are ``-m, …, 0, …, m`` with ``m`` the largest absolute value and the inner edges at quantiles of the
    absolute values (rounded to two significant figures), the same on both sides, so equal colours mean equal
    sizes of deficit and surplus. Missing values get class -1. Returns (classes indexed like ``values``, edges).
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    out = pd.Series(-1, index=values.index, dtype=int)
    ok = v.notna()
    if not ok.any():
        return out, []
    a = np.abs(v[ok].to_numpy())
    top = float(a.max()) or 1.0
    inner = sorted({_round_sig(float(q)) for q in np.quantile(a[a > 0] if (a > 0).any() else a,
                                                                np.linspace(0, 1, k_side + 1)[1:-1])} - {0.0})
    inner = [e for e in inner if e < top]
    pos = [*inner, top]
    edges = [-e for e in reversed(pos)] + [0.0] + pos
    cls = np.searchsorted(np.asarray(edges[1:-1]), v[ok].to_numpy(), side="right")
    out[ok] = cls.astype(int)
    return out, edges


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
    fig, ax = _figure()
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
        width = 0.4 + 4.0 * float(n) / top
        for target in axes:
            target.add_patch(FancyArrowPatch(p0, p1, connectionstyle="arc3,rad=-0.18", arrowstyle="-|>",
                                             mutation_scale=6 + 2 * width, linewidth=width, color="#b2182b",
                                             alpha=0.75))
    handles = [Line2D([], [], color="#b2182b", linewidth=0.4 + 4.0 * v / top, label=f"{v:,.0f} children")
               for v in sorted({top, max(round(top / 2), 5), 5}, reverse=True) if v <= top]
    ax.legend(handles=handles, title="Children placed", loc="upper left", bbox_to_anchor=(0.0, 0.86), fontsize=7,
              title_fontsize=7.5, frameon=False)
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
    fig, ax = _figure((0.0, 0.09, 0.68, 0.80))
    las.plot(ax=ax, color=fills, edgecolor="#b0b0b0", linewidth=0.25)
    las.loc[[la]].boundary.plot(ax=ax, color="black", linewidth=1.4)
    if "region_code" in las.columns and (las["region_code"] == _LONDON).any():
        london = (las["region_code"] == _LONDON).to_numpy()
        inset = _inset(fig, ax, las[london], rect=(0.72, 0.12, 0.25, 0.19))
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
                    fontsize=6, color="#08306b", ha="left" if bearing == 0 else "center", va="bottom",
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    handles = [Patch(facecolor=colours[i], edgecolor="#999999",
                     label=f"{edges[i]:,.0f} – {edges[i + 1]:,.0f}") for i in range(len(edges) - 1)]
    handles += [Patch(facecolor="#bdbdbd", edgecolor="#999999", label=f"{SUPPRESSED_LABEL} (or suppressed)"),
                Patch(facecolor="#f7f7f7", edgecolor="#999999", label="none")]
    name = str(las.loc[la, "la_name"]) if "la_name" in las.columns else la
    fig.legend(handles=handles, title=f"{name}'s children placed", loc="upper left",
               bbox_to_anchor=(0.69, 0.52), fontsize=7, title_fontsize=7.5, frameon=False)
    if pub.bands is not None:
        _band_chart(fig, pub.bands)
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
               va: str = "bottom", reserve: bool = True, color: str = "#333333") -> Text:
    """Write a footer (sources, attribution) wrapped so that every line fits inside the figure; return it.

    Each paragraph (between newlines) is wrapped at the most characters whose rendered line still ends inside the
    figure's right edge (less a margin equal to ``x``), measured with the figure's own renderer, so nothing is cut off
    ("© OpenStreetMap contr"). With ``reserve`` and a constrained layout, the axes are laid out above the footer.
    """
    renderer = _renderer(fig)
    fig_w = fig.bbox.width
    limit = fig_w * (1 - 2 * x)
    t = fig.text(x, y, text, fontsize=fontsize, ha="left", va=va, color=color)
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


def _figure(rect: tuple[float, float, float, float] = (0.02, 0.09, 0.96, 0.80)) -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE_IN)  # no pyplot: no global state, no GUI backend
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _inset(fig: Figure, ax: Axes, london: gpd.GeoDataFrame,
           rect: tuple[float, float, float, float] = (0.71, 0.61, 0.27, 0.21)) -> Axes:
    """Add a London inset (upper right by default), with a box on the main map showing where it is."""
    minx, miny, maxx, maxy = london.total_bounds
    pad = 3000
    ax.add_patch(Rectangle((minx - pad, miny - pad), maxx - minx + 2 * pad, maxy - miny + 2 * pad, fill=False,
                           edgecolor="#444444", linewidth=0.6))
    inset = fig.add_axes(rect)
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
    inset.set_title("London", fontsize=7, pad=2)
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
    for dx, text in ((0, "0"), (length_m / 2, f"{length_m / 2000:g}"), (length_m, f"{length_m / 1000:g} km")):
        ax.text(x + dx, y + 1.8 * h, text, fontsize=6.5, ha="center", va="bottom")
    ax.text(x + length_m / 2, y - 1.2 * h, f"{length_m / METRES_PER_MILE:.0f} miles", fontsize=6, ha="center", va="top")


def _north_arrow(ax: Axes) -> None:
    ax.annotate("N", xy=(0.05, 0.99), xytext=(0.05, 0.91), xycoords="axes fraction", ha="center", va="center",
                fontsize=10, fontweight="bold",
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 10})


def _decorate(fig: Figure, ax: Axes, *, title: str, subtitle: str, source: str, note: str = "",
              roads: bool = False) -> None:
    fig.text(0.03, 0.975, title, fontsize=13, fontweight="bold", va="top")
    if subtitle:
        synthetic = "SYNTHETIC" in subtitle.upper()
        fig.text(0.03, 0.945, subtitle, fontsize=8.5, va="top", color="#b30000" if synthetic else "#333333",
                 fontweight="bold" if synthetic else "normal")
    attribution = ATTRIBUTION + (f"; {OSM_ATTRIBUTION}" if roads else "")
    parts = (note, f"Source: {source}" if source else "", attribution)
    text = " ".join(x.rstrip(".") + "." for x in parts if x)
    fig._ffh_source = text  # type: ignore[attr-defined]
    fit_footer(fig, text, x=0.03, y=0.075, fontsize=5.6, va="top", reserve=False)
    _scale_bar(ax)
    _north_arrow(ax)


def _band_chart(fig: Figure, published: pd.DataFrame) -> None:
    """Bars of the distance bands as published (:func:`maps.distance_tables.publish_distances`, as the map's table)."""
    cols = [c for c in ("straight_line", "road") if c in published.columns]
    if not cols:
        return
    table = published.set_index("distance_band")
    safe = table.drop(index=TOTAL_ROW)
    check_no_small_counts(safe[cols].apply(pd.to_numeric, errors="coerce"), count_columns=cols,
                          source="distance bands")
    axb = fig.add_axes((0.73, 0.62, 0.25, 0.16))
    x = np.arange(len(safe))
    w = 0.8 / len(cols)
    for j, c in enumerate(cols):
        vals = pd.to_numeric(safe[c], errors="coerce").fillna(0).to_numpy()
        total = table.loc[TOTAL_ROW, c]
        axb.bar(x + j * w - 0.4 + w / 2, vals, w, color=("#2166ac", "#b2182b")[j],
                label=f"{'Straight line' if c == 'straight_line' else 'Road'} (total {int(total):,})")
        for xi, lab in zip(x, safe[c], strict=True):
            if lab in HIDDEN_LABELS:
                axb.text(xi + j * w - 0.4 + w / 2, 0, "<5" if lab == SUPPRESSED_LABEL else "s", fontsize=5,
                         ha="center", va="bottom")
    labels = [str(i).replace(" miles", "").replace("over ", ">") for i in safe.index]
    axb.set_xticks(x, labels, fontsize=5.5)
    axb.tick_params(axis="y", labelsize=5.5)
    axb.set_title("Placements by distance from home (miles)", fontsize=6.5)
    axb.legend(fontsize=5.5, frameon=False)
    for s in ("top", "right"):
        axb.spines[s].set_visible(False)
