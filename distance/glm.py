"""GLM helpers of the child-level models: clustered fits, ratio rows, and inside vs outside the LA by IPW.

Inside vs outside the LA is compared with inverse-probability (propensity-score) weights and a sandwich
covariance clustered by child.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

logger = logging.getLogger(__name__)

__all__ = ["CATEGORICAL_COVARIATES", "fit_glm", "ratio_row", "ipw_inside_outside", "weighted_glm", "WeightedFit"]

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
