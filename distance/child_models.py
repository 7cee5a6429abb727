"""Does distance make a difference, to a child? Rate ratios of missing incidents by distance from home (SSDA903)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from distance.glm import (
    CATEGORICAL_COVARIATES,
    FIXED_EFFECTS,
    Design,
    Fit,
    build_design,
    check_design,
    fit_logit,
    fit_negbin,
    fit_poisson,
    ratio_row,
    release_memory,
)
from distance.ipw import ipw_inside_outside
from distance.straight import DISTANCE_BANDS
from geo.disclosure import SYNTHETIC_LABEL, is_synthetic
from geo.errors import InputError, ModelNotIdentifiedError, require_columns

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_COVARIATES", "CATEGORICAL_COVARIATES", "ChildEffectResult", "child_effect"]

DEFAULT_COVARIATES: tuple[str, ...] = (
    "age_at_start_years", "sex", "placement_type", "uasc", "legal_status", "previous_placements", "la", "year",
)
"""Adjustment set of the child-level models (columns of :func:`placement_frame`); ``la`` and ``year`` are absorbed
fixed effects (``year`` only when the frame spans more than one collection year)."""


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
        return self.rate_ratios.loc[self.rate_ratios["model_id"].eq("per10")].iloc[0]


def child_effect(frame: pd.DataFrame, *, covariates: tuple[str, ...] | list[str] = DEFAULT_COVARIATES,
                 family: Literal["poisson", "negbin"] = "poisson", spline_df: int = 4,
                 synthetic: bool | None = None, propensity_clip: tuple[float, float] = (0.01, 0.99),
                 models: tuple[str, ...] = ("bands", "per10", "log", "spline", "logistic", "ipw"),
                 min_level: int = 20) -> ChildEffectResult:
    """Estimate adjusted rate ratios of missing incidents by distance, standard errors clustered by child.

    Models (:func:`distance.glm.fit_glm`: LA and year absorbed as fixed effects, offset ``log(exposure_days)``,
    the other covariates as columns; the same estimates as statsmodels' GLM with dummy columns, without their
    memory):

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
        (negative binomial NB2, dispersion estimated by maximum likelihood on the per-10-miles model first).
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
    covariates = list(covariates)
    notes: list[str] = []
    if "year" in covariates and "year" not in frame:
        covariates.remove("year")  # a frame built before collection years were kept: one year
    require_columns(frame, ["child", "exposure_days", "missing_incidents", "distance_miles", "distance_band",
                            *covariates], "placement frame")
    if family not in ("poisson", "negbin"):
        raise InputError(f"family must be 'poisson' or 'negbin', not {family!r}")
    synthetic = is_synthetic(frame) if synthetic is None else synthetic
    data, measure = _modelled(frame, covariates, notes)
    if "year" in covariates and data["year"].nunique() < 2:
        covariates.remove("year")  # one collection year: nothing to absorb
    for c in covariates:
        if c in CATEGORICAL_COVARIATES:
            data[c] = _pooled_category(data[c], c, min_level, notes)
    seen = set(data["distance_band"].astype(str))
    data["distance_band"] = pd.Categorical(data["distance_band"].astype(str),
                                           categories=[b for b in DISTANCE_BANDS if b in seen])
    data["distance_per_10_miles"] = data["distance_miles"] / 10.0
    data["log_exposure_days"] = np.log(data["exposure_days"])
    data["any_missing"] = (data["missing_incidents"] > 0).astype(int)
    data["log1p_distance"] = np.log1p(data["distance_miles"])
    if data.empty:
        raise ModelNotIdentifiedError("no placement has a known distance, exposure and covariates: nothing to model")
    if data["distance_miles"].nunique() < 2:
        raise ModelNotIdentifiedError(f"every modelled placement is at the same distance "
                                      f"({data['distance_miles'].iloc[0]:g} miles): distance cannot be related to "
                                      "anything")
    release_memory()  # what preparing the rows freed (Arrow keeps it), before the fits' peak
    fe = [c for c in covariates if c in FIXED_EFFECTS]
    adjust = [c for c in covariates if c not in FIXED_EFFECTS]
    if fe:
        notes.append(f"{' and '.join(fe)} entered as absorbed fixed effects, not dummy columns.")

    def design(*terms: str, extra: dict[str, np.ndarray] | None = None) -> Design:
        return build_design(data, [*terms, *adjust], fixed_effects=fe, extra=extra)

    check_design(design("distance_band"), what="distance-band model")
    if int(data["missing_incidents"].sum()) == 0:
        raise ModelNotIdentifiedError(f"no missing incident in the {len(data)} modelled placements: "
                                      "nothing to model")
    groups = pd.factorize(data["child"])[0]
    offset = data["log_exposure_days"].to_numpy()
    y = data["missing_incidents"].to_numpy(float)
    fits: dict[str, Any] = {}
    rr_rows: list[dict[str, Any]] = []
    # the dispersion is a nuisance parameter: fit it on the continuous model, which an empty band cannot break
    alpha: float | None = None
    if family == "negbin":
        _, alpha = fit_negbin(design("distance_per_10_miles"), y, offset=offset, cluster=groups, notes=notes,
                              name="negative binomial dispersion")
        notes.append(f"Negative binomial GLM (alpha={alpha:.3f} by maximum likelihood) with log(exposure days) "
                     "offset; standard errors clustered by child.")
    else:
        notes.append("Poisson GLM with log(exposure days) offset; standard errors clustered by child "
                     "(robust to over-dispersion).")

    def fit(name: str, d: Design) -> Fit:
        if alpha is None:
            res = fit_poisson(d, y, offset=offset, cluster=groups, notes=notes, name=name)
        else:
            res, _ = fit_negbin(d, y, offset=offset, cluster=groups, notes=notes, name=name, alpha=alpha)
        res.nobs = len(data)
        fits[name] = res
        return res

    first_band = str(data["distance_band"].cat.categories[0])
    if "bands" in models:
        res = fit("bands", design("distance_band"))
        events = data.groupby("distance_band", observed=True)["missing_incidents"].sum()
        for term in res.params.index:
            if term.startswith("C(distance_band)"):
                band = term.split("[T.")[-1].rstrip("]")
                row = ratio_row(res, term, "bands", "incidents, distance bands", "rate ratio",
                                f"{band} vs {first_band}")
                if events.get(band, 1) == 0:
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"band model: no missing incident in {band}; its rate ratio is not estimable")
                rr_rows.append(row)
    if "per10" in models:
        res = fit("per10", design("distance_per_10_miles"))
        rr_rows.append(ratio_row(res, "distance_per_10_miles", "per10", "incidents, per 10 miles", "rate ratio",
                                 f"per 10 miles ({measure})"))
    if "log" in models:
        res = fit("log", design("log1p_distance"))
        row = ratio_row(res, "log1p_distance", "log", "incidents, log distance", "rate ratio",
                        "per doubling of (1 + miles)")
        for k in ("ratio", "ci_low", "ci_high"):
            row[k] = row[k] ** np.log(2)
        rr_rows.append(row)
    dose = pd.DataFrame()
    if "spline" in models:
        basis, info = _spline_basis(data["log1p_distance"].to_numpy(), spline_df)
        res = fit("spline", design(extra=basis))
        dose = _dose_response(res, data, info, list(basis))
        del basis  # a column per degree of freedom for every placement
    if "logistic" in models:
        d = build_design(data, ["distance_band", *adjust, "log_exposure_days"], fixed_effects=fe)
        res = fit_logit(d, data["any_missing"].to_numpy(), cluster=groups, notes=notes, name="logistic")
        del d  # its placements × columns, not held through the models that follow
        res.nobs = len(data)
        fits["logistic"] = res
        share = data.groupby("distance_band", observed=True)["any_missing"].mean()
        for term in res.params.index:
            if term.startswith("C(distance_band)"):
                band = term.split("[T.")[-1].rstrip("]")
                row = ratio_row(res, term, "logistic", "any missing, distance bands (logistic)", "odds ratio",
                                f"{band} vs {first_band}")
                if share.get(band, 0.5) in (0.0, 1.0):
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"logistic model: every placement in {band} has the same outcome (separation); "
                                 "its odds ratio is not estimable and is left blank")
                rr_rows.append(row)
    inside_outside, balance = pd.DataFrame(), pd.DataFrame()
    if "ipw" in models:
        inside_outside, balance = ipw_inside_outside(data, covariates, groups, alpha, propensity_clip, notes, fits)
    result = ChildEffectResult(
        rate_table=_rate_table(data), rate_ratios=pd.DataFrame(rr_rows), dose_response=dose,
        inside_outside=inside_outside, balance=balance, synthetic=synthetic, distance_measure=measure,
        n_placements=len(data), n_children=int(data["child"].nunique()), notes=notes, models=fits)
    logger.info("child-level models on %d placements of %d children%s", result.n_placements, result.n_children,
                " (SYNTHETIC)" if synthetic else "")
    return result


def _modelled(frame: pd.DataFrame, covariates: list[str], notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Return the rows and columns the models use: placements ``'ok'`` with every value known and some exposure.

    One copy of the dozen columns the models read, never of the whole frame (its strings and offsets are
    gigabytes at national scale); ``child`` becomes integer codes in order of appearance (a cluster label).
    Returns the rows and the distance measure (``'road'`` or ``'straight-line'``).
    """
    values = ["exposure_days", "distance_miles", *covariates]
    ok = frame["status"].eq("ok").to_numpy() if "status" in frame else np.ones(len(frame), dtype=bool)
    gaps = frame[values].isna()
    rows = ok & ~gaps.to_numpy().any(axis=1) & frame["exposure_days"].gt(0).fillna(False).to_numpy(bool)
    if rows.sum() < ok.sum():
        missing = gaps.loc[ok].sum()
        notes.append(f"{int(ok.sum() - rows.sum())} placement(s) left out for a missing value or no exposure "
                     f"({', '.join(f'{c}: {n}' for c, n in missing.items() if n)})")
    measure = (str(frame["distance_measure"].to_numpy()[np.flatnonzero(rows)[0]])
               if "distance_measure" in frame and rows.any() else "straight-line")
    used = dict.fromkeys(["missing_incidents", "distance_band", "outside_la", *values])
    data = frame.loc[rows, [c for c in used if c in frame.columns]]
    codes = pd.factorize(frame["child"])[0][rows]  # no Python string per row (2,000,000 of them at scale)
    data.insert(0, "child", pd.factorize(codes)[0])  # numbered in order of appearance among the rows kept
    return data, measure


def _pooled_category(values: pd.Series, name: str, min_level: int, notes: list[str]) -> pd.Categorical:
    """Return the column as a category of its levels, rare ones pooled (:func:`_pool_rare`); levels sorted.

    (A function, so the object array of every placement's level it goes through is freed on return.)
    """
    pooled = _pool_rare(values.astype(str), name, min_level, notes).astype(object)
    return pd.Categorical(pooled, categories=sorted(pd.unique(pooled)))


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


def _spline_basis(x: np.ndarray, df: int) -> tuple[dict[str, np.ndarray], Any]:
    """B-spline basis of ``x`` (patsy's ``bs``, knots at quantiles of the data) and its design info."""
    import patsy

    basis = patsy.dmatrix(f"bs(x, df={df}) - 1", {"x": x}, return_type="matrix")
    names = [f"bs(log1p_distance, df={df})[{j}]" for j in range(basis.shape[1])]
    return dict(zip(names, np.asarray(basis).T, strict=True)), basis.design_info


def _dose_response(res: Fit, data: pd.DataFrame, info: Any, names: list[str]) -> pd.DataFrame:
    import patsy

    hi = float(np.nanpercentile(data["distance_miles"], 97.5))
    lo = float(data["distance_miles"].min())  # B-splines cannot be evaluated outside the data's range
    grid = np.linspace(lo, max(hi, lo + 1.0), 80)
    first = data["distance_band"].cat.categories[0]
    ref_miles = float(data.loc[data["distance_band"].eq(first), "distance_miles"].median())
    (xg,) = patsy.build_design_matrices([info], {"x": np.log1p(grid)})
    (xr,) = patsy.build_design_matrices([info], {"x": np.log1p([ref_miles])})
    diff = np.asarray(xg) - np.asarray(xr)
    eta = diff @ res.params[names].to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", diff, res.cov.loc[names, names].to_numpy(), diff))
    z = stats.norm.ppf(0.975)
    return pd.DataFrame({"distance_miles": grid, "rate_ratio": np.exp(eta), "ci_low": np.exp(eta - z * se),
                         "ci_high": np.exp(eta + z * se), "reference_miles": ref_miles})


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
