"""Figures and files of the distance-and-missing analyses: the ecological scatter, the dose-response curve, tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from distance.child_models import ChildEffectResult
from distance.ecological import EcologicalResult
from distance.straight import DISTANCE_BAND_EDGES_MILES, DISTANCE_BANDS
from geo.attribution import OGL_ATTRIBUTION, OS_ATTRIBUTION, OSM_ATTRIBUTION
from geo.disclosure import SYNTHETIC_LABEL, suppress_table
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["plot_ecological", "write_ecological_outputs", "plot_dose_response", "write_child_outputs"]


def plot_ecological(frame: pd.DataFrame, *, result: EcologicalResult | None = None,
                    exposure: str = "pct_over_20_miles_outside_la", outcome: str = "pct_went_missing") -> Any:
    """Scatter of LA-years (coloured by year) with the pooled fitted line; returns a matplotlib Figure.

    The figure carries the OGL attribution and, when ``result`` is given, the fixed-effects estimate.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    data = frame[[exposure, outcome, "year"]].dropna()
    if data.empty:
        raise InputError(f"nothing to plot: no LA-year has both {exposure} and {outcome}")
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    sc = ax.scatter(data[exposure], data[outcome], c=data["year"], cmap="viridis", s=14, alpha=0.7,
                    edgecolor="none")
    fig.colorbar(sc, ax=ax, label="year ending 31 March")
    slope, intercept = np.polyfit(data[exposure].to_numpy(float), data[outcome].to_numpy(float), 1)
    xs = np.linspace(data[exposure].min(), data[exposure].max(), 50)
    ax.plot(xs, intercept + slope * xs, color="crimson", lw=2,
            label=f"pooled least-squares line ({slope:+.2f} per point)")
    if result is not None:
        row = result.fixed_effects.loc[result.fixed_effects["outcome"].eq(outcome)]
        if not row.empty:
            r = row.iloc[0]
            ax.plot([], [], " ", label=f"LA + year fixed effects: {r.coef:+.2f} ({r.ci_low:+.2f} to {r.ci_high:+.2f})")
    labels = {"pct_over_20_miles_outside_la": "% placed >20 miles from home (straight line) and outside the LA",
              "pct_went_missing": "% of children looked after who went missing during the year",
              "missing_incidents_per_child": "missing incidents per child looked after during the year"}
    ax.set_xlabel(labels.get(exposure, exposure))
    ax.set_ylabel(labels.get(outcome, outcome))
    years = f"{int(data['year'].min())}-{int(data['year'].max())}"
    ax.set_title(f"Distance and going missing, English local authorities, {years} (ecological: LAs, not children)",
                 fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    _footer(fig, f"Source: DfE LAIT and 'Children looked after in England'. {OGL_ATTRIBUTION}.")
    return fig


def write_ecological_outputs(result: EcologicalResult, out: Path) -> list[Path]:
    """Write tables (CSV), the scatter figure (PNG, SVG) and the caveat (TXT) into ``out``; return the paths."""
    import matplotlib.pyplot as plt

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("ecological_la_year", result.frame), ("ecological_correlations", result.correlations),
                        ("ecological_panel", result.panel), ("ecological_data_quality", result.data_quality)):
        path = out / "tables" / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    for outcome in ("pct_went_missing", "missing_incidents_per_child"):
        if result.frame[outcome].notna().sum() == 0:
            continue
        fig = plot_ecological(result.frame, result=result, outcome=outcome)
        written += _save(fig, out / "figures" / f"ecological_{outcome}")
        plt.close(fig)
    path = out / "ecological_summary.txt"
    path.write_text(result.summary() + "\n", encoding="utf-8")
    written.append(path)
    return written


def plot_dose_response(result: ChildEffectResult) -> Any:
    """Plot the adjusted rate ratio against distance (spline with 95% band, and the bands); return the Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    d = result.dose_response
    if not d.empty:
        ax.fill_between(d["distance_miles"], d["ci_low"], d["ci_high"], color="steelblue", alpha=0.25,
                        label="95% interval (spline)")
        ax.plot(d["distance_miles"], d["rate_ratio"], color="steelblue", lw=2,
                label="adjusted rate ratio (spline of log distance)")
    bands = result.rate_ratios.loc[result.rate_ratios["model_id"].eq("bands")]
    if not bands.empty:
        mids = [_band_mid(lbl.split(" vs ")[0]) for lbl in bands["term"]]
        ax.errorbar(mids, bands["ratio"], yerr=[bands["ratio"] - bands["ci_low"], bands["ci_high"] - bands["ratio"]],
                    fmt="o", color="darkorange", capsize=4,
                    label="distance bands (vs 0–10 miles), at the band's midpoint")
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel(f"distance from home to placement, {result.distance_measure} (miles)")
    ax.set_ylabel("rate ratio of missing incidents (log scale)")
    title = "Does distance make a difference? Missing incidents by distance from home"
    if result.synthetic:
        title = f"{SYNTHETIC_LABEL}\n{title}"
        fig.text(0.5, 0.5, "SYNTHETIC", fontsize=70, color="red", alpha=0.12, ha="center", va="center",
                 rotation=30)
    ax.set_title(title, fontsize=10, color="red" if result.synthetic else "black")
    ax.legend(fontsize=8, loc="upper left")
    attribution = [OS_ATTRIBUTION, OGL_ATTRIBUTION]
    if result.distance_measure == "road":
        attribution.append(OSM_ATTRIBUTION)
    _footer(fig, (f"{SYNTHETIC_LABEL}. " if result.synthetic else "") + f"{result.n_placements:,} placements.\n"
            + ". ".join(attribution) + ".")
    return fig


def write_child_outputs(result: ChildEffectResult, out: Path, *, data_quality: pd.DataFrame | None = None,
                        min_count: int = 5) -> list[Path]:
    """Write the child-level tables (CSV, counts below ``min_count`` suppressed) and figures (PNG, SVG).

    Every file name starts with ``synthetic_`` and every table has a ``data`` column saying SYNTHETIC when the
    input was synthetic.
    """
    import matplotlib.pyplot as plt

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    prefix = "synthetic_" if result.synthetic else ""
    written = []
    tables = {"effect_rate_by_distance_band": suppress_table(result.rate_table, min_count=min_count),
              "effect_rate_ratios": result.rate_ratios, "effect_dose_response": result.dose_response,
              "effect_inside_vs_outside_la": result.inside_outside, "effect_ps_balance": result.balance}
    if data_quality is not None:
        tables["effect_data_quality"] = suppress_table(data_quality.drop(columns="examples", errors="ignore"),
                                                       min_count=min_count, columns=("rows",))
    for name, table in tables.items():
        t = table.copy()
        t.insert(0, "data", result.label)
        path = out / "tables" / f"{prefix}{name}.csv"
        t.to_csv(path, index=False)
        written.append(path)
    fig = plot_dose_response(result)
    written += _save(fig, out / "figures" / f"{prefix}effect_dose_response")
    plt.close(fig)
    path = out / f"{prefix}effect_notes.txt"
    path.write_text("\n".join([result.label, *result.notes]) + "\n", encoding="utf-8")
    written.append(path)
    return written


def _save(fig: Any, stem: Path) -> list[Path]:
    """Save PNG and SVG (text kept as text, so labels and attribution stay searchable)."""
    import matplotlib

    paths = []
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for ext in ("png", "svg"):
            path = stem.with_suffix(f".{ext}")
            fig.savefig(path, dpi=150)
            paths.append(path)
    return paths


def _footer(fig: Any, text: str) -> None:
    """Attribution line at the bottom of a constrained-layout figure, with room kept for it."""
    lines = text.count("\n") + 1
    fig.get_layout_engine().set(rect=(0, 0.03 * lines, 1, 1 - 0.03 * lines))
    fig.text(0.01, 0.008, text, fontsize=6.5, ha="left", va="bottom")


def _band_mid(label: str) -> float:
    """Midpoint (miles) of a distance band, where its rate ratio is drawn; 1.5 × the lower edge of the open band."""
    i = DISTANCE_BANDS.index(label.strip())
    lo, hi = DISTANCE_BAND_EDGES_MILES[i], DISTANCE_BAND_EDGES_MILES[i + 1]
    return (lo + hi) / 2 if np.isfinite(hi) else lo * 1.5
