"""The child-level models as they were before the fixed-effects rewrite (statsmodels GLM, LA dummy columns).

A verbatim copy of distance/glm.py and distance/child_models.py at main 241fb94, kept only so that
benchmarks/bench_effect.py can time the old path against the new one on the same data in the same run.
"""
# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from distance.straight import DISTANCE_BANDS
from geo.disclosure import SYNTHETIC_LABEL
from geo.errors import InputError, ModelNotIdentifiedError, require_columns

logger = logging.getLogger(__name__)



CATEGORICAL_COVARIATES = frozenset({"sex", "placement_type", "uasc", "legal_status", "la"})
"""Covariates of the child-level models that enter as categories (the others are numbers)."""


def fit_glm(data: pd.DataFrame, formula: str, family: Any, offset: np.ndarray | None, groups: np.ndarray,
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


def ratio_row(res: Any, term: str, model_id: str, model: str, kind: str, label: str) -> dict[str, Any]:
    """One row of a ratio table: ``exp`` of the coefficient of ``term`` with its 95% interval and p-value.

    ``model_id`` is the stable key callers select rows by (``"per10"``, ``"bands"``, ``"ipw_outside"`` …);
    ``model`` and ``label`` are the words shown to readers.
    """
    lo, hi = res.conf_int().loc[term]
    return {"model_id": model_id, "model": model, "term": label, "measure": kind,
            "ratio": float(np.exp(res.params[term])),
            "ci_low": float(np.exp(lo)), "ci_high": float(np.exp(hi)), "p_value": float(res.pvalues[term]),
            "n_placements": int(res.nobs), "se": "clustered by child"}


def ipw_inside_outside(data: pd.DataFrame, covariates: tuple[str, ...] | list[str], rhs: str, groups: np.ndarray,
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
    ps_fit = fit_glm(d, f"outside ~ 1{rhs}", families.Binomial(), None, g, notes, "propensity score")
    fits["propensity"] = ps_fit
    ps = np.clip(ps_fit.fittedvalues.to_numpy(), *clip)
    p_t = d["outside"].mean()
    w = np.where(d["outside"] == 1, p_t / ps, (1 - p_t) / (1 - ps))  # stabilised ATE weights
    d["_w"] = w
    crude = fit_glm(d, "missing_incidents ~ outside", fam, off, g, notes, "crude inside/outside")
    ipw = weighted_glm(d, fam, off, w, g)
    fits["crude_outside"], fits["ipw_outside"] = crude, ipw
    rows = [ratio_row(crude, "outside", "crude_outside", "incidents, outside vs inside the LA", "rate ratio", "crude"),
            ratio_row(ipw, "outside", "ipw_outside", "incidents, outside vs inside the LA", "rate ratio",
                       "propensity-score weighted (IPW, stabilised ATE weights)")]
    ess = float(w.sum() ** 2 / (w ** 2).sum())
    for r in rows:
        r.update({"placements_inside": int((d["outside"] == 0).sum()), "placements_outside": int(d["outside"].sum()),
                  "effective_sample_size": ess if "IPW" in r["term"] else float(len(d)),
                  "propensity_clip": f"{clip[0]}-{clip[1]}"})
    return pd.DataFrame(rows), covariate_balance(d, covariates, w)


def covariate_balance(d: pd.DataFrame, covariates: tuple[str, ...] | list[str], w: np.ndarray) -> pd.DataFrame:
    """Standardised mean differences (outside - inside) of each covariate level, before and after weighting."""
    rows = []
    t = d["outside"].to_numpy() == 1
    for c in covariates:
        if c == "la" and d[c].nunique() > 30:
            continue
        cols = (pd.get_dummies(d[c], prefix=c, dtype=float) if c in CATEGORICAL_COVARIATES else d[[c]].astype(float))
        for name in cols.columns:
            x = cols[name].to_numpy()
            sd = np.sqrt((x[t].var() + x[~t].var()) / 2) or 1.0
            raw = (x[t].mean() - x[~t].mean()) / sd
            wt = (np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])) / sd
            rows.append({"covariate": name, "smd_unweighted": raw, "smd_weighted": wt})
    return pd.DataFrame(rows)


@dataclass
class WeightedFit:
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


def weighted_glm(d: pd.DataFrame, fam: Any, offset: np.ndarray, w: np.ndarray, groups: np.ndarray) -> WeightedFit:
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
    return WeightedFit(pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), n)



DEFAULT_COVARIATES: tuple[str, ...] = (
    "age_at_start_years", "sex", "placement_type", "uasc", "legal_status", "previous_placements", "la",
)
"""Adjustment set of the child-level models (columns of :func:`placement_frame`)."""


_MIN_PLACEMENTS = 30

_PER_PARAMETER = 10


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
    require_columns(frame, ["child", "exposure_days", "missing_incidents", "distance_miles", "distance_band",
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
        if c in CATEGORICAL_COVARIATES:
            pooled = _pool_rare(data[c].astype(str), c, min_level, notes).astype(object)
            # a plain Categorical: patsy reads its codes instead of testing every string for NA (10x faster)
            data[c] = pd.Categorical(pooled, categories=sorted(pd.unique(pooled)))
    seen = set(data["distance_band"].astype(str))
    data["distance_band"] = pd.Categorical(data["distance_band"].astype(str),
                                           categories=[b for b in DISTANCE_BANDS if b in seen])
    data["distance_per_10_miles"] = data["distance_miles"] / 10.0
    data["log_exposure_days"] = np.log(data["exposure_days"])
    data["any_missing"] = (data["missing_incidents"] > 0).astype(int)  # 0/1: a bool would become two columns
    data["log1p_distance"] = np.log1p(data["distance_miles"])
    rhs = " + ".join(f"C({c})" if c in CATEGORICAL_COVARIATES else c for c in covariates)
    rhs = f" + {rhs}" if rhs else ""
    band_formula = f"missing_incidents ~ C(distance_band){rhs}"
    if data.empty:
        raise ModelNotIdentifiedError("no placement has a known distance, exposure and covariates: nothing to model")
    if data["distance_miles"].nunique() < 2:
        raise ModelNotIdentifiedError(f"every modelled placement is at the same distance "
                                      f"({data['distance_miles'].iloc[0]:g} miles): distance cannot be related to "
                                      "anything")
    _check_design(data, band_formula, what="distance-band model")
    if int(data["missing_incidents"].sum()) == 0:
        raise ModelNotIdentifiedError(f"no missing incident in the {len(data)} modelled placements: "
                                      "nothing to model")
    groups = pd.factorize(data["child"])[0]
    offset = data["log_exposure_days"].to_numpy()
    # the dispersion is a nuisance parameter: fit it on the continuous model, which an empty band cannot break
    fam = _family(data, f"missing_incidents ~ distance_per_10_miles{rhs}", offset, family, notes)
    fits: dict[str, Any] = {}
    rr_rows: list[dict[str, Any]] = []

    def fit(name: str, formula: str, fam_: Any, off: np.ndarray | None) -> Any:
        res = fit_glm(data, formula, fam_, off, groups, notes, name)
        fits[name] = res
        return res

    if "bands" in models:
        res = fit("bands", band_formula, fam, offset)
        events = data.groupby("distance_band", observed=True)["missing_incidents"].sum()
        for term in res.params.index:
            if term.startswith("C(distance_band)"):
                band = term.split("[T.")[-1].rstrip("]")
                row = ratio_row(res, term, "bands", "incidents, distance bands", "rate ratio",
                                 band + " vs " + str(data["distance_band"].cat.categories[0]))
                if events.get(band, 1) == 0:
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"band model: no missing incident in {band}; its rate ratio is not estimable")
                rr_rows.append(row)
    if "per10" in models:
        res = fit("per10", f"missing_incidents ~ distance_per_10_miles{rhs}", fam, offset)
        rr_rows.append(ratio_row(res, "distance_per_10_miles", "per10", "incidents, per 10 miles", "rate ratio",
                                  f"per 10 miles ({measure})"))
    if "log" in models:
        res = fit("log", f"missing_incidents ~ log1p_distance{rhs}", fam, offset)
        row = ratio_row(res, "log1p_distance", "log", "incidents, log distance", "rate ratio",
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
                row = ratio_row(res, term, "logistic", "any missing, distance bands (logistic)", "odds ratio",
                                 band + " vs " + str(data["distance_band"].cat.categories[0]))
                if share.get(band, 0.5) in (0.0, 1.0):
                    row.update(ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan)
                    notes.append(f"logistic model: every placement in {band} has the same outcome (separation); "
                                 "its odds ratio is not estimable and is left blank")
                rr_rows.append(row)
    inside_outside, balance = pd.DataFrame(), pd.DataFrame()
    if "ipw" in models:
        inside_outside, balance = ipw_inside_outside(data, covariates, rhs, groups, offset, fam, propensity_clip,
                                                     notes, fits)
    result = ChildEffectResult(
        rate_table=_rate_table(data), rate_ratios=pd.DataFrame(rr_rows), dose_response=dose,
        inside_outside=inside_outside, balance=balance, synthetic=synthetic, distance_measure=measure,
        n_placements=len(data), n_children=int(data["child"].nunique()), notes=notes, models=fits)
    logger.info("child-level models on %d placements of %d children%s", result.n_placements, result.n_children,
                " (SYNTHETIC)" if synthetic else "")
    return result


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
        raise ModelNotIdentifiedError(
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
    raise ModelNotIdentifiedError(f"perfectly collinear covariates in the {what}: " + "; ".join(problems)
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
