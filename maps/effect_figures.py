"""Figures and files of the distance-and-missing analyses: the ecological scatter, the dose-response curve, tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from distance.child_models import ChildEffectResult
from distance.ecological import EcologicalResult
from distance.move_study import EventStudyResult
from distance.straight import DISTANCE_BAND_EDGES_MILES, DISTANCE_BANDS
from distance.within_child import WithinChildResult
from geo.attribution import OGL_ATTRIBUTION, OS_ATTRIBUTION, OSM_ATTRIBUTION
from geo.csvsafe import to_csv
from geo.disclosure import (
    SUPPRESSED_LABEL,
    SYNTHETIC_LABEL,
    count_text,
    publish_counts,
    publish_magnitude,
    suppress_counts,
    suppress_table,
)
from geo.errors import InputError
from maps.static import fit_footer, save_all

logger = logging.getLogger(__name__)

__all__ = ["protect_rate_table",
           "plot_ecological", "write_ecological_outputs", "plot_dose_response", "write_child_outputs",
           "plot_designs", "plot_event_study", "write_design_outputs"]


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
    """Write tables (CSV), the scatter figure (PNG at 300 dpi, SVG, PDF) and the caveat (TXT); return the paths."""
    import matplotlib.pyplot as plt

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("ecological_la_year", result.frame), ("ecological_correlations", result.correlations),
                        ("ecological_panel", result.panel), ("ecological_data_quality", result.data_quality)):
        path = out / "tables" / f"{name}.csv"
        to_csv(table, path, index=False)
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
        ref = (f"; ratio 1 at {float(d['reference_miles'].iloc[0]):.1f} miles"
               if "reference_miles" in d else "")
        ax.plot(d["distance_miles"], d["rate_ratio"], color="steelblue", lw=2,
                label=f"adjusted rate ratio (spline of log distance{ref})")
    bands = result.rate_ratios.loc[result.rate_ratios["model_id"].eq("bands")]
    if not bands.empty:
        mids = [_band_mid(lbl.split(" vs ")[0]) for lbl in bands["term"]]
        ax.errorbar(mids, bands["ratio"], yerr=[bands["ratio"] - bands["ci_low"], bands["ci_high"] - bands["ratio"]],
                    fmt="o", color="darkorange", capsize=4,
                    label="distance bands vs 0–10 miles, at mid-band")
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_yscale("log")
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel(f"distance from home to placement, {result.distance_measure} (miles)")
    ax.set_ylabel("rate ratio of missing incidents (log scale)")
    title = "Does distance make a difference? Missing incidents by distance from home"
    if result.synthetic:
        title = f"{SYNTHETIC_LABEL}\n{title}"
        fig.text(0.5, 0.5, "SYNTHETIC", fontsize=70, color="red", alpha=0.12, ha="center", va="center",
                 rotation=30)
    ax.set_title(title, fontsize=10, color="red" if result.synthetic else "black")
    ax.legend(fontsize=8, loc="best")  # where it covers least of the curve and the bands
    attribution = [OS_ATTRIBUTION, OGL_ATTRIBUTION]
    if result.distance_measure == "road":
        attribution.append(OSM_ATTRIBUTION)
    _footer(fig, (f"{SYNTHETIC_LABEL}. " if result.synthetic else "")
            + f"{count_text(result.n_placements, 'placements')}.\n"
            + ". ".join(attribution) + ".")
    return fig


def write_child_outputs(result: ChildEffectResult, out: Path, *, data_quality: pd.DataFrame | None = None,
                        min_count: int = 5, distances: pd.Series | None = None) -> list[Path]:
    """Write the child-level tables (CSV, counts below ``min_count`` suppressed) and figures (PNG 300 dpi, SVG, PDF).

    Nothing written is a statistic of fewer than ``min_count`` placements or children: a distance band that small
    has its counts hidden (with secondary suppression, as the number of placements modelled is published) and its
    median distance, placement days, rates and rate ratios blanked; the inside/outside comparison is blanked when
    either side is that small; the dose-response curve is shown between whole miles inside the 5th and 95th
    percentiles of ``distances`` (the modelled placements' miles) and inside the 5th smallest and 5th largest (not
    from the smallest, one child's distance; see :func:`_safe_dose_response`). Every file name starts with
    ``synthetic_`` and every table has a ``data`` column saying SYNTHETIC when the input was synthetic.
    """
    import dataclasses

    import matplotlib.pyplot as plt

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    prefix = "synthetic_" if result.synthetic else ""
    written = []
    rate = protect_rate_table(suppress_table(result.rate_table, min_count=min_count, column_totals=True))
    small = set(rate.loc[~rate["placements"].str.isdigit() | ~rate["children"].str.isdigit(), "distance_band"])
    safe = dataclasses.replace(result, rate_ratios=_published_n(_safe_ratios(result.rate_ratios, small)),
                               dose_response=_safe_dose_response(result, min_count, distances),
                               inside_outside=_safe_inside_outside(result.inside_outside, min_count))
    tables = {"effect_rate_by_distance_band": rate,
              "effect_rate_ratios": safe.rate_ratios, "effect_dose_response": safe.dose_response,
              "effect_inside_vs_outside_la": safe.inside_outside, "effect_ps_balance": result.balance}
    if data_quality is not None:
        dq = data_quality.drop(columns="examples", errors="ignore")
        dq = dq.assign(_group=[("placements" if str(r).startswith("placement not modelled") else f"_{i}")
                               for i, r in enumerate(dq["reason"])]) if "reason" in dq else dq
        tables["effect_data_quality"] = suppress_table(
            dq, min_count=min_count, columns=("rows",), size_columns=(),
            group="_group" if "_group" in dq else None).drop(columns="_group", errors="ignore")
    for name, table in tables.items():
        t = table.copy()
        t.insert(0, "data", result.label)
        path = out / "tables" / f"{prefix}{name}.csv"
        to_csv(t, path, index=False)
        written.append(path)
    fig = plot_dose_response(safe)
    written += _save(fig, out / "figures" / f"{prefix}effect_dose_response")
    plt.close(fig)
    path = out / f"{prefix}effect_notes.txt"
    path.write_text("\n".join([result.label, *result.notes]) + "\n", encoding="utf-8")
    written.append(path)
    return written


def protect_rate_table(table: pd.DataFrame) -> pd.DataFrame:
    """Recompute a suppressed rate table's derived numbers from its published counts (the method in force).

    ``table`` is :func:`geo.disclosure.suppress_table` of :attr:`ChildEffectResult.rate_table` (counts as text).
    Placement days are published with :func:`geo.disclosure.publish_magnitude` (cell-key noise, rounded); the
    percentage with a missing episode, the rate per 1,000 days and its exact Poisson interval are then computed
    from the published counts and days, so that none of them carries an exact count the table does not show.
    Rows whose counts are hidden keep them blank.
    """
    from scipy import stats

    out = table.copy()
    days = pd.to_numeric(out.get("placement_days"), errors="coerce") if "placement_days" in out else None
    if days is None:
        return out
    days = days.map(lambda d: publish_magnitude(float(d)) if pd.notna(d) else np.nan)
    out["placement_days"] = days
    k = pd.to_numeric(out.get("missing_incidents"), errors="coerce")
    n = pd.to_numeric(out.get("placements"), errors="coerce")
    m = pd.to_numeric(out.get("placements_with_missing"), errors="coerce")
    per = days.where(days > 0)
    if "incidents_per_1000_days" in out:
        out["incidents_per_1000_days"] = 1000 * k / per
    if {"ci_low", "ci_high"} <= set(out.columns):
        kv = k.to_numpy(float)
        with np.errstate(invalid="ignore"):
            lo = np.where(kv > 0, stats.chi2.ppf(0.025, 2 * kv) / 2, 0.0)
            hi = stats.chi2.ppf(0.975, 2 * kv + 2) / 2
        out["ci_low"] = pd.Series(1000 * lo, index=out.index).where(k.notna()) / per
        out["ci_high"] = pd.Series(1000 * hi, index=out.index).where(k.notna()) / per
    if "pct_placements_with_missing" in out:
        out["pct_placements_with_missing"] = 100 * m / n.where(n > 0)
    return out


def _published_n(ratios: pd.DataFrame) -> pd.DataFrame:
    """Return the ratio table as published: numbers of placements by the method, ratios and intervals to 2 decimals.

    The exact number of placements modelled moves with every child (two releases a child apart give it away);
    ratios to 2 decimals and p-values to 3 are what a report quotes, and carry less of any one child.
    """
    if ratios.empty:
        return ratios
    out = ratios.copy()
    if "n_placements" in out:
        counts = pd.to_numeric(out["n_placements"], errors="coerce").fillna(0)
        out["n_placements"] = pd.Series(publish_counts(counts), index=out.index).astype("Int64")
    for col, digits in (("ratio", 2), ("ci_low", 2), ("ci_high", 2), ("p_value", 3)):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(digits)
    return out


def _safe_ratios(ratios: pd.DataFrame, small: set[str]) -> pd.DataFrame:
    """Blank the band and logistic ratios of a band (or against a reference band) with fewer than 5 placements."""
    if ratios.empty or not small:
        return ratios
    bands = ratios["term"].astype(str).str.split(" vs ", regex=False)
    hit = ratios["model_id"].isin(["bands", "logistic"]) & bands.map(lambda p: any(b.strip() in small for b in p))
    cols = [c for c in ("ratio", "ci_low", "ci_high", "p_value") if c in ratios]
    out = ratios.copy()
    out.loc[hit, cols] = np.nan
    return out


def _safe_inside_outside(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Hide both counts, and blank the ratios, of a comparison whose inside or outside group is small."""
    if table.empty or not {"placements_inside", "placements_outside"} <= set(table.columns):
        return table
    inside = pd.to_numeric(table["placements_inside"], errors="coerce")
    outside = pd.to_numeric(table["placements_outside"], errors="coerce")
    small = (inside < min_count) | (outside < min_count)
    out = table.copy()
    for c in ("placements_inside", "placements_outside"):
        shown = pd.Series(publish_counts(pd.to_numeric(out[c], errors="coerce").fillna(0)), index=out.index)
        out[c] = shown.astype("Int64").astype(str).astype(object).mask(small, SUPPRESSED_LABEL)
    cols = [c for c in ("ratio", "ci_low", "ci_high", "p_value", "effective_sample_size") if c in out]
    out.loc[small, cols] = np.nan
    return out


def _safe_dose_response(result: ChildEffectResult, min_count: int,
                        distances: pd.Series | None = None) -> pd.DataFrame:
    """Re-read the dose-response curve on whole miles where the data are dense: the 5th to the 95th percentile.

    The model's own grid starts at the smallest distance (one child's, a disclosure) and ends at the 97.5th
    percentile; near zero miles its interval balloons (few placements, a log-distance spline). The curve is
    re-read (linearly, in log scale, between the model's points) from the first whole mile, at least 1, at or
    above the model's second point (never interpolating towards the smallest distance), the 5th percentile and
    the ``min_count``-th smallest of ``distances`` (the modelled placements'
    miles), to the last whole mile at or below both the 95th percentile and the ``min_count``-th largest (and the
    model's end). Without ``distances`` (the models keep no data), the 0–10 mile band's median distance (a
    published statistic of at least ``min_count`` placements) stands in for the lower end. The reference
    distance is rounded to 0.1 mile.
    """
    d = result.dose_response
    if d.empty:
        return d
    grid_x = d["distance_miles"].to_numpy(float)
    if distances is None:
        model = result.models.get("spline")
        frame = getattr(getattr(getattr(model, "model", None), "data", None), "frame", None)
        distances = frame["distance_miles"] if frame is not None and "distance_miles" in frame else None
    if distances is not None:
        x = np.sort(pd.to_numeric(distances, errors="coerce").dropna().to_numpy(float))
        if len(x) < 2 * min_count:
            return d.iloc[0:0]
        lo = max(np.ceil(np.quantile(x, 0.05)), np.ceil(x[min_count - 1]), 1.0, np.ceil(grid_x[1]))
        hi = min(np.floor(np.quantile(x, 0.95)), np.floor(x[-min_count]), np.floor(grid_x[-1]))
    else:
        first = result.rate_table.loc[result.rate_table["distance_band"].astype(str).eq(DISTANCE_BANDS[0])]
        if first.empty or int(first["placements"].iloc[0]) < min_count:
            return d.iloc[0:0]
        lo = max(np.ceil(float(first["median_distance_miles"].iloc[0])), 1.0, np.ceil(grid_x[1]))
        hi = np.floor(grid_x[-1])
    if not hi > lo:
        return d.iloc[0:0]
    grid = np.linspace(lo, hi, len(d))
    out = pd.DataFrame({"distance_miles": grid})
    for c in ("rate_ratio", "ci_low", "ci_high"):
        out[c] = np.exp(np.interp(grid, grid_x, np.log(d[c].to_numpy(float))))
    if "reference_miles" in d:
        out["reference_miles"] = d["reference_miles"].round(1).to_numpy()[: len(out)]
    return out


def plot_designs(within: WithinChildResult, *, between: ChildEffectResult | None = None) -> Any:
    """Rate ratio per 10 miles from each design, with 95% intervals, and who each rests on; returns the Figure."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = []
    if between is not None:
        b = between.per_10_miles()
        rows.append(("Between children\n(children placed further vs nearer)", b,
                     count_text(between.n_children, "children")))
    w = within.per_10_miles()
    rows.append(("Within children\n(the same child's further vs nearer placements)", w,
                 count_text(within.n_children, "children")))
    fig, ax = plt.subplots(figsize=(9, 2.2 + 1.1 * len(rows)), layout="constrained")
    for i, (_label, r, who) in enumerate(rows):
        ax.errorbar([r["ratio"]], [i], xerr=[[r["ratio"] - r["ci_low"]], [r["ci_high"] - r["ratio"]]], fmt="o",
                    color=("darkorange", "steelblue")[i == len(rows) - 1], capsize=5)
        ax.annotate(f"{r['ratio']:.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f}); {who}", (r["ci_high"], i),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(1.0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xscale("log")
    lo = min(min(r[1]["ci_low"] for r in rows), 1.0)
    hi = max(max(r[1]["ci_high"] for r in rows), 1.0)
    ax.set_xlim(lo / 1.05, hi * (hi / lo) ** 0.9 * 1.05)  # room on the right for the labels
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2f"))  # ratios near 1: 0.95, 1.00
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 7.5)))
    ax.set_xlabel(f"rate ratio of missing incidents per 10 miles further from home\n({within.distance_measure} "
                  "distance; 95% interval; log scale)")
    title = "Two designs, two questions:\ncomparing children, and comparing each child with themselves"
    _title(fig, ax, title, within.synthetic)
    _footer(fig, (f"{SYNTHETIC_LABEL}.\n" if within.synthetic else "") + ".\n".join(_attribution(
        within.distance_measure)) + ".")
    return fig


def plot_event_study(event: EventStudyResult) -> Any:
    """Missing incidents per 1,000 days in 30-day bins around moves further, nearer and keeping the distance."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    colours = {"further": "crimson", "nearer": "seagreen", "same": "grey"}
    words = {"further": f"moves more than {event.threshold_miles:g} miles further from home",
             "nearer": f"moves more than {event.threshold_miles:g} miles nearer home",
             "same": "moves keeping the distance (within 5 miles)"}
    for k, (group, sub) in enumerate(event.bins.groupby("group", sort=False)):
        mid = (sub["days_from"] + sub["days_to"] + 1) / 2 + (k - 1) * 2.5
        rate = sub["incidents_per_1000_days"]
        ax.errorbar(mid, rate, yerr=[rate - sub["ci_low"], sub["ci_high"] - rate], fmt="o-", capsize=3,
                    color=colours.get(str(group), "black"), label=words.get(str(group), str(group)))
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel(f"days from the move ({event.distance_measure} distance)")
    ax.set_ylabel("missing incidents per 1,000 days\n(exact 95% interval)")
    ax.legend(fontsize=8, loc="upper left")
    _title(fig, ax, f"Around a move: missing incidents {event.window_days} days before and after", event.synthetic)
    _footer(fig, (f"{SYNTHETIC_LABEL}.\n" if event.synthetic else "")
            + ".\n".join(_attribution(event.distance_measure)) + ".")
    return fig


def write_design_outputs(within: WithinChildResult | None, event: EventStudyResult | None, out: Path, *,
                         between: ChildEffectResult | None = None, synthetic: bool = False,
                         min_count: int = 5) -> list[Path]:
    """Write the within-child and event-study tables (counts below ``min_count`` suppressed) and figures.

    A group of children below ``min_count`` has its description blanked too (its percentages would give it away).
    """
    import matplotlib.pyplot as plt

    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    prefix = "synthetic_" if synthetic else ""
    label = SYNTHETIC_LABEL if synthetic else "child-level data"
    tables: dict[str, pd.DataFrame] = {}
    written: list[Path] = []
    if within is not None:
        tables["within_child_rate_ratios"] = within.rate_ratios
        contributions = _suppress(within.contributions, ["children", "placements", "missing_incidents"], min_count)
        tables["within_child_contributions"] = contributions
        comparison = within.comparison.copy()
        small = comparison["children"] < min_count
        if small.any() or contributions["suppressed"].any():  # the groups add up to the children of both rows
            comparison["children"] = np.where(small, f"fewer than {min_count}", "suppressed")
        else:
            comparison["children"] = publish_counts(comparison["children"]).astype(int)
        comparison.loc[small, [c for c in comparison.columns if c not in ("group", "children")]] = np.nan
        tables["within_child_who_it_rests_on"] = comparison
        fig = plot_designs(within, between=between)
        written += _save(fig, out / "figures" / f"{prefix}effect_designs")
        plt.close(fig)
    if event is not None:
        tables["event_study_bins"] = _suppress(event.bins, ["moves", "missing_incidents"], min_count, by="group")
        tables["event_study_contrasts"] = event.contrasts.assign(
            moves=[count_text(int(m)) for m in event.contrasts["moves"]])
        tables["event_study_moves"] = _suppress(event.moves, ["moves"], min_count)
        fig = plot_event_study(event)
        written += _save(fig, out / "figures" / f"{prefix}effect_event_study")
        plt.close(fig)
    for name, table in tables.items():
        t = table.copy()
        t.insert(0, "data", label)
        path = out / "tables" / f"{prefix}{name}.csv"
        to_csv(t, path, index=False)
        written.append(path)
    return written


def _suppress(table: pd.DataFrame, columns: list[str], min_count: int, by: str | None = None) -> pd.DataFrame:
    """Hide counts below ``min_count``, and the next smallest of the column (within ``by``).

    So no hidden count can be recovered from a total published elsewhere; rates and intervals built on a hidden
    incident count are blanked.
    """
    t = table.assign(_group="all" if by is None else table[by].astype(str))
    sup = suppress_counts(t, count_columns=columns, threshold=min_count, group="_group")
    out = table.copy()
    for c in columns:
        out[c] = sup[f"{c}_label"].astype(str)
    if "missing_incidents" in columns:
        for c in ("incidents_per_1000_days", "ci_low", "ci_high"):
            if c in out:
                out[c] = out[c].mask(sup["missing_incidents"].isna())
    out["suppressed"] = sup["suppressed"].to_numpy()
    return out


def _title(fig: Any, ax: Any, title: str, synthetic: bool) -> None:
    if synthetic:
        title = f"{SYNTHETIC_LABEL}\n{title}"
        fig.text(0.5, 0.5, "SYNTHETIC", fontsize=60, color="red", alpha=0.12, ha="center", va="center", rotation=30)
    ax.set_title(title, fontsize=10, color="red" if synthetic else "black")


def _attribution(measure: str) -> list[str]:
    return [OS_ATTRIBUTION, OGL_ATTRIBUTION] + ([OSM_ATTRIBUTION] if measure == "road" else [])


def _save(fig: Any, stem: Path) -> list[Path]:
    """Save PNG (300 dpi), SVG and PDF (text kept as text, so labels and attribution stay searchable)."""
    return save_all(fig, stem)


def _footer(fig: Any, text: str) -> None:
    """Attribution at the bottom of a constrained-layout figure, wrapped to fit, with room kept for it."""
    fit_footer(fig, text, x=0.01, y=0.008, fontsize=6.5)


def _plain_log_axis(axis: Any) -> None:
    """Label a log axis with plain numbers (0.5, 1, 2), not powers of ten ("2×10⁰")."""
    import matplotlib.ticker

    axis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(1.5, 3.0, 4.0, 7.0)))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _band_mid(label: str) -> float:
    """Midpoint (miles) of a distance band, where its rate ratio is drawn; 1.5 × the lower edge of the open band."""
    i = DISTANCE_BANDS.index(label.strip())
    lo, hi = DISTANCE_BAND_EDGES_MILES[i], DISTANCE_BAND_EDGES_MILES[i + 1]
    return (lo + hi) / 2 if np.isfinite(hi) else lo * 1.5
