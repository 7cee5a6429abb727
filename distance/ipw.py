"""Inside vs outside the LA: propensity-score weights (IPW) and a sandwich covariance clustered by child."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from distance.glm import (
    CATEGORICAL_COVARIATES,
    FIXED_EFFECTS,
    Design,
    Fit,
    build_design,
    cluster_sandwich,
    fit_glm,
    fit_logit,
    ratio_row,
)

logger = logging.getLogger(__name__)

__all__ = ["ipw_inside_outside", "covariate_balance", "weighted_glm"]


def ipw_inside_outside(data: pd.DataFrame, covariates: Sequence[str], groups: np.ndarray, alpha: float | None,
                       clip: tuple[float, float], notes: list[str],
                       fits: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outside vs inside the LA: crude and propensity-weighted (stabilised ATE weights) rate ratios.

    The propensity score is a logistic model of ``outside`` on ``covariates`` (LA and year absorbed); the outcome
    models are Poisson, or NB2 with dispersion ``alpha``.
    """
    if "outside_la" not in data or data["outside_la"].isna().all():
        notes.append("inside vs outside the LA: no outside_la column (locate the placements first); skipped")
        return pd.DataFrame(), pd.DataFrame()
    known = data["outside_la"].notna().to_numpy()
    d = data.loc[known] if not known.all() else data  # no copy of every placement when all are known
    d = d.assign(outside=d["outside_la"].astype(bool).astype(int))  # copy-on-write: the other columns are shared
    if d["outside"].nunique() < 2:
        notes.append("inside vs outside the LA: every placement is on one side; skipped")
        return pd.DataFrame(), pd.DataFrame()
    g = groups[known]
    off = np.log(d["exposure_days"].to_numpy())
    fe = [c for c in covariates if c in FIXED_EFFECTS]
    design = build_design(d, [c for c in covariates if c not in FIXED_EFFECTS], fixed_effects=fe)
    ps_fit = fit_logit(design, d["outside"].to_numpy(), cluster=g, notes=notes, name="propensity score")
    del design  # its placements × columns, not held through the weighted fits
    fits["propensity"] = ps_fit
    assert ps_fit.fitted is not None
    ps = np.clip(ps_fit.fitted, *clip)
    p_t = d["outside"].mean()
    w = np.where(d["outside"] == 1, p_t / ps, (1 - p_t) / (1 - ps))  # stabilised ATE weights
    crude = weighted_glm(d, off, np.ones(len(d)), g, alpha)
    ipw = weighted_glm(d, off, w, g, alpha)
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


def covariate_balance(d: pd.DataFrame, covariates: Sequence[str], w: np.ndarray) -> pd.DataFrame:
    """Standardised mean differences (outside - inside) of each covariate level, before and after weighting."""
    rows = []
    t = d["outside"].to_numpy() == 1
    for c in covariates:
        if c in FIXED_EFFECTS and d[c].nunique() > 30:
            continue
        cols = (pd.get_dummies(d[c], prefix=c, dtype=float) if c in CATEGORICAL_COVARIATES else d[[c]].astype(float))
        for name in cols.columns:
            x = cols[name].to_numpy()
            sd = np.sqrt((x[t].var() + x[~t].var()) / 2) or 1.0
            raw = (x[t].mean() - x[~t].mean()) / sd
            wt = (np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])) / sd
            rows.append({"covariate": name, "smd_unweighted": raw, "smd_weighted": wt})
    return pd.DataFrame(rows)


def weighted_glm(d: pd.DataFrame, offset: np.ndarray, w: np.ndarray, groups: np.ndarray,
                 alpha: float | None = None) -> Fit:
    """Weighted log-link model ``missing_incidents ~ outside`` with a sandwich covariance clustered by child.

    Poisson, or NB2 with dispersion ``alpha``. The estimating-equation sandwich (weights treated as fixed, as is
    usual for IPW) is computed here: bread = sum w mu^2/V x x', meat = sum over children of
    (sum w x (y - mu) mu/V)(...)', with the CR1 small-sample factor;
    the point estimates are :func:`~distance.glm.fit_glm`'s.
    """
    X = np.column_stack([np.ones(len(d)), d["outside"].to_numpy(float)])
    y = d["missing_incidents"].to_numpy(float)
    design = Design(X, ["Intercept", "outside"])
    mu = np.full(len(y), max(y.mean(), 1e-8))
    for _ in range(50 if alpha else 1):  # NB2: reweighted Poisson until the means settle (see fit_negbin)
        extra = 1.0 if alpha is None else 1.0 / (1.0 + alpha * mu)
        fit = fit_glm("poisson", design, y, offset=offset, cluster=groups, weights=w * extra, notes=[],
                      name="weighted", vcov=False)
        assert fit.fitted is not None
        change = np.max(np.abs(fit.fitted - mu) / np.maximum(mu, 1e-12))
        mu = fit.fitted
        if change < 1e-10:
            break
    beta = fit.params.to_numpy()
    mu = np.exp(X @ beta + offset)
    v = mu if alpha is None else mu + alpha * mu ** 2
    cov, g = cluster_sandwich(X, w * mu ** 2 / v, w * (y - mu) * mu / v, groups, n_parameters=X.shape[1])
    names = ["Intercept", "outside"]
    return Fit(pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), len(y), g)
