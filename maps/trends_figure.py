"""Publication figure of England's key trends, 2012-2025, with the 2019 inquiry's own values marked."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from geo.attribution import OGL_ATTRIBUTION
from geo.errors import InputError, require_columns
from maps.static import DPI, fit_footer, save_figure

logger = logging.getLogger(__name__)

__all__ = ["Series", "Panel", "PANELS", "MISSING_2015", "A4_LANDSCAPE_IN", "trends_figure", "write_trends_figure"]

TITLE = "England over time: children in care placed away from home, children's homes and going missing"
SOURCE = ("Source: DfE, Children looked after in England (SFR 2012-2017; EES releases 2022-2025; FOI 2024-0040813); "
          "Ofsted, Children's social care data in England (provider lists 2014-2025; published totals 2012-2025). "
          "Years end 31 March.")


MISSING_2015 = ("2015: DfE's missing collection changed (2014-15);\nearlier years are not comparable")
"""The mark on the missing panel: how missing episodes were recorded changed in the year to 31 March 2015."""

A4_LANDSCAPE_IN = (297 / 25.4, 210 / 25.4)
"""The figure's size: A4 landscape, in inches."""


@dataclass(frozen=True)
class Series:
    """One line of a panel: a measure of the trends table and its legend label."""

    measure: str
    label: str
    colour: str
    right: bool = False


@dataclass(frozen=True)
class Panel:
    """One panel: its title, the unit of its left axis (and of its right axis, for series drawn on the right)."""

    title: str
    unit: str
    series: tuple[Series, ...]
    right_unit: str = ""
    marks: tuple[tuple[int, str], ...] = ()


PANELS: tuple[Panel, ...] = (
    Panel("Placed outside their own LA", "% of children", (
        Series("chomes_outside_la_pct", "in secure and children's homes (DfE FOI)", "#b2182b"),
        Series("cla_outside_la_pct", "all children looked after", "#2166ac"))),
    Panel("Children in secure and children's homes", "children", (
        Series("children_in_childrens_homes", "all", "#762a83"),
        Series("chomes_outside_la", "placed outside their own LA", "#b2182b"))),
    Panel("Where children's homes are, and who runs them", "% of children's homes (London CLA: % of children)", (
        Series("homes_share_nw_wm_se_pct", "North West, West Midlands, South East", "#e08214"),
        Series("homes_la_run_pct", "run by local authorities", "#1b7837"),
        Series("homes_share_london_pct", "in London", "#8c510a"),
        Series("cla_share_london_pct", "London's share of children looked after", "#7f7f7f"))),
    Panel("Going missing (incidents) and children's homes", "missing incidents in the year", (
        Series("missing_incidents", "missing incidents in the year", "#d6604d"),
        Series("missing_incidents_outside_la", "of which from placements outside the boundary", "#b2182b"),
        Series("homes", "children's homes (Ofsted's published total; right axis)", "#4d4d4d", right=True)),
        right_unit="children's homes",
        marks=((2015, MISSING_2015),)),
)
"""The four panels: each measure drawn with the inquiry's values for it (diamonds) where it quoted any."""



def trends_figure(table: pd.DataFrame, *, inquiry: pd.DataFrame | None = None, panels: Sequence[Panel] = PANELS,
                  subtitle: str = "") -> Figure:
    """Four panels of national trends (lines) with the inquiry's quoted values (diamonds, labelled).

    Parameters
    ----------
    table
        National rows of :func:`provision.trends.trends` (``time_period``, ``measure``, ``value``, ``unit``).
    inquiry
        :func:`provision.headline.claims_table` (``measure``, ``year``, ``inquiry_figure``): the 2012 and 2018
        (and 2016) values the inquiry quoted, marked on their measure's line. None: no markers.
    subtitle
        A line under the title.

    Raises
    ------
    InputError
        If no measure of any panel has a value.
    """
    require_columns(table, ["time_period", "measure", "value"], "trends table")
    nat = table[table["geographic_level"] == "National"] if "geographic_level" in table.columns else table
    fig = Figure(figsize=A4_LANDSCAPE_IN, layout="constrained")
    axes = fig.subplots(2, 2, sharex=True).ravel()
    drawn = 0
    for ax, panel in zip(axes, panels, strict=False):
        drawn += _panel(ax, nat, panel, inquiry)
    if drawn == 0:
        raise InputError("nothing to draw: no measure of the trends figure has a value")
    for ax in axes[2:]:
        ax.set_xlabel("year ending 31 March")
    fig.suptitle(TITLE + (f"\n{subtitle}" if subtitle else ""), fontsize=11, fontweight="bold")
    fit_footer(fig, f"◆ value quoted by the 2019 inquiry 'No Place at Home' (APPGs for Runaway and Missing Children "
               f"and for Looked After Children). Lines: the newest staged release of each figure.\n{SOURCE}\n"
               f"{OGL_ATTRIBUTION} (Department for Education; Ofsted).", x=0.01, y=0.005, fontsize=7)
    fig._ffh_source = SOURCE  # type: ignore[attr-defined]  # read by maps.static.save_figure (PDF subject)
    return fig


def write_trends_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Save the figure as PNG (300 dpi), SVG and PDF beside ``stem``; return the paths."""
    stem = Path(stem)
    return [save_figure(fig, stem.with_suffix(f".{ext}"), dpi=DPI) for ext in ("png", "svg", "pdf")]


def _panel(ax: Axes, nat: pd.DataFrame, panel: Panel, inquiry: pd.DataFrame | None) -> int:
    drawn = 0
    right: Axes | None = None
    handles = []
    left_ax = ax
    for s in panel.series:
        rows = nat[(nat["measure"] == s.measure) & nat["value"].notna()].sort_values("time_period")
        scale = 1.0
        if s.right and right is None:
            right = ax.twinx()
            right.set_ylabel(panel.right_unit, fontsize=8)
            right.tick_params(labelsize=7.5)
            right.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax = right if s.right and right is not None else left_ax
        if len(rows):
            handles += ax.plot(rows["time_period"], rows["value"] * scale, marker="o", ms=3, lw=1.8, color=s.colour,
                               label=s.label, ls="--" if s.right else "-")
            drawn += 1
        if inquiry is None:
            continue
        quoted = inquiry[(inquiry["measure"] == s.measure) & inquiry["inquiry_figure"].notna()]
        for q in quoted.itertuples():
            ax.plot([q.year], [q.inquiry_figure * scale], marker="D", ms=7, color=s.colour, mec="black",
                    mew=0.8, ls="none", zorder=5)
            ax.annotate(_fmt(q.inquiry_figure, s.measure), (q.year, q.inquiry_figure * scale),
                        xytext=(4, 5), textcoords="offset points", fontsize=7, color=s.colour)
    ax = left_ax
    for year, text in panel.marks:
        ax.axvline(year - 0.5, color="#555555", lw=0.9, ls=":")
        ax.annotate(text, (year - 0.5, 0.97), xycoords=("data", "axes fraction"), xytext=(3, 0),
                    textcoords="offset points", fontsize=7, color="#333333", va="top", ha="left")
    if right is not None:
        lo, hi = right.get_ylim()
        right.set_ylim(0, hi * 1.15 if np.isfinite(hi) else hi)
    ax.set_title(panel.title, fontsize=9.5, loc="left")
    ax.set_ylabel(panel.unit, fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(2011.5, 2025.5)
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.tick_params(labelsize=7.5)
    if drawn:
        ax.legend(handles=handles, fontsize=7, loc="best", frameon=False)
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(0, lo), hi * 1.08 if np.isfinite(hi) else hi)
    return drawn


def _fmt(value: float, measure: str) -> str:
    return f"{value:.0f}%" if measure.endswith("_pct") else f"{value:,.0f}"
