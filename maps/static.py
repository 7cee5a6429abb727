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
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

from distance.straight import METRES_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng
from geo.disclosure import SUPPRESSED_LABEL, check_no_small_counts, suppress_counts
from geo.errors import InputError, MissingColumnsError, require_columns
from maps.interactive import SUPPLY_LAYERS, Layer, classify, colour_ramp, format_value

logger = logging.getLogger(__name__)

__all__ = ["FIGSIZE_IN", "DPI", "supply_figure", "flow_figure", "distance_figure", "save_figure"]

FIGSIZE_IN = (7.5, 9.0)
"""Figure size in inches: at :data:`DPI` a PNG is 2250 × 2700 pixels."""

DPI = 300
"""Resolution of PNG output (dots per inch)."""

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
        Classification (see :func:`maps.interactive.classify`).
    title, subtitle, source
        Title, a line under it (e.g. the year), and the data sources; the licence attribution is always added.
    """
    check_bng(frame, name="supply figure frame")
    ly = layer or next((x for x in SUPPLY_LAYERS if x.column == column), Layer(column, column))
    if ly.column not in frame.columns:
        raise MissingColumnsError("supply figure frame", [ly.column], [str(c) for c in frame.columns])
    values = pd.to_numeric(frame[ly.column], errors="coerce")
    classes, edges = classify(values, scheme=scheme, k=k, bins=bins)
    colours = colour_ramp(ly.cmap, max(len(edges) - 1, 1))
    fills = np.array([colours[c] if c >= 0 else "#d9d9d9" for c in classes])
    fig, ax = _figure()
    frame.plot(ax=ax, color=fills, edgecolor="white", linewidth=0.25)
    if regions is not None:
        check_bng(regions, name="regions")
        regions.boundary.plot(ax=ax, color="#252525", linewidth=0.6)
    handles = [Patch(facecolor=colours[i], edgecolor="#999999",
                     label=f"{format_value(ly.fmt, edges[i])} – {format_value(ly.fmt, edges[i + 1])}")
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
    """
    if count not in by_la.columns:
        raise MissingColumnsError("placements by LA", [count], [str(c) for c in by_la.columns])
    check_bng(las, name="LA polygons")
    if la not in las.index:
        raise InputError(f"distance figure: LA {la!r} has no polygon; expected an English LA code")
    safe = suppress_counts(by_la[[count]].assign(_all="all"), count_columns=[count], group="_all")
    check_no_small_counts(safe, count_columns=[count], source="placements by LA")
    values = safe[count].reindex(las.index).astype(float)
    values = values.mask(values == 0)
    classes, edges = classify(values, scheme="quantiles", k=5)
    colours = colour_ramp("YlOrRd", max(len(edges) - 1, 1))
    placed = safe[count].reindex(las.index)
    hidden = safe["suppressed"].reindex(las.index).fillna(False).astype(bool)
    fills = [colours[c] if c >= 0 else ("#bdbdbd" if h else "#f7f7f7")
             for c, h, _ in zip(classes, hidden, placed, strict=True)]
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
    if bands is not None:
        _band_chart(fig, bands)
    note = ("Rings: straight-line distance from a point inside the home LA. Bars: '<5' fewer than 5 children; "
            "'s' suppressed so that a total cannot reveal a small count.")
    if bands is not None and "road" in bands.columns:
        note += " Road and straight-line bars count only placements with both distances."
    _decorate(fig, ax, title=title or f"Where {name}'s children are placed", subtitle=subtitle, source=source,
              note=note, roads=roads)
    return fig


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


# --------------------------------------------------------------------------------------------- helpers
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
    fig.text(0.03, 0.075, textwrap.fill(text, 150), fontsize=5.6, va="top", color="#333333", wrap=False)
    _scale_bar(ax)
    _north_arrow(ax)


def _band_chart(fig: Figure, bands: pd.DataFrame) -> None:
    cols = [c for c in ("straight_line", "road") if c in bands.columns]
    if not cols:
        return
    safe = suppress_counts(bands[cols].assign(_all="all"), count_columns=cols, group="_all")
    check_no_small_counts(safe, count_columns=cols, source="distance bands")
    axb = fig.add_axes((0.73, 0.62, 0.25, 0.16))
    x = np.arange(len(safe))
    w = 0.8 / len(cols)
    for j, c in enumerate(cols):
        vals = safe[c].astype(float).fillna(0).to_numpy()
        axb.bar(x + j * w - 0.4 + w / 2, vals, w, label={"straight_line": "Straight line", "road": "Road"}[c],
                color=("#2166ac", "#b2182b")[j])
        for xi, lab in zip(x, safe[f"{c}_label"], strict=True):
            if lab in (SUPPRESSED_LABEL, "suppressed"):
                axb.text(xi + j * w - 0.4 + w / 2, 0, "<5" if lab == SUPPRESSED_LABEL else "s", fontsize=5,
                         ha="center", va="bottom")
    labels = [str(i).replace(" miles", "").replace("over ", ">") for i in safe.index]
    axb.set_xticks(x, labels, fontsize=5.5)
    axb.tick_params(axis="y", labelsize=5.5)
    axb.set_title("Children by distance from home (miles)", fontsize=6.5)
    axb.legend(fontsize=5.5, frameon=False)
    for s in ("top", "right"):
        axb.spines[s].set_visible(False)

