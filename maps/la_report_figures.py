"""Charts of the LA report, each drawn on a given matplotlib Axes (so the HTML and the A4 PDF draw the same).

Every text is at least :data:`MIN_PT` points at the size it is drawn; maps are in EPSG:27700 (metres).
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from distance.straight import METRES_PER_MILE
from maps.la_report_children import ChildPart, SurfaceWindow
from maps.la_report_data import ROLE_ENGLAND, ROLE_LA, ROLE_NEIGHBOUR, ROLE_REGION, CompareMeasure, Comparison

logger = logging.getLogger(__name__)

__all__ = ["MIN_PT", "LA_COLOUR", "NEIGHBOUR_COLOUR", "OUT_COLOUR", "IN_COLOUR", "ranked_bars", "time_series",
           "flow_map", "band_bars", "surface_map", "SURFACE_MILES"]

MIN_PT = 7.0
"""Smallest text size (points) at print size."""
LA_COLOUR, NEIGHBOUR_COLOUR, REGION_COLOUR, ENGLAND_COLOUR = "#b2182b", "#8c96a6", "#2166ac", "#222222"
OUT_COLOUR, IN_COLOUR = "#d6604d", "#4393c3"
SURFACE_MILES = (0.0, 5.0, 10.0, 20.0, 30.0, 50.0)
"""Class edges (miles, straight line) of the nearest-place surface; the last class is open."""
_FS = 7.5


def ranked_bars(ax: Axes, comp: Comparison, measure: CompareMeasure, *, year: int) -> None:
    """Draw the LA and its ten neighbours ranked on ``measure`` in ``year``, with region and England as lines.

    Areas without a value are listed at the bottom with the DfE symbol (c, x, z) instead of a bar.
    """
    t = comp.at(year)
    t = t[t["measure"] == measure.name]
    las = t[t["role"].isin([ROLE_LA, ROLE_NEIGHBOUR])]
    shown = las.dropna(subset=["value"]).sort_values("value", ascending=True)
    blank = las[las["value"].isna()]
    labels = [f"{n} ({s})" for n, s in zip(blank["area_name"], blank["symbol"], strict=True)] + list(shown["area_name"])
    values = [0.0] * len(blank) + list(shown["value"])
    colours = ["none"] * len(blank) + [LA_COLOUR if r == ROLE_LA else NEIGHBOUR_COLOUR for r in shown["role"]]
    y = np.arange(len(labels))
    ax.barh(y, values, color=colours, height=0.7)
    ax.set_yticks(y, labels, fontsize=_FS)
    for tick, lab in zip(ax.get_yticklabels(), labels, strict=True):
        if lab == comp.la_name:
            tick.set_fontweight("bold")
            tick.set_color(LA_COLOUR)
    for yi, v in zip(y[len(blank):], shown["value"], strict=True):
        ax.annotate(measure.fmt.format(v), (v, yi), xytext=(2 if v >= 0 else -2, 0), textcoords="offset points",
                    va="center", ha="left" if v >= 0 else "right", fontsize=_FS)
    handles = []
    styles: tuple[tuple[str, str, Literal["--", ":"]], ...] = ((ROLE_REGION, REGION_COLOUR, "--"),
                                                               (ROLE_ENGLAND, ENGLAND_COLOUR, ":"))
    for role, colour, style in styles:
        row = t[t["role"] == role]
        v = float(row["value"].iloc[0]) if len(row) else float("nan")
        if np.isfinite(v):
            ax.axvline(v, color=colour, linestyle=style, linewidth=1.2)
            handles.append(Line2D([], [], color=colour, linestyle=style,
                                  label=f"{row['area_name'].iloc[0]}: {measure.fmt.format(v)}"))
    if (shown["value"] < 0).any():
        ax.axvline(0, color="#444444", linewidth=0.6)
    ax.set_title(_wrap(measure.label, 60), fontsize=8.5, loc="left")
    ax.tick_params(axis="x", labelsize=_FS)
    ax.set_xlabel(f"{measure.unit}, 31 March {year}; {measure.higher}", fontsize=_FS)
    ax.margins(x=0.15)
    if handles:
        ax.legend(handles=handles, fontsize=_FS, loc="lower right", frameon=True, framealpha=0.9)
    ax.spines[["top", "right"]].set_visible(False)


def time_series(ax: Axes, comp: Comparison, measure: CompareMeasure) -> None:
    """Draw the LA, its neighbours' median and range, the region and England on ``measure`` over the years."""
    t = comp.table[comp.table["measure"] == measure.name]
    years = sorted(t["time_period"].unique())
    wide = t.pivot_table(index="time_period", columns="area_code", values="value", aggfunc="first").reindex(years)
    nb = wide.reindex(columns=[n.la_code for n in comp.neighbours])
    counted = nb.notna().sum(axis=1)
    med = nb.median(axis=1).where(counted >= 6)
    lo, hi = nb.min(axis=1).where(counted >= 6), nb.max(axis=1).where(counted >= 6)
    ax.fill_between(years, lo.astype(float), hi.astype(float), color=NEIGHBOUR_COLOUR, alpha=0.25, linewidth=0,
                    label="neighbours' range")
    ax.plot(years, med, color=NEIGHBOUR_COLOUR, linewidth=1.5, label="neighbours' median")
    for code, colour, style, label, width in (
            (comp.region_code, REGION_COLOUR, "--", comp.region_name, 1.2),
            ("E92000001", ENGLAND_COLOUR, ":", "England", 1.4),
            (comp.la, LA_COLOUR, "-", comp.la_name, 2.2)):
        if code in wide.columns:
            ax.plot(years, wide[code], color=colour, linestyle=style, linewidth=width, marker="o", markersize=2.5,
                    label=label)
    ax.set_title(_wrap(measure.label, 60), fontsize=8.5, loc="left")
    ax.set_ylabel(measure.unit, fontsize=_FS)
    ax.tick_params(labelsize=_FS)
    ax.set_xticks([y for y in years if y % 2 == 0] or years)
    if measure.name.endswith("gap_per_10k_children"):
        ax.axhline(0, color="#444444", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)


def flow_map(ax: Axes, part: ChildPart, *, la: str, las: gpd.GeoDataFrame, near_m: float | None = None) -> None:
    """Every flow out of and into the LA, numbered like the tables beside it (EPSG:27700).

    Line width grows with the children (flows of fewer than 5 are thin and dashed: their count is hidden). With
    ``near_m`` (metres) the map shows only the LA's bounds plus that margin, to tell the nearby flows apart.
    """
    centre = las.geometry.representative_point()
    flows = pd.concat([part.flows_out.assign(direction="out"), part.flows_in.assign(direction="in")],
                      ignore_index=True)
    flows = flows[flows["other_la"].isin(las.index)]
    codes = [la, *flows["other_la"].unique()]
    xmin, ymin, xmax, ymax = las.loc[codes].total_bounds
    pad = 0.05 * max(xmax - xmin, ymax - ymin, 50_000)
    if near_m is not None:
        xmin, ymin, xmax, ymax = las.loc[[la]].total_bounds
        xmin, ymin, xmax, ymax, pad = xmin - near_m, ymin - near_m, xmax + near_m, ymax + near_m, 0.0
    las.plot(ax=ax, color="#f2f2f2", edgecolor="#bbbbbb", linewidth=0.3)
    las.loc[[la]].plot(ax=ax, color="#f4c7c3", edgecolor=LA_COLOUR, linewidth=1.0)
    x0, y0 = centre[la].x, centre[la].y
    biggest = float(flows["children"].astype("Float64").max()) if flows["children"].notna().any() else 1.0
    for direction, colour, offset in (("out", OUT_COLOUR, 1), ("in", IN_COLOUR, -1)):
        part_rows = flows[flows["direction"] == direction]
        for i, r in enumerate(part_rows.itertuples(), start=1):
            x1, y1 = centre[r.other_la].x, centre[r.other_la].y
            hidden = pd.isna(r.children)
            width = 0.6 if hidden else 0.8 + 3.2 * float(r.children) / biggest
            src, dst = ((x0, y0), (x1, y1)) if direction == "out" else ((x1, y1), (x0, y0))
            ax.add_patch(FancyArrowPatch(src, dst, arrowstyle="-|>", color=colour, linewidth=width,
                                         linestyle="--" if hidden else "-", connectionstyle=f"arc3,rad={0.15 * offset}",
                                         shrinkA=0, shrinkB=2, mutation_scale=6, alpha=0.85))
            inside = near_m is None or (xmin < x1 < xmax and ymin < y1 < ymax)
            if inside:
                ax.annotate(f"{'O' if direction == 'out' else 'I'}{i}", (x1, y1),
                            xytext=(4 * offset, 4 * offset), textcoords="offset points", fontsize=7,
                            color=colour, fontweight="bold")
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if near_m is not None:
        for code, p in centre.items():
            if code != la and xmin < p.x < xmax and ymin < p.y < ymax:
                ax.annotate(_wrap(str(las.at[code, "la_name"]), 14), (p.x, p.y), xytext=(0, -9),
                            textcoords="offset points", fontsize=7, ha="center", color="#555555")
        _scale_bar(ax, length_m=10_000)
        return
    _scale_bar(ax)
    ax.legend(handles=[Line2D([], [], color=OUT_COLOUR, linewidth=2, label="placed out: O1, O2 … (table)"),
                       Line2D([], [], color=IN_COLOUR, linewidth=2, label="placed in by other LAs: I1, I2 …"),
                       Line2D([], [], color="#666666", linewidth=0.6, linestyle="--",
                              label="fewer than 5 children (count hidden)")],
              fontsize=_FS, loc="lower left", framealpha=0.9)


def band_bars(ax: Axes, part: ChildPart) -> None:
    """Draw the LA's placements by straight-line distance band as published (a hidden band is marked, not drawn)."""
    body = part.bands[part.bands["distance_band"] != "Total"]
    col = "straight_line"
    labels = body["distance_band"].astype(str).tolist()
    text = body[col].astype(str).tolist()
    values = [float(v) if v.isdigit() else 0.0 for v in text]
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=LA_COLOUR if not part.synthetic else "#999999", height=0.65)
    for yi, v, s in zip(y, values, text, strict=True):
        ax.annotate(s, (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=_FS)
    ax.set_yticks(y, labels, fontsize=_FS)
    ax.tick_params(axis="x", labelsize=_FS)
    ax.set_xlabel(f"{str(body['counts'].iloc[0])} (straight-line miles from home, DfE bands)", fontsize=_FS)
    ax.margins(x=0.2)
    ax.spines[["top", "right"]].set_visible(False)


def surface_map(ax: Axes, window: SurfaceWindow, *, la: str, las: gpd.GeoDataFrame) -> None:
    """Straight-line miles to the nearest children's-home place around the LA (EPSG:27700), with LA outlines."""
    miles = window.values * 1000.0 / METRES_PER_MILE
    edges = [*SURFACE_MILES, max(float(np.nanmax(miles)) if np.isfinite(miles).any() else 60.0, 60.0) + 1]
    colours = ["#fff5eb", "#fdd0a2", "#fdae6b", "#f16913", "#d94801", "#7f2704"][:len(edges) - 1]
    cmap = ListedColormap(colours)
    norm = BoundaryNorm(edges, cmap.N)
    ax.imshow(np.ma.masked_invalid(miles), extent=window.extent, cmap=cmap, norm=norm, origin="upper",
              interpolation="nearest")
    xmin, xmax, ymin, ymax = window.extent
    near = las.cx[xmin:xmax, ymin:ymax]
    near.boundary.plot(ax=ax, color="#666666", linewidth=0.4)
    las.loc[[la]].boundary.plot(ax=ax, color=LA_COLOUR, linewidth=1.4)
    for code, p in near.geometry.representative_point().items():
        if xmin < p.x < xmax and ymin < p.y < ymax:
            ax.annotate(_wrap(str(near.at[code, "la_name"]), 14), (p.x, p.y), fontsize=7, ha="center", va="center",
                        color="#222222" if code != la else LA_COLOUR, fontweight="bold" if code == la else "normal")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, length_m=10_000)
    labels = [f"{a:g}–{b:g}" for a, b in zip(SURFACE_MILES[:-1], SURFACE_MILES[1:], strict=True)] + \
        [f"{SURFACE_MILES[-1]:g} or more"]
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#999999", label=lab) for c, lab in zip(colours, labels,
                                                                                          strict=False)],
              title="miles to nearest place\n(straight line)", title_fontsize=_FS, fontsize=_FS, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)


def _scale_bar(ax: Axes, *, length_m: float = 50_000) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x1 - (x1 - x0) * 0.04 - length_m, y0 + (y1 - y0) * 0.04
    ax.plot([x, x + length_m], [y, y], color="#222222", linewidth=2, solid_capstyle="butt")
    ax.annotate(f"{length_m / 1000:g} km", (x + length_m / 2, y), xytext=(0, 3), textcoords="offset points",
                ha="center", fontsize=7)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
