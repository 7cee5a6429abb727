"""Does distance make a difference? Distance from home against going missing, by LA (ecological) and by child."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from geo.errors import DataUnavailableError, InputError, MissingColumnsError, SplitAreaError, UnknownAreaCodeError

logger = logging.getLogger(__name__)

__all__ = [
    "CAVEAT_ECOLOGICAL",
    "SYNTHETIC_LABEL",
    "DISTANCE_BANDS_MILES",
    "DEFAULT_COVARIATES",
    "OGL_ATTRIBUTION",
    "EcologicalResult",
    "ChildEffectResult",
    "load_ecological",
    "ecological_effect",
    "plot_ecological",
    "write_ecological_outputs",
    "is_synthetic",
    "placement_frame",
    "child_effect",
    "plot_dose_response",
    "write_child_outputs",
]

OGL_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0"
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
SYNTHETIC_LABEL = "SYNTHETIC DATA - not real findings"

CAVEAT_ECOLOGICAL = (
    "Ecological-fallacy caveat: these are associations between local authorities' shares, not between "
    "children. An LA that places more children far away may also have more children who go missing without "
    "the far-placed children being the ones who go missing; LA-level confounders (need, sufficiency, "
    "recording practice - many LAs record 'away without authorisation' as 'missing' since 2017) can produce "
    "or hide a relation. Fixed effects remove stable LA differences and national year shocks, not changes "
    "within an LA over time. Only child-level data (SSDA903) can say whether distance makes a difference "
    "to a child."
)

DISTANCE_BANDS_MILES: tuple[float, ...] = (0.0, 10.0, 20.0, 50.0, np.inf)
"""Band edges in miles (left-closed): 0-10, 10-20, 20-50, 50+."""

DEFAULT_COVARIATES: tuple[str, ...] = (
    "age_at_start_years", "sex", "placement_type", "uasc", "legal_status", "previous_placements", "la",
)
"""Adjustment set of the child-level models (columns of :func:`placement_frame`)."""

_SYNTHETIC_ID = "SYN"  # provision.synth child identifiers
_CATEGORICAL = {"sex", "placement_type", "uasc", "legal_status", "la"}
_KM_PER_MILE = 1.609344
_MIN_PLACEMENTS = 30
_PER_PARAMETER = 10

_LAIT_PATH = "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv"
_EES_MISSING = {  # newest release first: later releases revise earlier years
    "care/dfe_cla/ees_release_2024/la_children_who_were_missing_or_away_from_placement_without_authorisation.csv":
        range(2020, 2025),
    "care/dfe_cla/ees_release_2022/la_children_who_were_missing_or_away_from_placement_without_authorisation.csv":
        range(2018, 2023),
}
_SFR_MISSING = {  # year: (missing file, its incidents column, CLA file, its "during the year" column)
    2016: ("SFR41_Missing2016.csv", "CLA_MissIncs", "SFR41_CLA2016.csv", "CLA_2016"),
    2017: ("SFR50_Missing_2017.csv", "Miss_Miss_Incs", "SFR50_CLA2017.csv", "CLA_2017"),
}
_EES_INCIDENTS = "Number of missing incidents during the year"
_EES_CLA_YEAR = "Children looked after during the year"
_SUPPRESSION = {"c": "suppressed (c)", "x": "not available (x)", "z": "not applicable (z)", "k": "under 0.5% (k)",
                "-": "suppressed or not available (-)", "": "blank", "..": "not available (..)"}


# ---------------------------------------------------------------------------------------------------------------
# Ecological: LA-level public data
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class EcologicalResult:
    """Per-year correlations, fixed-effects panel models and the data-quality table of the LA-level analysis."""

    frame: pd.DataFrame
    correlations: pd.DataFrame
    panel: pd.DataFrame
    data_quality: pd.DataFrame
    caveat: str = CAVEAT_ECOLOGICAL

    def summary(self) -> str:
        """Return a short plain-text account of the panel estimates, with the caveat."""
        lines = []
        for row in self.panel.itertuples():
            lines.append(
                f"{row.outcome}: {row.model}: {row.coef:+.3f} per percentage point placed >20 miles and outside "
                f"the LA (95% CI {row.ci_low:+.3f} to {row.ci_high:+.3f}, p={row.p_value:.3g}; "
                f"{row.n_obs} LA-years, {row.n_las} LAs)")
        lines.append(self.caveat)
        return "\n".join(lines)


def load_ecological(*, year_from: int = 2016, year_to: int = 2025) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LA-by-year frame of distance and going missing from the published DfE statistics.

    Reads the LAIT indicators ``LACDistance`` (% of children looked after at 31 March placed more than 20 miles
    from home *and* outside the LA boundary, straight-line distance as DfE computes it) and ``Children_missing``
    (% of children looked after during the year who went missing), and for missing incidents per child looked
    after during the year the EES LA files (2018-2024; the newest release wins for an overlapping year) and the
    SFR underlying tables (2016-2017).
    The LA is the responsible (placing) LA, identified by its DfE number and mapped to its 2024 ONS code.

    Parameters
    ----------
    year_from, year_to
        Years ending 31 March, inclusive (LAIT covers 2016-2025).

    Returns
    -------
    frame
        One row per LA and year: ``la_code`` (2024 ONS code), ``la_number``, ``la_name``, ``year``,
        ``pct_over_20_miles_outside_la``, ``pct_went_missing``, ``missing_incidents``,
        ``children_looked_after_during_year``, ``missing_incidents_per_child`` (NaN where not published).
    data_quality
        Rows not used, counted by source and reason (``source``, ``reason``, ``rows``, ``examples``).
    """
    if year_from > year_to:
        raise InputError(f"year range {year_from}-{year_to} is empty: --from must not be after --to")
    if year_from < 2016 or year_to > 2025:
        raise InputError(f"years {year_from}-{year_to} are outside the LAIT coverage 2016-2025")
    issues: list[dict[str, Any]] = []
    lait = _read_lait(("LACDistance", "Children_missing"), year_from, year_to, issues)
    lait = lait.drop_duplicates(["short_desc", "la_number", "year"])
    wide = lait.pivot(index=["la_number", "year"], columns="short_desc", values="value_num").reset_index()
    wide.columns.name = None
    names = lait.drop_duplicates(["la_number", "year"]).set_index(["la_number", "year"])["area_name"]
    wide["la_name"] = [names.get((n, y), "") for n, y in zip(wide["la_number"], wide["year"], strict=True)]
    wide = wide.rename(columns={"LACDistance": "pct_over_20_miles_outside_la",
                                "Children_missing": "pct_went_missing"})
    for col in ("pct_over_20_miles_outside_la", "pct_went_missing"):
        if col not in wide:
            wide[col] = np.nan
    ees = _read_ees_missing(year_from, year_to, issues)
    frame = wide.merge(ees, on=["la_number", "year"], how="left")
    frame["missing_incidents_per_child"] = frame["missing_incidents"] / frame["children_looked_after_during_year"]
    both = frame[["pct_over_20_miles_outside_la", "pct_went_missing"]].notna().all(axis=1)
    for row in frame.loc[~both].itertuples():
        which = [c for c in ("pct_over_20_miles_outside_la", "pct_went_missing") if pd.isna(getattr(row, c))]
        issues.append({"source": "LA-years", "reason": f"LA-year left out: no {' and no '.join(which)} "
                       "(suppressed, or the LA did not exist that year)",
                       "example": f"{row.la_name} ({row.la_number}) {row.year}"})
    frame = _attach_2024_codes(frame.loc[both], issues)
    frame = frame.sort_values(["year", "la_number"]).reset_index(drop=True)
    if frame.empty:
        raise DataUnavailableError(f"no LA-year has both LACDistance and Children_missing in {year_from}-{year_to}")
    cols = ["la_code", "la_number", "la_name", "year", "pct_over_20_miles_outside_la", "pct_went_missing",
            "missing_incidents", "children_looked_after_during_year", "missing_incidents_per_child"]
    logger.info("ecological frame: %d LA-years, %d LAs, %d rows set aside", len(frame),
                frame["la_code"].nunique(), len(issues))
    return frame[cols], _quality_table(issues)


def ecological_effect(frame: pd.DataFrame, *, exposure: str = "pct_over_20_miles_outside_la",
                      outcomes: tuple[str, ...] = ("pct_went_missing", "missing_incidents_per_child"),
                      data_quality: pd.DataFrame | None = None) -> EcologicalResult:
    """Per-year correlations and LA + year fixed-effects panel models of going missing on distance.

    Parameters
    ----------
    frame
        From :func:`load_ecological` (one row per ``la_code`` and ``year``).
    exposure
        Column with the share (%) of children placed far away (default: >20 miles straight-line and outside).
    outcomes
        Outcome columns; each is modelled separately on the LA-years where it is published.
    data_quality
        Passed through into the result.

    Returns
    -------
    EcologicalResult
        ``correlations``: per outcome and year, Pearson r and Spearman rho with 95% CIs (Fisher z; Bonett-Wright
        variance for rho). ``panel``: OLS of the outcome on the exposure (per percentage point), pooled with
        year effects and with LA and year fixed effects, standard errors clustered by LA.
    """
    import statsmodels.formula.api as smf

    missing = [c for c in ("la_code", "year", exposure, *outcomes) if c not in frame]
    if missing:
        raise MissingColumnsError("ecological frame", missing, list(frame.columns))
    corr_rows, panel_rows = [], []
    for outcome in outcomes:
        data = frame[["la_code", "year", exposure, outcome]].dropna()
        for year, part in data.groupby("year"):
            if len(part) < 4:
                continue
            corr_rows.append({"outcome": outcome, "year": int(year), "n_las": len(part),
                              **_correlations(part[exposure].to_numpy(float), part[outcome].to_numpy(float))})
        if data["la_code"].nunique() < 3 or len(data) < 10:
            logger.info("outcome %s: too few LA-years (%d) for a panel model", outcome, len(data))
            continue
        data = data.rename(columns={exposure: "x", outcome: "y"})
        groups = pd.factorize(data["la_code"])[0]
        for label, formula in (("pooled, year effects", "y ~ x + C(year)"),
                               ("LA and year fixed effects", "y ~ x + C(la_code) + C(year)")):
            fit = smf.ols(formula, data=data).fit(cov_type="cluster", cov_kwds={"groups": groups})
            lo, hi = fit.conf_int().loc["x"]
            within = np.nan
            if "la_code" in formula:  # partial R2 of the exposure beyond the fixed effects
                base = smf.ols("y ~ C(la_code) + C(year)", data=data).fit()
                within = 1 - fit.ssr / base.ssr if base.ssr > 0 else np.nan
            panel_rows.append({"outcome": outcome, "model": label, "exposure": exposure, "coef": fit.params["x"],
                               "std_err": fit.bse["x"], "ci_low": lo, "ci_high": hi, "p_value": fit.pvalues["x"],
                               "n_obs": int(fit.nobs), "n_las": int(data["la_code"].nunique()),
                               "years": f"{int(data['year'].min())}-{int(data['year'].max())}",
                               "r2": fit.rsquared, "within_r2": within,
                               "se": "clustered by LA"})
    if not panel_rows:
        raise InputError(f"too few LA-years for any panel model: {len(frame)} rows, at least 10 over 3 LAs needed")
    quality = data_quality if data_quality is not None else _quality_table([])
    return EcologicalResult(frame=frame, correlations=pd.DataFrame(corr_rows), panel=pd.DataFrame(panel_rows),
                            data_quality=quality)


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
        row = result.panel.query("outcome == @outcome and model == 'LA and year fixed effects'")
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


# ---------------------------------------------------------------------------------------------------------------
# Child level: SSDA903 episodes, header, missing
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class ChildEffectResult:
    """Tables, fitted models and notes of the child-level analysis."""

    rate_table: pd.DataFrame
    rate_ratios: pd.DataFrame
    dose_response: pd.DataFrame
    inside_outside: pd.DataFrame
    balance: pd.DataFrame
    synthetic: bool
    distance_measure: str
    n_placements: int
    n_children: int
    notes: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return SYNTHETIC_LABEL if self.synthetic else "child-level data"

    def per_10_miles(self) -> pd.Series:
        """Return the adjusted rate ratio per 10 miles (a row of ``rate_ratios``)."""
        return self.rate_ratios.query("model == 'incidents, per 10 miles'").iloc[0]


def is_synthetic(*frames: pd.DataFrame | None) -> bool:
    """Tell whether any frame carries a synthetic marker.

    Markers: ``attrs['synthetic']``; a truthy ``synthetic`` column; or every ``CHILD`` identifier starting
    with ``SYN`` (the marker of :func:`provision.synth.generate`).
    """
    for f in frames:
        if f is None:
            continue
        if bool(f.attrs.get("synthetic", False)):
            return True
        for col in ("synthetic", "SYNTHETIC", "is_synthetic"):
            if col in f.columns and f[col].astype(str).str.lower().isin({"true", "1", "yes", "y"}).any():
                return True
        if "CHILD" in f.columns and len(f) and f["CHILD"].astype(str).str.startswith(_SYNTHETIC_ID).all():
            return True
    return False


def placement_frame(episodes: pd.DataFrame, *, header: pd.DataFrame, missing: pd.DataFrame,
                    uasc: pd.DataFrame | None = None, reference_date: str | pd.Timestamp | None = None,
                    observation_start: str | pd.Timestamp | None = None,
                    distance: Literal["auto", "road", "straight"] = "auto", la_column: str | None = None,
                    missing_kinds: tuple[str, ...] = ("M",), source: str = "episodes") -> tuple[pd.DataFrame,
                                                                                               pd.DataFrame]:
    """One row per placement with exposure days, missing incidents during it, distance and covariates.

    Consecutive episodes of a child joined by a change of legal status only (``RNE == 'L'``, same placement
    postcode, no gap) form one placement. A placement is observed from ``max(DECOM, observation_start)`` to
    ``min(DEC, reference_date + 1 day)`` (end exclusive): that is its ``exposure_days``. Each missing episode
    (``MISSING`` in ``missing_kinds``) is counted in the placement whose observed ``[start, end)`` contains
    ``MIS_START``; the others are counted in the data-quality table with the reason.

    Parameters
    ----------
    episodes
        SSDA903 episodes (``CHILD, DECOM, RNE, LS, PLACE, DEC``; dates dd/mm/YYYY or datetimes), located by
        ``provision.placements.locate`` (``straight_distance_miles``, ``outside_la``, ``home_la``...) and
        optionally with ``road_distance_km`` from ``distance.road.road_distances``.
    header
        SSDA903 header (``CHILD, SEX, DOB``; a ``UASC`` column is used if present).
    missing
        SSDA903 missing (``CHILD, MISSING, MIS_START``).
    uasc
        Optional SSDA903 UASC table: a child listed there is unaccompanied asylum-seeking.
    reference_date
        Last day observed, closing open placements (default: the 31 March on or after the latest date in the
        data - SSDA903 collection years end on 31 March).
    observation_start
        First day observed (default: the 1 April on or before the earliest ``MIS_START``, else one collection
        year before ``reference_date``): missing episodes are only recorded from then, so placement days
        before it are not exposure.
    distance
        ``'road'`` (``road_distance_km``), ``'straight'`` (``straight_distance_miles``) or ``'auto'`` (road if
        the column is there, else straight-line). Distances are in miles in ``distance_miles``.
    la_column
        Column of ``episodes`` naming the responsible LA (default: first of ``responsible_la`` (added by
        ``locate``), ``LA``, ``la``, ``la_code``, ``home_la``).
    missing_kinds
        ``MISSING`` codes counted: ``'M'`` missing (default); add ``'A'`` for away without authorisation.
    source
        File name used in error messages.

    Returns
    -------
    frame
        Indexed by ``placement_id``: ``child``, ``start``, ``end`` (DEC; NaT while open), ``exposure_start``,
        ``exposure_end`` (exclusive), ``exposure_days``, ``missing_incidents``,
        ``any_missing``, ``distance_miles``, ``distance_measure``, ``distance_band``, ``outside_la``,
        ``age_at_start_years``, ``sex``, ``placement_type``, ``uasc``, ``legal_status``,
        ``previous_placements``, ``la``, ``status`` (``'ok'`` or why the placement cannot enter the models).
        ``attrs['synthetic']`` is carried over.
    data_quality
        ``source``, ``reason``, ``rows``, ``examples`` (no child identifiers).
    """
    need = ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC"]
    _require(episodes, need, source)
    _require(header, ["CHILD", "SEX", "DOB"], "header")
    _require(missing, ["CHILD", "MISSING", "MIS_START"], "missing")
    if episodes.empty:
        raise InputError(f"{source}: no episodes")
    issues: list[dict[str, Any]] = []
    measure, dist_col = _distance_column(episodes, distance, source)
    la_col = la_column or next((c for c in ("responsible_la", "LA", "la", "la_code", "home_la")
                                if c in episodes.columns), None)
    if la_col is None or la_col not in episodes.columns:
        raise MissingColumnsError(source, [la_column or "la"], list(episodes.columns))

    ep = episodes.copy()
    ep["CHILD"] = ep["CHILD"].astype(str).str.strip()
    ep["_start"] = _dates(ep["DECOM"], "DECOM", source, issues)
    ep["_end"] = _dates(ep["DEC"], "DEC", source, issues, blank_ok=True)
    bad = ep["_start"].isna()
    if bad.any():
        issues.append({"source": source, "reason": "episode with no valid DECOM (dropped)", "rows": int(bad.sum())})
        ep = ep.loc[~bad]
    dates = [ep["_start"].max(), ep["_end"].max()]
    mis = missing.copy()
    mis["CHILD"] = mis["CHILD"].astype(str).str.strip()
    mis["_start"] = _dates(mis["MIS_START"], "MIS_START", "missing", [], blank_ok=True)  # counted when assigned
    dates.append(mis["_start"].max())
    ref, obs_start = _observation_window(dates, mis["_start"], reference_date, observation_start)
    end_excl = ref + pd.Timedelta(days=1)
    ep = ep.sort_values(["CHILD", "_start"], kind="stable")

    # Placements: runs of episodes joined by a legal-status-only change with no gap and the same postcode.
    prev_end = ep.groupby("CHILD")["_end"].shift()
    same_child = ep["CHILD"].eq(ep["CHILD"].shift())
    cont = same_child & ep["RNE"].astype(str).str.strip().str.upper().eq("L") & prev_end.eq(ep["_start"])
    if "PL_POST" in ep:
        cont &= ep["PL_POST"].astype(str).eq(ep["PL_POST"].shift().astype(str))
    ep["_placement"] = (~cont).cumsum()
    g = ep.groupby("_placement", sort=False)
    first = g.head(1).set_index("_placement")
    pl = pd.DataFrame({
        "child": first["CHILD"],
        "start": first["_start"],
        "end": g["_end"].last(),
        "episodes": g.size(),
        "place_code": first["PLACE"].astype(str).str.strip().str.upper(),
        "ls_code": first["LS"].astype(str).str.strip().str.upper(),
        "la": first[la_col].astype(str),
        "distance_miles": pd.to_numeric(first[dist_col], errors="coerce") / (
            _KM_PER_MILE if dist_col.endswith("_km") else 1.0),
        "outside_la": first["outside_la"] if "outside_la" in first else pd.Series(pd.NA, index=first.index),
    })
    if "UASC" in first:
        pl["_uasc_ep"] = first["UASC"]
    pl.index = pd.RangeIndex(1, len(pl) + 1, name="placement_id")
    ep["_pid"] = ep["_placement"].map(dict(zip(first.index, pl.index, strict=True)))
    pl["distance_measure"] = measure
    pl["exposure_start"] = pl["start"].clip(lower=obs_start)
    pl["exposure_end"] = pl["end"].fillna(end_excl).clip(upper=end_excl)
    pl["exposure_days"] = (pl["exposure_end"] - pl["exposure_start"]).dt.days.clip(lower=0).astype(float)
    pl["previous_placements"] = pl.groupby("child").cumcount()

    # Missing episodes → placements.
    counts, mis_issues = _assign_missing(mis, pl, obs_start, ref, missing_kinds)
    issues.extend(mis_issues)
    pl["missing_incidents"] = counts.reindex(pl.index, fill_value=0).astype(int)
    pl["any_missing"] = pl["missing_incidents"] > 0

    # Child-level covariates.
    hd = header.copy()
    hd["CHILD"] = hd["CHILD"].astype(str).str.strip()
    dup = hd["CHILD"].duplicated()
    if dup.any():
        issues.append({"source": "header", "reason": "duplicate CHILD in header (first row kept)",
                       "rows": int(dup.sum())})
        hd = hd.loc[~dup]
    hd = hd.set_index("CHILD")
    dob = _dates(hd["DOB"], "DOB", "header", issues).reindex(pl["child"].to_numpy())
    pl["age_at_start_years"] = ((pl["start"].to_numpy() - dob.to_numpy()) / np.timedelta64(1, "D")) / 365.25
    sex = hd["SEX"].astype(str).str.strip().map({"1": "male", "2": "female", "1.0": "male", "2.0": "female"})
    pl["sex"] = sex.reindex(pl["child"].to_numpy()).to_numpy()
    pl["placement_type"] = pl["place_code"].map(_placement_type)
    pl["legal_status"] = pl["ls_code"].map(_legal_status)
    pl["uasc"] = _uasc_flags(pl, hd, uasc)
    pl = pl.drop(columns=[c for c in ("_uasc_ep",) if c in pl])
    pl["distance_band"] = _bands(pl["distance_miles"])
    if pl["outside_la"].notna().any():
        pl["outside_la"] = pl["outside_la"].map(_truthy)

    # Why a placement cannot enter the models (kept, with the reason).
    status = pd.Series("ok", index=pl.index, dtype=object)
    checks = [
        (pl["start"] > ref, "placement starts after the observation period"),
        (pl["end"] <= obs_start, "placement ended before the observation period"),
        (pl["exposure_days"] <= 0, "placement of zero days (starts and ends the same day)"),
        (pl["distance_miles"].isna(), f"{measure} distance not known"),
        (pl["age_at_start_years"].isna(), "no date of birth (child not in header or DOB not a date)"),
        (pl["age_at_start_years"] < 0, "date of birth after placement start"),
        (pl["sex"].isna(), "SEX not 1 or 2 (or child not in header)"),
    ]
    for mask, reason in checks:
        hit = mask.fillna(False) & status.eq("ok")
        status[hit] = reason
    pl["status"] = status
    for reason, n in status[status != "ok"].value_counts().items():
        issues.append({"source": source, "reason": f"placement not modelled: {reason}", "rows": int(n)})
    pl.attrs["synthetic"] = is_synthetic(episodes, header, missing)
    pl.attrs["observation_period"] = (obs_start, ref)
    logger.info("observation period %s to %s", obs_start.date(), ref.date())
    logger.info("%d placements of %d children (%d modelable), %d missing incidents assigned",
                len(pl), pl["child"].nunique(), int(status.eq("ok").sum()), int(pl["missing_incidents"].sum()))
    return pl, _quality_table(issues)


def child_effect(frame: pd.DataFrame, *, covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
                 family: Literal["poisson", "negbin"] = "poisson", spline_df: int = 4,
                 synthetic: bool | None = None, propensity_clip: tuple[float, float] = (0.01, 0.99),
                 models: tuple[str, ...] = ("bands", "per10", "log", "spline", "logistic", "ipw"),
                 min_level: int = 20) -> ChildEffectResult:
    """Estimate adjusted rate ratios of missing incidents by distance, standard errors clustered by child.

    Models (statsmodels GLM, offset ``log(exposure_days)``, covariates as given):

    * ``bands``: incidents ~ distance band (0-10 miles the reference) - adjusted rate ratios per band;
    * ``per10``: incidents ~ ``distance_miles / 10`` (log-linear: rate ratio per 10 miles);
    * ``log``: incidents ~ ``log(1 + distance_miles)`` (rate ratio per doubling of 1 + distance);
    * ``spline``: incidents ~ ``bs(log(1 + distance_miles), df=spline_df)`` for the dose-response curve;
    * ``logistic``: any missing ~ distance band + ``log(exposure_days)`` (odds ratios);
    * ``ipw``: outside vs inside the LA, weighted by the inverse of a logistic propensity score.

    Parameters
    ----------
    frame
        From :func:`placement_frame`; rows whose ``status`` is not ``'ok'`` are left out.
    covariates
        Adjustment columns; ``sex``, ``placement_type``, ``uasc``, ``legal_status`` and ``la`` are categorical.
    family
        ``'poisson'`` (rate ratios robust to over-dispersion through the clustered sandwich) or ``'negbin'``
        (negative binomial, dispersion estimated by maximum likelihood first).
    synthetic
        Label outputs synthetic; default from ``frame.attrs['synthetic']``.
    min_level
        Levels of a categorical covariate with fewer placements are pooled into ``'other (pooled)'`` (noted):
        a level held by a handful of placements fits them exactly, and the clustered standard errors then
        miss their variability (leverage near 1), which makes intervals too narrow.

    Raises
    ------
    InputError
        Too few placements for the model (says how many there are and are needed), no missing incident at all,
        or perfectly collinear covariates (named).
    """
    with _one_blas_thread():
        return _child_effect(frame, covariates=covariates, family=family, spline_df=spline_df,
                             synthetic=synthetic, propensity_clip=propensity_clip, models=models,
                             min_level=min_level)


def _child_effect(frame: pd.DataFrame, *, covariates: tuple[str, ...] | list[str], family: str, spline_df: int,
                  synthetic: bool | None, propensity_clip: tuple[float, float],
                  models: tuple[str, ...], min_level: int) -> ChildEffectResult:
    _require(frame, ["child", "exposure_days", "missing_incidents", "distance_miles", "distance_band",
                     *covariates], "placement frame")
    synthetic = bool(frame.attrs.get("synthetic", False)) if synthetic is None else synthetic
    data = frame.loc[frame["status"].eq("ok")] if "status" in frame else frame
    notes: list[str] = []
    complete = data.dropna(subset=["exposure_days", "distance_miles", *covariates])
    complete = complete.loc[complete["exposure_days"] > 0].copy()
    if len(complete) < len(data):
        gaps = data[["exposure_days", "distance_miles", *covariates]].isna().sum()
        notes.append(f"{len(data) - len(complete)} placement(s) left out for a missing value or no exposure "
                     f"({', '.join(f'{c}: {n}' for c, n in gaps.items() if n)})")
    data = complete
    measure = str(data["distance_measure"].iloc[0]) if "distance_measure" in data and len(data) else "straight-line"
    for c in covariates:
        if c in _CATEGORICAL:
            pooled = _pool_rare(data[c].astype(str), c, min_level, notes).astype(object)
            # a plain Categorical: patsy reads its codes instead of testing every string for NA (10x faster)
            data[c] = pd.Categorical(pooled, categories=sorted(pd.unique(pooled)))
    data["distance_band"] = pd.Categorical(data["distance_band"].astype(str))
    data["distance_band"] = data["distance_band"].cat.reorder_categories(
        sorted(data["distance_band"].cat.categories, key=_band_order))
    data["distance_per_10_miles"] = data["distance_miles"] / 10.0
    data["log_exposure_days"] = np.log(data["exposure_days"])
    data["any_missing"] = (data["missing_incidents"] > 0).astype(int)  # 0/1: a bool would become two columns
    data["log1p_distance"] = np.log1p(data["distance_miles"])
    rhs = " + ".join(f"C({c})" if c in _CATEGORICAL else c for c in covariates)
    rhs = f" + {rhs}" if rhs else ""
    band_formula = f"missing_incidents ~ C(distance_band){rhs}"
    _check_design(data, band_formula, what="distance-band model")
    if int(data["missing_incidents"].sum()) == 0:
        raise InputError(f"no missing incident in the {len(data)} modelled placements: nothing to model")
    groups = pd.factorize(data["child"])[0]
    offset = data["log_exposure_days"].to_numpy()
    fam = _family(data, band_formula, offset, family, notes)
    fits: dict[str, Any] = {}
    rr_rows: list[dict[str, Any]] = []

    def fit(name: str, formula: str, fam_: Any, off: np.ndarray | None) -> Any:
        res = _fit_glm(data, formula, fam_, off, groups, notes, name)
        fits[name] = res
        return res

    if "bands" in models:
        res = fit("bands", band_formula, fam, offset)
        events = data.groupby("distance_band", observed=True)["missing_incidents"].sum()
        for term in res.params.index:
            if term.startswith("C(distance_band)"):
                band = term.split("[T.")[-1].rstrip("]")
                row = _ratio_row(res, term, "incidents, distance bands", "rate ratio",
                                 band + " vs " + str(data["distance_band"].cat.categories[0]))
                if events.get(band, 1) == 0:
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"band model: no missing incident in {band}; its rate ratio is not estimable")
                rr_rows.append(row)
    if "per10" in models:
        res = fit("per10", f"missing_incidents ~ distance_per_10_miles{rhs}", fam, offset)
        rr_rows.append(_ratio_row(res, "distance_per_10_miles", "incidents, per 10 miles", "rate ratio",
                                  f"per 10 miles ({measure})"))
    if "log" in models:
        res = fit("log", f"missing_incidents ~ log1p_distance{rhs}", fam, offset)
        row = _ratio_row(res, "log1p_distance", "incidents, log distance", "rate ratio",
                         "per doubling of (1 + miles)")
        for k in ("ratio", "ci_low", "ci_high"):
            row[k] = row[k] ** np.log(2)
        rr_rows.append(row)
    dose = pd.DataFrame()
    if "spline" in models:
        res = fit("spline", f"missing_incidents ~ bs(log1p_distance, df={spline_df}){rhs}", fam, offset)
        dose = _dose_response(res, data)
    if "logistic" in models:
        from statsmodels.genmod import families

        res = fit("logistic", f"any_missing ~ C(distance_band){rhs} + log_exposure_days",
                  families.Binomial(), None)
        share = data.groupby("distance_band", observed=True)["any_missing"].mean()
        for term in res.params.index:
            if term.startswith("C(distance_band)"):
                band = term.split("[T.")[-1].rstrip("]")
                row = _ratio_row(res, term, "any missing, distance bands (logistic)", "odds ratio",
                                 band + " vs " + str(data["distance_band"].cat.categories[0]))
                if share.get(band, 0.5) in (0.0, 1.0):
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"logistic model: every placement in {band} has the same outcome (separation); "
                                 "its odds ratio is not estimable and is left blank")
                rr_rows.append(row)
    inside_outside, balance = pd.DataFrame(), pd.DataFrame()
    if "ipw" in models:
        inside_outside, balance = _ipw(data, covariates, rhs, groups, offset, fam, propensity_clip, notes, fits)
    result = ChildEffectResult(
        rate_table=_rate_table(data), rate_ratios=pd.DataFrame(rr_rows), dose_response=dose,
        inside_outside=inside_outside, balance=balance, synthetic=synthetic, distance_measure=measure,
        n_placements=len(data), n_children=int(data["child"].nunique()), notes=notes, models=fits)
    logger.info("child-level models on %d placements of %d children%s", result.n_placements, result.n_children,
                " (SYNTHETIC)" if synthetic else "")
    return result


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
    bands = result.rate_ratios.query("model == 'incidents, distance bands'")
    if not bands.empty:
        medians = result.rate_table.set_index("distance_band")["median_distance_miles"]
        mids = [medians.get(lbl.split(" vs ")[0], _band_mid(lbl.split(" vs ")[0])) for lbl in bands["term"]]
        ax.errorbar(mids, bands["ratio"], yerr=[bands["ratio"] - bands["ci_low"], bands["ci_high"] - bands["ratio"]],
                    fmt="o", color="darkorange", capsize=4,
                    label="distance bands (vs 0-10 miles), at the band's median")
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
    tables = {"effect_rate_by_distance_band": _suppress(result.rate_table, min_count),
              "effect_rate_ratios": result.rate_ratios, "effect_dose_response": result.dose_response,
              "effect_inside_vs_outside_la": result.inside_outside, "effect_ps_balance": result.balance}
    if data_quality is not None:
        tables["effect_data_quality"] = _suppress(data_quality.drop(columns="examples", errors="ignore"),
                                                  min_count, columns=("rows",))
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


# ---------------------------------------------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------------------------------------------

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


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run BLAS single-threaded: IRLS on many small matrices is 10-100x slower with threads on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only speed depends on it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _footer(fig: Any, text: str) -> None:
    """Attribution line at the bottom of a constrained-layout figure, with room kept for it."""
    lines = text.count("\n") + 1
    fig.get_layout_engine().set(rect=(0, 0.03 * lines, 1, 1 - 0.03 * lines))
    fig.text(0.01, 0.008, text, fontsize=6.5, ha="left", va="bottom")


def _require(frame: pd.DataFrame, columns: list[str] | tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(source, missing, [str(c) for c in frame.columns])


def _quality_table(issues: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["source", "reason", "rows", "examples"]
    if not issues:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(issues)
    if "rows" not in df:
        df["rows"] = 1
    df["rows"] = df["rows"].fillna(1).astype(int)
    if "example" not in df:
        df["example"] = ""
    df["example"] = df["example"].fillna("").astype(str)
    out = df.groupby(["source", "reason"], sort=False).agg(
        rows=("rows", "sum"),
        examples=("example", lambda s: "; ".join(list(dict.fromkeys(x for x in s if x))[:5]))).reset_index()
    return out[cols]


def _to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from DfE strings, and the reason for each value that is not a number (NaN where it is)."""
    s = values.astype("string").str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    reason = s.str.lower().map(lambda v: _SUPPRESSION.get(v, f"not a number ({v!r})") if pd.notna(v) else "blank")
    return num, reason.where(num.isna())


def _read_lait(indicators: tuple[str, ...], year_from: int, year_to: int,
               issues: list[dict[str, Any]]) -> pd.DataFrame:
    from geo.catalogue import data_path

    path = data_path(_LAIT_PATH)
    lait = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(lait, ["short_desc", "year", "area_name", "la_number", "value"], path.name)
    lait = lait.loc[lait["short_desc"].isin(indicators)].copy()
    lait["year"] = pd.to_numeric(lait["year"], errors="coerce")
    lait = lait.loc[lait["year"].between(year_from, year_to)]
    lait["year"] = lait["year"].astype(int)
    lait["la_number"] = lait["la_number"].str.strip().str.zfill(3)
    not_la = lait["la_number"].isin({"970", *[str(n) for n in range(980, 1000)]}) | ~lait["la_number"].str.isdigit()
    for _, part in lait.loc[not_la].groupby("short_desc"):
        issues.append({"source": f"LAIT {part['short_desc'].iloc[0]}", "reason": "England or region row, not an LA",
                       "rows": len(part)})
    lait = lait.loc[~not_la]
    lait["value_num"], why = _to_number(lait["value"])
    for (ind, reason), part in lait.loc[why.notna()].assign(_why=why).groupby(["short_desc", "_why"]):
        issues.append({"source": f"LAIT {ind}", "reason": f"value {reason}", "rows": len(part),
                       "example": "; ".join((part["area_name"] + " " + part["year"].astype(str)).head(5))})
    if lait.empty:
        raise DataUnavailableError(f"{path.name}: no LA rows for {', '.join(indicators)} in {year_from}-{year_to}")
    return lait


def _read_ees_missing(year_from: int, year_to: int, issues: list[dict[str, Any]]) -> pd.DataFrame:
    from geo.catalogue import data_path

    frames, done = [], set()
    for rel, years in _EES_MISSING.items():
        want = [y for y in years if year_from <= y <= year_to and y not in done]
        if not want:
            continue
        path = data_path(rel)
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        df.columns = [c.strip().lower() for c in df.columns]
        _require(df, ["time_period", "geographic_level", "old_la_code", "la_name", "cla_group", "number"], path.name)
        keep = df["geographic_level"].eq("Local authority") & df["cla_group"].isin([_EES_INCIDENTS, _EES_CLA_YEAR])
        df = df.loc[keep].assign(year=pd.to_numeric(df.loc[keep, "time_period"], errors="coerce"))
        df = df.loc[df["year"].isin(want)]
        df["value_num"], why = _to_number(df["number"])
        release = path.parent.name
        for (grp, reason), part in df.loc[why.notna()].assign(_why=why).groupby(["cla_group", "_why"]):
            issues.append({"source": f"EES {release}: {grp}", "reason": f"value {reason}", "rows": len(part),
                           "example": "; ".join((part["la_name"] + " " + part["time_period"]).head(5))})
        df["la_number"] = df["old_la_code"].str.strip().str.zfill(3)
        frames.append(df[["la_number", "year", "cla_group", "value_num"]])
        done.update(want)
    for year, (mis_file, inc_col, cla_file, cla_col) in _SFR_MISSING.items():
        if not year_from <= year <= year_to:
            continue
        parts = []
        for name, col, group in ((mis_file, inc_col, _EES_INCIDENTS), (cla_file, cla_col, _EES_CLA_YEAR)):
            path = data_path(f"care/dfe_cla/sfr_2011_2017/{name}")
            df = pd.read_csv(path, dtype=str, encoding="latin-1")
            df.columns = [c.strip() for c in df.columns]  # headers carry trailing spaces
            _require(df, ["geog_l", "geog_c", "geog_n", col], name)
            df = df.loc[df["geog_l"].str.strip().eq("LA")]
            num, why = _to_number(df[col])
            for reason, part in df.loc[why.notna()].assign(_why=why).groupby("_why"):
                issues.append({"source": f"SFR {name}: {col}", "reason": f"value {reason}", "rows": len(part),
                               "example": "; ".join((part["geog_n"] + f" {year}").head(5))})
            parts.append(pd.DataFrame({"la_number": df["geog_c"].str.strip().str.zfill(3), "year": year,
                                       "cla_group": group, "value_num": num}))
        frames.extend(parts)
        done.add(year)
    if not frames:
        return pd.DataFrame(columns=["la_number", "year", "missing_incidents", "children_looked_after_during_year"])
    ees = pd.concat(frames).pivot_table(index=["la_number", "year"], columns="cla_group", values="value_num",
                                        aggfunc="first").reset_index()
    ees = ees.rename(columns={_EES_INCIDENTS: "missing_incidents", _EES_CLA_YEAR: "children_looked_after_during_year"})
    ees.columns.name = None
    ees["year"] = ees["year"].astype(int)
    for col in ("missing_incidents", "children_looked_after_during_year"):
        if col not in ees:
            ees[col] = np.nan
    without = sorted(set(range(year_from, year_to + 1)) - done)
    if without:
        issues.append({"source": "EES missing", "reason": "missing incidents per child not published at LA level "
                       f"in the staged files for {', '.join(map(str, without))} (share who went missing used only)",
                       "rows": len(without)})
    return ees[["la_number", "year", "missing_incidents", "children_looked_after_during_year"]]


def _attach_2024_codes(frame: pd.DataFrame, issues: list[dict[str, Any]]) -> pd.DataFrame:
    """Map (DfE LA number, year) to the 2024 ONS code; split and merged predecessors are set aside, counted.

    A DfE year ends on 31 March, so figures for year Y come from the LAs in force during April Y-1 to March Y:
    an LA number not in force in Y is looked up in Y-1 (e.g. Poole's figures for 2019).
    """
    import boundaries

    codes: dict[str, str | None] = {}
    for number, years in frame.groupby("la_number")["year"]:
        year = int(years.min())
        code = None
        for y in (year, year - 1):
            try:
                code = boundaries.resolve_la(number, year=max(y, 2014))
                break
            except SplitAreaError:
                break
            except UnknownAreaCodeError:
                continue
        if code is None:
            codes[number] = None
            issues.append({"source": "LA codes", "reason": "DfE LA number not known for that year",
                           "rows": len(years), "example": f"{number} {year}"})
            continue
        try:
            codes[number] = boundaries.harmonise_code(code, to_year=2024)
        except SplitAreaError as exc:
            codes[number] = None
            issues.append({"source": "LA codes", "reason": "predecessor split between 2024 LAs (no 2024 code): "
                           + str(exc).split(":")[0], "rows": len(years),
                           "example": f"{number} {int(years.min())}-{int(years.max())}"})
    out = frame.copy()
    out["la_code"] = out["la_number"].map(codes)
    # Predecessors merged into one 2024 LA (e.g. Bournemouth and Poole into BCP): shares cannot be combined.
    dup = out["la_code"].notna() & out.duplicated(["la_code", "year"], keep=False)
    for row in out.loc[dup].itertuples():
        issues.append({"source": "LA codes", "reason": "predecessor merged into a 2024 LA; its percentages cannot "
                       "be combined without denominators", "example": f"{row.la_name} ({row.la_number}) {row.year}"})
    out.loc[dup, "la_code"] = None
    return out.loc[out["la_code"].notna()]


def _correlations(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    n = len(x)
    z = stats.norm.ppf(0.975)
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(0.95)
    sr = stats.spearmanr(x, y)
    rho = float(sr.statistic)
    se = np.sqrt((1 + rho ** 2 / 2) / (n - 3))  # Bonett & Wright (2000)
    zr = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    return {"pearson_r": float(pr.statistic), "pearson_ci_low": float(ci.low), "pearson_ci_high": float(ci.high),
            "pearson_p": float(pr.pvalue), "spearman_rho": rho, "spearman_ci_low": float(np.tanh(zr - z * se)),
            "spearman_ci_high": float(np.tanh(zr + z * se)), "spearman_p": float(sr.pvalue)}


def _distance_column(episodes: pd.DataFrame, distance: str, source: str) -> tuple[str, str]:
    if distance not in {"auto", "road", "straight"}:
        raise InputError(f"distance must be 'auto', 'road' or 'straight', not {distance!r}")
    if distance in {"auto", "road"} and "road_distance_km" in episodes:
        return "road", "road_distance_km"
    if distance == "road":
        raise MissingColumnsError(source, ["road_distance_km"], list(episodes.columns))
    for col in ("straight_distance_miles", "straight_distance_km"):
        if col in episodes:
            return "straight-line", col
    raise MissingColumnsError(source + " (located by provision.placements.locate)",
                              ["straight_distance_miles"], list(episodes.columns))


def _dates(values: pd.Series, column: str, source: str, issues: list[dict[str, Any]],
           blank_ok: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    s = values.astype("string").str.strip()
    out = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")
    iso = out.isna() & s.notna()
    if iso.any():
        out[iso] = pd.to_datetime(s[iso].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    bad = out.isna() & s.notna() & s.ne("")
    if bad.any():
        first = s[bad].index[0]
        issues.append({"source": source, "reason": f"{column} not a date (dd/mm/YYYY expected)",
                       "rows": int(bad.sum()), "example": f"row {first}: {s[first]!r}"})
    if not blank_ok:
        blank = s.isna() | s.eq("")
        if blank.any():
            issues.append({"source": source, "reason": f"{column} blank", "rows": int(blank.sum())})
    return out


def _observation_window(dates: list[Any], mis_start: pd.Series, reference_date: Any,
                        observation_start: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Last and first observed days: collection years run 1 April to 31 March."""
    if reference_date is not None:
        ref = pd.Timestamp(reference_date)
    else:
        latest = max(d for d in dates if pd.notna(d))
        ref = pd.Timestamp(year=latest.year if latest.month <= 3 else latest.year + 1, month=3, day=31)
    if observation_start is not None:
        start = pd.Timestamp(observation_start)
    elif mis_start.notna().any():
        first = mis_start.min()
        start = pd.Timestamp(year=first.year if first.month >= 4 else first.year - 1, month=4, day=1)
    else:
        start = ref - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if start > ref:
        raise InputError(f"observation period is empty: starts {start.date()} after it ends {ref.date()}")
    return ref, start


def _assign_missing(mis: pd.DataFrame, pl: pd.DataFrame, obs_start: pd.Timestamp, ref: pd.Timestamp,
                    kinds: tuple[str, ...]) -> tuple[pd.Series, list[dict[str, Any]]]:
    issues: list[dict[str, Any]] = []
    kind = mis["MISSING"].astype(str).str.strip().str.upper()
    other = ~kind.isin(kinds)
    for k, n in kind[other].value_counts().items():
        label = {"A": "away from placement without authorisation (A)"}.get(k, f"MISSING code {k!r}")
        issues.append({"source": "missing", "reason": f"{label}: not counted as missing", "rows": int(n)})
    m = mis.loc[~other, ["CHILD", "_start"]].reset_index(drop=True)
    m["_mid"] = m.index
    nodate = m["_start"].isna()
    if nodate.any():
        issues.append({"source": "missing", "reason": "MIS_START blank or not a date: not assigned",
                       "rows": int(nodate.sum())})
    m = m.loc[~nodate]
    cand = m.merge(pl[["child", "exposure_start", "exposure_end"]].reset_index(), left_on="CHILD",
                   right_on="child", how="left").rename(columns={"exposure_start": "start", "exposure_end": "end"})
    inside = (cand["start"] <= cand["_start"]) & (cand["_start"] < cand["end"])
    hit = cand.loc[inside].sort_values("start").drop_duplicates("_mid", keep="last")
    counts = hit.groupby("placement_id").size()
    lost = cand.loc[~cand["_mid"].isin(hit["_mid"])]
    if not lost.empty:
        per = lost.groupby("_mid").agg(known=("child", lambda s: s.notna().any()), first=("start", "min"),
                                       last=("end", "max"), when=("_start", "first"))

        def why(r: pd.Series) -> str:
            if not r["known"]:
                return "child not in episodes"
            if r["when"] > ref:
                return f"dated after the observation period (ends {ref.date()})"
            if r["when"] < obs_start:
                return f"dated before the observation period (starts {obs_start.date()})"
            if r["when"] < r["first"]:
                return "dated before the child's first placement"
            if r["when"] >= r["last"]:
                return "dated after the child's last placement ended"
            return "dated between placements (not looked after then)"

        for reason, n in per.apply(why, axis=1).value_counts().items():
            issues.append({"source": "missing", "reason": f"missing episode outside any placement: {reason}",
                           "rows": int(n)})
    return counts, issues


def _placement_type(code: str) -> str:
    if code in {"K1", "K2"}:
        return "children's home"
    if code.startswith("U"):
        return "foster"
    if code in {"H5", "P2", "P3"}:
        return "independent or semi-independent"
    if code.startswith(("R", "S")):
        return "other residential"
    if code.startswith("A"):
        return "placed for adoption"
    if code == "P1":
        return "placed with parents"
    return "other"


def _legal_status(code: str) -> str:
    if code in {"C1", "C2"}:
        return "care order"
    if code.startswith("V"):
        return "accommodated (s20)"
    if code == "E1":
        return "placement order"
    if code.startswith(("J", "L")):
        return "youth justice or police"
    return "other"


def _truthy(v: Any) -> Any:
    if pd.isna(v):
        return pd.NA
    if isinstance(v, str):
        return v.strip().upper() in {"TRUE", "1", "Y", "YES", "OUT"}
    return bool(v)


def _uasc_flags(pl: pd.DataFrame, hd: pd.DataFrame, uasc: pd.DataFrame | None) -> pd.Series:
    flag = pd.Series(False, index=pl.index)
    if uasc is not None and "CHILD" in uasc:
        flag |= pl["child"].isin(set(uasc["CHILD"].astype(str).str.strip()))
    for col in ("UASC", "uasc"):
        if col in hd:
            h = hd[col].map(_truthy).fillna(False).astype(bool)
            flag |= pl["child"].map(h).fillna(False).astype(bool)
    if "_uasc_ep" in pl:
        flag |= pl["_uasc_ep"].map(_truthy).fillna(False).astype(bool)
    return flag


def _band_label(lo: float, hi: float) -> str:
    return f"{lo:g}+ miles" if np.isinf(hi) else f"{lo:g}-{hi:g} miles"


def _bands(miles: pd.Series) -> pd.Series:
    edges = list(DISTANCE_BANDS_MILES)
    labels = [_band_label(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.cut(miles, bins=edges, right=False, labels=labels)


def _band_order(label: str) -> float:
    try:
        return float(label.split("-")[0].split("+")[0])
    except ValueError:
        return np.inf


def _band_mid(label: str) -> float:
    edges = list(DISTANCE_BANDS_MILES)
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if _band_label(a, b) == label.strip():
            return (a + b) / 2 if np.isfinite(b) else a * 1.5
    return np.nan


def _pool_rare(values: pd.Series, name: str, min_level: int, notes: list[str]) -> pd.Series:
    """Pool levels held by fewer than ``min_level`` rows into one level (if the pool is itself big enough)."""
    counts = values.value_counts()
    rare = counts.index[counts < min_level]
    if len(rare) == 0:
        return values
    into = "other (pooled)" if counts[rare].sum() >= min_level else str(counts.index[0])
    pooled = values.where(~values.isin(rare), into)
    notes.append(f"{name}: {len(rare)} level(s) with fewer than {min_level} placements pooled into "
                 f"{into!r} ({', '.join(map(str, rare[:8]))}{', ...' if len(rare) > 8 else ''})")
    return pooled


def _check_design(data: pd.DataFrame, formula: str, *, what: str) -> None:
    """Raise if there are too few placements for the model, or if its design matrix is rank deficient."""
    import patsy

    _, X = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="raise")
    k = X.shape[1]
    need = max(_MIN_PLACEMENTS, _PER_PARAMETER * k)
    if len(data) < need:
        raise InputError(
            f"too few placements for the {what}: {len(data)} placement(s) with a known distance and covariates, "
            f"but at least {need} are needed ({_PER_PARAMETER} per model parameter; the model has {k} "
            f"parameters; use fewer covariates or more data)")
    # Work on the k x k Gram matrix of unit-length columns (rank(X) = rank(X'X)): cheap for a million rows.
    arr = X.to_numpy(float)
    gram = arr.T @ arr
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    gram = gram / np.outer(scale, scale)
    tol = 1e-10
    if np.linalg.matrix_rank(gram, tol=tol, hermitian=True) == k:
        return
    # Greedy: a column that adds nothing to the span of the columns before it is collinear with them.
    kept: list[int] = []
    problems = []
    for j in range(k):
        trial = kept + [j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)], tol=tol, hermitian=True) == len(trial):
            kept.append(j)
            continue
        coef = np.linalg.lstsq(gram[np.ix_(kept, kept)], gram[kept, j], rcond=None)[0] if kept else np.array([])
        partners = [X.columns[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
        problems.append(f"{X.columns[j]!r} = combination of {', '.join(map(repr, partners)) or 'nothing (all zero)'}")
    raise InputError(f"perfectly collinear covariates in the {what}: " + "; ".join(problems)
                     + ". Drop one of them (covariates=...) or check the data.")


def _family(data: pd.DataFrame, formula: str, offset: np.ndarray, family: str, notes: list[str]) -> Any:
    import statsmodels.formula.api as smf
    from statsmodels.genmod import families

    if family == "poisson":
        notes.append("Poisson GLM with log(exposure days) offset; standard errors clustered by child "
                     "(robust to over-dispersion).")
        return families.Poisson()
    if family != "negbin":
        raise InputError(f"family must be 'poisson' or 'negbin', not {family!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb = smf.negativebinomial(formula, data, offset=offset).fit(disp=False, maxiter=200)
    alpha = float(nb.params["alpha"])
    for w in caught:
        notes.append(f"negative binomial dispersion fit: {w.message}")
    notes.append(f"Negative binomial GLM (alpha={alpha:.3f} by maximum likelihood) with log(exposure days) offset; "
                 "standard errors clustered by child.")
    return families.NegativeBinomial(alpha=max(alpha, 1e-8))


def _fit_glm(data: pd.DataFrame, formula: str, family: Any, offset: np.ndarray | None, groups: np.ndarray,
             notes: list[str], name: str, **kwargs: Any) -> Any:
    import statsmodels.formula.api as smf

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = smf.glm(formula, data, family=family, offset=offset, **kwargs).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, maxiter=100, wls_method="qr")
    for w in caught:
        msg = f"{name} model: {type(w.message).__name__}: {w.message}"
        if msg not in notes:
            notes.append(msg)
            logger.info(msg)
    return res


def _ratio_row(res: Any, term: str, model: str, kind: str, label: str) -> dict[str, Any]:
    lo, hi = res.conf_int().loc[term]
    return {"model": model, "term": label, "measure": kind, "ratio": float(np.exp(res.params[term])),
            "ci_low": float(np.exp(lo)), "ci_high": float(np.exp(hi)), "p_value": float(res.pvalues[term]),
            "n_placements": int(res.nobs), "se": "clustered by child"}


def _rate_table(data: pd.DataFrame) -> pd.DataFrame:
    g = data.groupby("distance_band", observed=False)
    t = pd.DataFrame({
        "placements": g.size(),
        "children": g["child"].nunique(),
        "placement_days": g["exposure_days"].sum(),
        "missing_incidents": g["missing_incidents"].sum(),
        "placements_with_missing": g["any_missing"].sum() if "any_missing" in data else
        g["missing_incidents"].apply(lambda s: int((s > 0).sum())),
        "median_distance_miles": g["distance_miles"].median(),
    })
    t["pct_placements_with_missing"] = 100 * t["placements_with_missing"] / t["placements"].where(t["placements"] > 0)
    days = t["placement_days"].where(t["placement_days"] > 0)
    t["incidents_per_1000_days"] = 1000 * t["missing_incidents"] / days
    k = t["missing_incidents"].to_numpy(float)
    lo = np.where(k > 0, stats.chi2.ppf(0.025, 2 * k) / 2, 0.0)  # exact (Garwood) Poisson interval
    hi = stats.chi2.ppf(0.975, 2 * k + 2) / 2
    t["ci_low"] = 1000 * lo / days
    t["ci_high"] = 1000 * hi / days
    t["interval"] = "exact Poisson 95% (ignores clustering within child)"
    t.index = t.index.astype(str)
    t.index.name = "distance_band"
    return t.reset_index()


def _dose_response(res: Any, data: pd.DataFrame) -> pd.DataFrame:
    import patsy

    hi = float(np.nanpercentile(data["distance_miles"], 97.5))
    lo = float(data["distance_miles"].min())  # B-splines cannot be evaluated outside the data's range
    grid = np.linspace(lo, max(hi, lo + 1.0), 80)
    first = data["distance_band"].cat.categories[0]
    ref_miles = float(data.loc[data["distance_band"].eq(first), "distance_miles"].median())
    base = data.iloc[[0] * len(grid)].copy()
    base["distance_miles"] = grid
    base["log1p_distance"] = np.log1p(grid)
    ref = base.iloc[[0]].copy()
    ref["distance_miles"] = ref_miles
    ref["log1p_distance"] = np.log1p(ref_miles)
    info = getattr(res.model.data, "design_info", None) or res.model.data.model_spec
    (xg,) = patsy.build_design_matrices([info], base, return_type="dataframe")
    (xr,) = patsy.build_design_matrices([info], ref, return_type="dataframe")
    diff = xg.to_numpy() - xr.to_numpy()
    eta = diff @ res.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", diff, res.cov_params().to_numpy(), diff))
    z = stats.norm.ppf(0.975)
    return pd.DataFrame({"distance_miles": grid, "rate_ratio": np.exp(eta), "ci_low": np.exp(eta - z * se),
                         "ci_high": np.exp(eta + z * se), "reference_miles": ref_miles})


def _ipw(data: pd.DataFrame, covariates: tuple[str, ...] | list[str], rhs: str, groups: np.ndarray,
         offset: np.ndarray, fam: Any, clip: tuple[float, float], notes: list[str],
         fits: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from statsmodels.genmod import families

    if "outside_la" not in data or data["outside_la"].isna().all():
        notes.append("inside vs outside the LA: no outside_la column (locate the placements first); skipped")
        return pd.DataFrame(), pd.DataFrame()
    d = data.loc[data["outside_la"].notna()].copy()
    d["outside"] = d["outside_la"].astype(bool).astype(int)
    if d["outside"].nunique() < 2:
        notes.append("inside vs outside the LA: every placement is on one side; skipped")
        return pd.DataFrame(), pd.DataFrame()
    g = groups[data.index.get_indexer(d.index)] if len(d) != len(data) else groups
    off = np.log(d["exposure_days"].to_numpy())
    ps_fit = _fit_glm(d, f"outside ~ 1{rhs}", families.Binomial(), None, g, notes, "propensity score")
    fits["propensity"] = ps_fit
    ps = np.clip(ps_fit.fittedvalues.to_numpy(), *clip)
    p_t = d["outside"].mean()
    w = np.where(d["outside"] == 1, p_t / ps, (1 - p_t) / (1 - ps))  # stabilised ATE weights
    d["_w"] = w
    crude = _fit_glm(d, "missing_incidents ~ outside", fam, off, g, notes, "crude inside/outside")
    ipw = _weighted_glm(d, fam, off, w, g)
    fits["crude_outside"], fits["ipw_outside"] = crude, ipw
    rows = [_ratio_row(crude, "outside", "incidents, outside vs inside the LA", "rate ratio", "crude"),
            _ratio_row(ipw, "outside", "incidents, outside vs inside the LA", "rate ratio",
                       "propensity-score weighted (IPW, stabilised ATE weights)")]
    ess = float(w.sum() ** 2 / (w ** 2).sum())
    for r in rows:
        r.update({"placements_inside": int((d["outside"] == 0).sum()), "placements_outside": int(d["outside"].sum()),
                  "effective_sample_size": ess if "IPW" in r["term"] else float(len(d)),
                  "propensity_clip": f"{clip[0]}-{clip[1]}"})
    return pd.DataFrame(rows), _balance(d, covariates, w)


def _balance(d: pd.DataFrame, covariates: tuple[str, ...] | list[str], w: np.ndarray) -> pd.DataFrame:
    """Standardised mean differences (outside - inside) of each covariate level, before and after weighting."""
    rows = []
    t = d["outside"].to_numpy() == 1
    for c in covariates:
        if c == "la" and d[c].nunique() > 30:
            continue
        cols = (pd.get_dummies(d[c], prefix=c, dtype=float) if c in _CATEGORICAL else d[[c]].astype(float))
        for name in cols.columns:
            x = cols[name].to_numpy()
            sd = np.sqrt((x[t].var() + x[~t].var()) / 2) or 1.0
            raw = (x[t].mean() - x[~t].mean()) / sd
            wt = (np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])) / sd
            rows.append({"covariate": name, "smd_unweighted": raw, "smd_weighted": wt})
    return pd.DataFrame(rows)


def _suppress(table: pd.DataFrame, min_count: int, columns: tuple[str, ...] = (
        "placements", "children", "missing_incidents", "placements_with_missing")) -> pd.DataFrame:
    """Show counts 1..min_count-1 (and counts revealing them) as text labels; blank the rates built on them."""
    from geo.disclosure import suppress_counts

    cols = [c for c in columns if c in table]
    if not cols or table.empty:
        return table.copy()
    t = table.copy()
    for c in cols:
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0).round().astype(int)
    sup = suppress_counts(t, count_columns=cols, threshold=min_count)
    out = table.copy()
    for c in cols:
        out[c] = sup[f"{c}_label"].astype(str)
    if "missing_incidents" in cols:
        hidden = sup["missing_incidents"].isna()
        for c in ("incidents_per_1000_days", "ci_low", "ci_high"):
            if c in out:
                out[c] = out[c].mask(hidden)
    if "placements_with_missing" in cols and "pct_placements_with_missing" in out:
        out["pct_placements_with_missing"] = out["pct_placements_with_missing"].mask(
            sup["placements_with_missing"].isna())
    out["suppressed"] = sup["suppressed"].to_numpy()
    return out


@dataclass
class _WeightedFit:
    """Point estimates and cluster-robust covariance of a weighted log-link GLM (IPW outcome model)."""

    params: pd.Series
    cov: pd.DataFrame
    nobs: int

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt(np.diag(self.cov))
        return pd.DataFrame({0: self.params - z * se, 1: self.params + z * se}, index=self.params.index)

    @property
    def pvalues(self) -> pd.Series:
        zval = self.params / np.sqrt(np.diag(self.cov))
        return pd.Series(2 * stats.norm.sf(np.abs(zval)), index=self.params.index)

    def cov_params(self) -> pd.DataFrame:
        return self.cov


def _weighted_glm(d: pd.DataFrame, fam: Any, offset: np.ndarray, w: np.ndarray, groups: np.ndarray) -> _WeightedFit:
    """Weighted GLM ``missing_incidents ~ outside`` with a sandwich covariance clustered by child.

    statsmodels does not fully support clustered covariances with ``var_weights``, so the estimating-equation
    sandwich (weights treated as fixed, as is usual for IPW) is computed here: bread = sum w mu'^2/V x x',
    meat = sum over children of (sum w x (y - mu) mu'/V)(...)', with the CR1 small-sample factor.
    """
    from statsmodels.genmod.generalized_linear_model import GLM

    X = np.column_stack([np.ones(len(d)), d["outside"].to_numpy(float)])
    y = d["missing_incidents"].to_numpy(float)
    res = GLM(y, X, family=fam, offset=offset, var_weights=w).fit()
    beta = np.asarray(res.params)
    mu = np.exp(X @ beta + offset)
    v = fam.variance(mu)
    score = X * (w * (y - mu) * mu / v)[:, None]
    bread = (X * (w * mu ** 2 / v)[:, None]).T @ X
    meat_parts = pd.DataFrame(score).groupby(groups).sum().to_numpy()
    meat = meat_parts.T @ meat_parts
    n, k, g = len(y), X.shape[1], len(meat_parts)
    inv = np.linalg.inv(bread)
    cov = inv @ meat @ inv * (g / (g - 1)) * ((n - 1) / (n - k))
    names = ["Intercept", "outside"]
    return _WeightedFit(pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), n)
