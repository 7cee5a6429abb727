"""Does distance make a difference, between LAs? Correlations and LA + year fixed-effects panels of LA-level data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from geo.errors import InputError, require_columns
from geo.quality import quality_table

logger = logging.getLogger(__name__)

__all__ = ["CAVEAT_ECOLOGICAL", "EcologicalResult", "ecological_effect"]

CAVEAT_ECOLOGICAL = (
    "Ecological-fallacy caveat: these are associations between local authorities' shares, not between "
    "children. An LA that places more children far away may also have more children who go missing without "
    "the far-placed children being the ones who go missing; LA-level confounders (need, sufficiency, "
    "recording practice - many LAs record 'away without authorisation' as 'missing' since 2017) can produce "
    "or hide a relation. Fixed effects remove stable LA differences and national year shocks, not changes "
    "within an LA over time. Only child-level data (SSDA903) can say whether distance makes a difference "
    "to a child."
)


@dataclass
class EcologicalResult:
    """Per-year correlations, fixed-effects panel models and the data-quality table of the LA-level analysis."""

    frame: pd.DataFrame
    correlations: pd.DataFrame
    panel: pd.DataFrame
    data_quality: pd.DataFrame
    caveat: str = CAVEAT_ECOLOGICAL

    @property
    def fixed_effects(self) -> pd.DataFrame:
        """The LA and year fixed-effects rows of ``panel`` (one per outcome)."""
        return self.panel.loc[self.panel["model_id"].eq("la_year_fe")]

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

    require_columns(frame, ["la_code", "year", exposure, *outcomes], "ecological frame")
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
        for model_id, label, formula in (("pooled_year", "pooled, year effects", "y ~ x + C(year)"),
                                         ("la_year_fe", "LA and year fixed effects", "y ~ x + C(la_code) + C(year)")):
            fit = smf.ols(formula, data=data).fit(cov_type="cluster", cov_kwds={"groups": groups})
            lo, hi = fit.conf_int().loc["x"]
            within = np.nan
            if "la_code" in formula:  # partial R2 of the exposure beyond the fixed effects
                base = smf.ols("y ~ C(la_code) + C(year)", data=data).fit()
                within = 1 - fit.ssr / base.ssr if base.ssr > 0 else np.nan
            panel_rows.append({"outcome": outcome, "model_id": model_id, "model": label, "exposure": exposure,
                               "coef": fit.params["x"],
                               "std_err": fit.bse["x"], "ci_low": lo, "ci_high": hi, "p_value": fit.pvalues["x"],
                               "n_obs": int(fit.nobs), "n_las": int(data["la_code"].nunique()),
                               "years": f"{int(data['year'].min())}-{int(data['year'].max())}",
                               "r2": fit.rsquared, "within_r2": within,
                               "se": "clustered by LA"})
    if not panel_rows:
        raise InputError(f"too few LA-years for any panel model: {len(frame)} rows, at least 10 over 3 LAs needed")
    quality = data_quality if data_quality is not None else quality_table([])
    return EcologicalResult(frame=frame, correlations=pd.DataFrame(corr_rows), panel=pd.DataFrame(panel_rows),
                            data_quality=quality)


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
