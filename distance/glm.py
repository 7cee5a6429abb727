"""Count and binary models with absorbed fixed effects, clustered by child, and inside vs outside by IPW.

The child-level models never build a dummy column per LA, year or child: those enter as fixed effects, partialled
out by pyfixest's demeaner (alternating projections) inside an IRLS loop (:func:`fit_glm`), so memory grows with
placements × the few other covariates only, and the fit holds one demeaned copy of them.
Standard errors are cluster-robust by child with statsmodels' small-sample factor, G/(G-1) · (N-1)/(N-K),
where K counts every estimated parameter, absorbed ones included (``ssc(k_fixef="full")``): the estimates and
standard errors equal statsmodels' GLM with dummy columns (``tests/distance/test_glm.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats

from geo.errors import ModelNotIdentifiedError

logger = logging.getLogger(__name__)

__all__ = ["CATEGORICAL_COVARIATES", "FIXED_EFFECTS", "Design", "Fit", "build_design", "check_design",
           "fit_poisson", "fit_logit", "fit_negbin", "fit_glm", "cluster_sandwich", "sum_by_group", "drop_collinear",
           "ratio_row", "release_memory"]

CATEGORICAL_COVARIATES = frozenset({"sex", "placement_type", "uasc", "legal_status", "la", "year"})
"""Covariates of the child-level models that enter as categories (the others are numbers)."""

FIXED_EFFECTS = ("la", "year")
"""Categorical covariates absorbed as fixed effects (never dummy columns) when they are adjusted for."""

_MIN_PLACEMENTS = 30
_PER_PARAMETER = 10


@dataclass
class Design:
    """A model's design: dense columns for the few covariates, integer codes for the absorbed fixed effects.

    Attributes
    ----------
    X
        ``n × k`` float columns named ``names`` (``'Intercept'`` first when there is no fixed effect; a
        category's columns are named as patsy names them, ``C(sex)[T.male]``).
    fe
        ``n × m`` integer codes of the fixed effects ``fe_names`` (``None`` when there are none).
    fe_levels
        Number of levels of each fixed effect.
    """

    X: np.ndarray
    names: list[str]
    fe: np.ndarray | None = None
    fe_names: list[str] = field(default_factory=list)
    fe_levels: list[int] = field(default_factory=list)

    @property
    def n_parameters(self) -> int:
        """Every estimated parameter, the absorbed fixed effects included.

        One per fixed-effect level present among the rows, less one for each fixed effect but the first: a
        design taken on fewer rows has fewer levels.
        """
        if self.fe is None:
            return self.X.shape[1]
        present = [int(np.count_nonzero(np.bincount(self.fe[:, j].astype(np.int64), minlength=1)))
                   for j in range(self.fe.shape[1])]
        return self.X.shape[1] + sum(present) - (len(present) - 1)

    def take(self, rows: np.ndarray) -> Design:
        """Return the design on ``rows`` (itself, not a copy, when ``rows`` are all of its rows in order)."""
        if _every_row(rows, len(self.X)):
            return self
        fe = None if self.fe is None else self.fe[rows]
        return Design(self.X[rows], self.names, fe, self.fe_names, self.fe_levels)


@dataclass
class Fit:
    """Point estimates and cluster-robust covariance of a fitted model (what the tables are made from)."""

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_clusters: int = 0
    fitted: np.ndarray | None = field(default=None, repr=False)

    @property
    def bse(self) -> pd.Series:
        var = np.diag(self.cov)
        return pd.Series(np.sqrt(np.where(var >= 0, var, np.nan)), index=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        z = stats.norm.ppf(1 - alpha / 2)
        se = self.bse
        return pd.DataFrame({0: self.params - z * se, 1: self.params + z * se}, index=self.params.index)

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.params / self.bse)), index=self.params.index)

    def cov_params(self) -> pd.DataFrame:
        return self.cov


WeightedFit = Fit  # the name used before the fixed-effects rewrite


def build_design(data: pd.DataFrame, terms: Sequence[str], *, fixed_effects: Sequence[str] = (),
                 extra: dict[str, np.ndarray] | None = None) -> Design:
    """Columns of ``terms`` (categories as treatment dummies, first level the reference) and fixed-effect codes.

    ``extra`` adds ready-made numeric columns (a spline basis) by name. Categories are the column's categorical
    levels when it has them, else its sorted values.
    """
    n = len(data)
    # each column is written once into X (no list of columns stacked into a second copy: GBs at national scale)
    fill: list[tuple[str, Any]] = [] if fixed_effects else [("Intercept", 1.0)]
    for term in terms:
        if term in CATEGORICAL_COVARIATES or term == "distance_band" or isinstance(data[term].dtype,
                                                                                    pd.CategoricalDtype):
            codes, levels = _codes(data[term])
            fill += [(f"C({term})[T.{level}]", (codes, j)) for j, level in enumerate(levels[1:], start=1)]
        else:
            fill.append((term, data[term]))
    fill += list((extra or {}).items())
    X = np.empty((n, len(fill)))
    for j, (_, values) in enumerate(fill):
        if isinstance(values, tuple):
            np.equal(values[0], values[1], out=X[:, j], casting="unsafe")  # a dummy column: 1.0 or 0.0
        else:
            X[:, j] = values.to_numpy(float) if isinstance(values, pd.Series) else np.asarray(values, float)
    names = [name for name, _ in fill]
    if not fixed_effects:
        return Design(X, names)
    fe_codes = [_codes(data[f])[0] for f in fixed_effects]
    fe = np.column_stack(fe_codes).astype(np.uint64)
    return Design(X, names, fe, list(fixed_effects), [int(c.max()) + 1 for c in fe_codes])


def check_design(design: Design, *, what: str, count_fixed_effects: bool = True) -> None:
    """Raise if there are too few placements for the model, or if its columns are collinear (named).

    Collinearity is judged after the fixed effects are partialled out, on the Gram matrix of unit-length columns,
    so a covariate that the LA (or child) fixed effects explain is named as such. The placements needed are
    10 per parameter, counting the absorbed fixed effects unless ``count_fixed_effects`` is false (a child
    fixed effect per child: the conditional likelihood has no parameter for it).
    """
    n, k = design.X.shape[0], design.n_parameters if count_fixed_effects else design.X.shape[1]
    need = max(_MIN_PLACEMENTS, _PER_PARAMETER * k)
    if n < need:
        raise ModelNotIdentifiedError(
            f"too few placements for the {what}: {n} placement(s) with a known distance and covariates, "
            f"but at least {need} are needed ({_PER_PARAMETER} per model parameter; the model has {k} "
            f"parameters; use fewer covariates or more data)")
    X = design.X
    scale = np.sqrt((X * X).sum(axis=0))
    scale[scale == 0] = 1.0
    if design.fe is not None:
        X = _demean(X, design.fe, np.ones(n))
    unit = X / scale
    gram = unit.T @ unit
    tol = 1e-10
    if np.linalg.matrix_rank(gram, tol=tol, hermitian=True) == X.shape[1]:
        return
    fes = f"the {' and '.join(design.fe_names)} fixed effects" if design.fe_names else ""
    kept: list[int] = []
    problems = []
    for j in range(X.shape[1]):
        trial = kept + [j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)], tol=tol, hermitian=True) == len(trial):
            kept.append(j)
            continue
        coef = np.linalg.lstsq(gram[np.ix_(kept, kept)], gram[kept, j], rcond=None)[0] if kept else np.array([])
        partners = [repr(design.names[kept[i]]) for i in np.flatnonzero(np.abs(coef) > 1e-8)]
        if fes:
            partners.append(fes)
        problems.append(f"{design.names[j]!r} = combination of {', '.join(partners) or 'nothing (all zero)'}")
    raise ModelNotIdentifiedError(f"perfectly collinear covariates in the {what}: " + "; ".join(problems)
                                  + ". Drop one of them (covariates=...) or check the data.")


def drop_collinear(design: Design, *, keep: Sequence[str], notes: list[str], what: str) -> Design:
    """Leave out adjustment columns that add nothing once the fixed effects (and earlier columns) are in, with a note.

    With a fixed effect per child, a covariate level that never changes within a child is absorbed: it says
    nothing about the other terms. Columns in ``keep`` (the term of interest) are never dropped: if one of them is
    absorbed the model is not identified.
    """
    X = design.X
    scale = np.sqrt((X * X).sum(axis=0))
    scale[scale == 0] = 1.0
    unit = (X if design.fe is None else _demean(X, design.fe, np.ones(len(X)))) / scale
    gram = unit.T @ unit
    order = [j for j, n in enumerate(design.names) if n in keep] + [j for j, n in enumerate(design.names)
                                                                     if n not in keep]
    kept: list[int] = []
    for j in order:
        trial = kept + [j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)], tol=1e-10, hermitian=True) == len(trial):
            kept.append(j)
        elif design.names[j] in keep:
            raise ModelNotIdentifiedError(f"{what}: {design.names[j]!r} does not vary once the "
                                          f"{' and '.join(design.fe_names)} fixed effects are in: not identified")
    dropped = [design.names[j] for j in range(X.shape[1]) if j not in kept]
    if not dropped:
        return design
    notes.append(f"{what}: {', '.join(dropped)} never change(s) apart from the {' and '.join(design.fe_names)} "
                 "fixed effects (or the other covariates): left out of the adjustment")
    cols = sorted(kept)
    return Design(X[:, cols], [design.names[j] for j in cols], design.fe, design.fe_names, design.fe_levels)


def fit_poisson(design: Design, y: np.ndarray, *, offset: np.ndarray, cluster: np.ndarray,
                notes: list[str], name: str, weights: np.ndarray | None = None, unit: str = "placement(s)") -> Fit:
    """Poisson model with a log link, ``offset`` and absorbed fixed effects; covariance clustered by ``cluster``.

    Rows of fixed-effect groups without a single event carry no information (their fixed effect is minus
    infinity); they are left out before fitting, as pyfixest would, and the note says how many.
    """
    keep = _informative(design, y, binary=False, notes=notes, name=name, unit=unit)
    return fit_glm("poisson", design.take(keep), _take(y, keep), offset=_take(offset, keep),
                   cluster=_take(cluster, keep), weights=None if weights is None else _take(weights, keep),
                   notes=notes, name=name)


def fit_logit(design: Design, y: np.ndarray, *, cluster: np.ndarray, notes: list[str], name: str) -> Fit:
    """Logistic model with absorbed fixed effects; ``fitted`` holds the probability of every row.

    Rows of fixed-effect groups where every outcome is the same are fitted exactly (probability 0 or 1) and
    left out of the fit; the note says how many.
    """
    keep = _informative(design, y, binary=True, notes=notes, name=name)
    fit = fit_glm("logit", design.take(keep), _take(y, keep), offset=None, cluster=_take(cluster, keep),
                  weights=None, notes=notes, name=name)
    fitted = y.astype(float).copy()
    assert fit.fitted is not None
    fitted[keep] = fit.fitted
    fit.fitted = fitted
    return fit


def fit_negbin(design: Design, y: np.ndarray, *, offset: np.ndarray, cluster: np.ndarray, notes: list[str],
               name: str, alpha: float | None = None, max_rounds: int = 50) -> tuple[Fit, float]:
    """Negative binomial (NB2) model with absorbed fixed effects, by iteratively reweighted Poisson fits.

    The NB2 score ``sum x (y - mu) / (1 + alpha mu)`` is that of a Poisson model with weights
    ``1 / (1 + alpha mu)``: each round fits that weighted Poisson model (:func:`fit_glm`) and, unless ``alpha`` is
    given, re-estimates ``alpha`` by maximum likelihood given the means (scipy), until both settle (the joint
    maximum likelihood). The covariance is the NB2 sandwich clustered by child, on the fixed-effect-demeaned
    columns (observed information, as statsmodels). Returns the fit and ``alpha``.
    """
    keep = _informative(design, y, binary=False, notes=notes, name=name)
    d, yk, off, cl = design.take(keep), _take(y, keep).astype(float), _take(offset, keep), _take(cluster, keep)
    mu = np.full(len(yk), yk.mean())
    a = 1.0 if alpha is None else alpha
    fit = None
    for _ in range(max_rounds):
        if alpha is None:
            a = _nb_alpha(yk, mu)
        w = 1.0 / (1.0 + a * mu)
        fit = fit_glm("poisson", d, yk, offset=off, cluster=cl, weights=w, notes=notes, name=name, vcov=False)
        assert fit.fitted is not None
        change = np.max(np.abs(fit.fitted - mu) / np.maximum(mu, 1e-12))
        mu = fit.fitted
        if change < 1e-8:
            break
    assert fit is not None
    # NB2 sandwich with the observed information (as statsmodels): bread sum h x~ x~', h = mu (1 + a y) / (1 + a mu)^2,
    # meat sum_g (sum x~ (y - mu) / (1 + a mu))^2, x~ the columns with the fixed effects partialled out in metric h
    irls = mu * (1.0 + a * yk) / (1.0 + a * mu) ** 2
    X = d.X if d.fe is None else _demean(d.X, d.fe, irls)
    cov, g = cluster_sandwich(X, irls, (yk - mu) / (1.0 + a * mu), cl, n_parameters=d.n_parameters)
    fit.cov = pd.DataFrame(cov, index=fit.params.index, columns=fit.params.index)
    fit.n_clusters = g
    return fit, float(a)


def ratio_row(res: Fit, term: str, model_id: str, model: str, kind: str, label: str) -> dict[str, Any]:
    """One row of a ratio table: ``exp`` of the coefficient of ``term`` with its 95% interval and p-value.

    ``model_id`` is the stable key callers select rows by (``"per10"``, ``"bands"``, ``"ipw_outside"`` …);
    ``model`` and ``label`` are the words shown to readers.
    """
    lo, hi = res.conf_int().loc[term]
    return {"model_id": model_id, "model": model, "term": label, "measure": kind,
            "ratio": float(np.exp(res.params[term])),
            "ci_low": float(np.exp(lo)), "ci_high": float(np.exp(hi)), "p_value": float(res.pvalues[term]),
            "n_placements": int(res.nobs), "se": "clustered by child"}


# --------------------------------------------------------------------------------------------------- helpers
def _every_row(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` (row numbers or a boolean mask) select all ``n`` rows, once each and in order."""
    rows = np.asarray(rows)
    if len(rows) != n:
        return False
    return bool(rows.all()) if rows.dtype == bool else bool(np.array_equal(rows, np.arange(n)))


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, without a copy when ``rows`` are all of them (the usual case: nothing was left out)."""
    return values if _every_row(rows, len(values)) else values[rows]


def _codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and levels (categorical order when categorical, else sorted; levels that occur only)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories()
        return values.cat.codes.to_numpy(np.int64), list(values.cat.categories)
    codes, levels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), list(levels)


def _informative(design: Design, y: np.ndarray, *, binary: bool, notes: list[str], name: str,
                 unit: str = "placement(s)") -> np.ndarray:
    """Rows left after dropping fixed-effect groups whose outcomes cannot inform the model (repeated to a fixpoint)."""
    keep = np.ones(len(y), dtype=bool)
    if design.fe is None:
        return np.flatnonzero(keep)
    yf = y.astype(float)
    while True:
        before = keep.sum()
        for j in range(design.fe.shape[1]):
            codes = design.fe[keep, j].astype(np.int64)
            total = np.bincount(codes, weights=yf[keep], minlength=design.fe_levels[j])
            count = np.bincount(codes, minlength=design.fe_levels[j])
            flat = (total == 0) | (binary & (total == count))
            keep[np.flatnonzero(keep)[flat[codes]]] = False
        if keep.sum() == before:
            break
    dropped = int((~keep).sum())
    if dropped:
        what = "every outcome the same" if binary else "no missing incident"
        fes = " or ".join(design.fe_names)
        msg = (f"{name} model: {dropped:,} {unit} in {fes} groups with {what} carry no information "
               "about the other terms and were left out of the fit")
        if msg not in notes:
            notes.append(msg)
    if keep.sum() == 0:
        raise ModelNotIdentifiedError(f"{name} model: no {' or '.join(design.fe_names)} group has variation in "
                                      "the outcome; nothing to model")
    return np.flatnonzero(keep)


def fit_glm(family: str, design: Design, y: np.ndarray, *, offset: np.ndarray | None, cluster: np.ndarray,
            weights: np.ndarray | None, notes: list[str], name: str, vcov: bool = True, max_iter: int = 100,
            tol: float = 1e-9) -> Fit:
    """Fit a Poisson (log link) or logistic model with absorbed fixed effects by IRLS on pyfixest's demeaner.

    Each round is a weighted least-squares fit of the working response on the columns, both with the fixed
    effects partialled out in the round's weights (:func:`pyfixest.estimation.demean`, alternating projections);
    the linear predictor is the working response less the demeaned residual, which carries the fixed effects
    without estimating them (Guimarães and Portugal 2010; Correia, Guimarães and Zylkin 2020, as pyfixest's own
    ``fepois``/``feglm``). Each round demeans the previous round's demeaned columns (a projection of them is
    the projection of the columns), which converges in a few sweeps. The fit holds the columns and one demeaned
    copy, demeaned in place a few columns at a time: pyfixest's estimators held about nine (2 GiB at 1,770,000
    placements).

    ``weights`` are prior weights (the NB2 rounds and IPW); without them the covariance is clustered by
    ``cluster`` (CRV1: ``G/(G-1) · (N-1)/(N-K)``, K every estimated parameter, absorbed ones included), with them
    ``vcov`` must be false and the caller computes its sandwich (:func:`cluster_sandwich`). Rounds stop when the
    deviance changes by less than ``tol`` (relative).

    Raises
    ------
    ModelNotIdentifiedError
        Collinear columns, or no convergence in ``max_iter`` rounds (an outcome separated by the covariates).
    """
    if family not in ("poisson", "logit"):
        raise ValueError(f"family must be 'poisson' or 'logit', not {family!r}")
    if vcov and weights is not None:
        raise ValueError("a weighted fit's sandwich is the caller's (vcov=False)")
    poisson = family == "poisson"
    n, k = design.X.shape
    yf = np.asarray(y, float)
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    off = np.zeros(n) if offset is None else np.asarray(offset, float)
    mu = (yf + np.average(yf, weights=w)) / 2.0 if poisson else (yf + 0.5) / 2.0
    eta = np.log(mu) if poisson else special.logit(mu)
    dev = _deviance(poisson, yf, mu, w)
    demeaned: np.ndarray | None = None  # [z~ | X~] of the last round
    z_prev = np.zeros(n)
    beta = np.zeros(k)
    for _ in range(max_iter):
        irls = w * (mu if poisson else mu * (1.0 - mu))
        z = eta - off + (yf - mu) / (mu if poisson else mu * (1.0 - mu))
        if design.fe is None:
            zt, Xt = z, design.X
        else:
            if demeaned is None:
                demeaned = np.empty((n, k + 1))
                demeaned[:, 0] = z
                demeaned[:, 1:] = design.X
            else:  # the last round's demeaned columns, and its working response moved by the change in z
                demeaned[:, 0] += z - z_prev
            _demean_in_place(demeaned, design.fe, irls)
            zt, Xt = demeaned[:, 0], demeaned[:, 1:]
        z_prev = z
        beta = _solve(_gram(Xt, irls), Xt.T @ (irls * zt), name=name)
        eta_new = off + z - (zt - Xt @ beta)
        mu_new, dev_new = _mean_and_deviance(poisson, yf, eta_new, w)
        step = 1.0
        while not (np.isfinite(dev_new) and dev_new <= dev * (1 + 1e-12)) and step > 1e-6:
            step /= 2.0  # step-halving: the deviance went up
            eta_try = eta + step * (eta_new - eta)
            mu_new, dev_new = _mean_and_deviance(poisson, yf, eta_try, w)
            if np.isfinite(dev_new) and dev_new <= dev:
                eta_new = eta_try
        change = abs(dev_new - dev) / (0.1 + abs(dev_new))
        eta, mu, dev = eta_new, mu_new, dev_new
        if change < tol:
            break
    else:
        raise ModelNotIdentifiedError(f"{name} model did not converge in {max_iter} rounds (the covariates may "
                                      "predict the outcome exactly); pool or drop covariates")
    names = list(design.names)
    params = pd.Series(beta, index=names)
    if not vcov:
        g = int(np.count_nonzero(np.bincount(pd.factorize(cluster)[0])))
        return Fit(params, pd.DataFrame(np.nan, index=names, columns=names), n, g, mu)
    # cluster-robust sandwich at the estimate: bread X~' W X~, meat sum over clusters of (sum x~ (y - mu))^2
    irls = mu if poisson else mu * (1.0 - mu)
    if demeaned is not None and design.fe is not None:  # the columns demeaned in the final weights
        _demean_in_place(demeaned, design.fe, irls)
    Xt = design.X if demeaned is None else demeaned[:, 1:]
    cov, g = cluster_sandwich(Xt, irls, yf - mu, cluster, n_parameters=design.n_parameters)
    del demeaned, Xt
    release_memory()  # the fit's working copies, handed back before the next fit (GBs at national scale)
    return Fit(params, pd.DataFrame(cov, index=names, columns=names), n, g, mu)


def cluster_sandwich(X: np.ndarray, bread_weights: np.ndarray, score_weights: np.ndarray, cluster: np.ndarray, *,
                     n_parameters: int) -> tuple[np.ndarray, int]:
    """Cluster-robust (CRV1) covariance and the number of clusters.

    ``inv(B) M inv(B) · G/(G-1) · (N-1)/(N-K)``, with bread ``B = X' diag(bread_weights) X``, meat ``M`` the sum
    over clusters of ``s s'`` where ``s`` sums ``x · score_weights`` over the cluster's rows, and K
    ``n_parameters`` (absorbed fixed effects included). ``X`` holds the columns with any fixed effects partialled
    out.
    """
    inv = np.linalg.inv(_gram(X, bread_weights))
    meat_parts = sum_by_group(X, cluster, scale=score_weights)
    g, n = meat_parts.shape[0], len(X)
    return inv @ (meat_parts.T @ meat_parts) @ inv * (g / (g - 1)) * ((n - 1) / (n - n_parameters)), g


def _gram(X: np.ndarray, w: np.ndarray, block: int = 262_144) -> np.ndarray:
    """``X' diag(w) X`` in row blocks (no weighted copy of every row)."""
    out = np.zeros((X.shape[1], X.shape[1]))
    for a in range(0, len(X), block):
        xb = X[a:a + block]
        out += (xb * w[a:a + block, None]).T @ xb
    return out


def _solve(gram: np.ndarray, rhs: np.ndarray, *, name: str) -> np.ndarray:
    """Solve the normal equations; singular ones mean collinear columns (named by :func:`check_design` first)."""
    try:
        return linalg.solve(gram, rhs, assume_a="pos")
    except linalg.LinAlgError as exc:
        raise ModelNotIdentifiedError(f"{name} model: collinear columns once the fixed effects are in ({exc})") \
            from exc


def _mean_and_deviance(poisson: bool, y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    mu = np.exp(eta) if poisson else np.clip(special.expit(eta), 1e-15, 1 - 1e-15)
    return mu, _deviance(poisson, y, mu, w)


def _deviance(poisson: bool, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    """Poisson or binomial deviance of means ``mu`` with prior weights ``w``."""
    if poisson:
        return float(2.0 * np.sum(w * (special.xlogy(y, y) - special.xlogy(y, mu) - (y - mu))))
    return float(-2.0 * np.sum(w * (special.xlogy(y, mu) + special.xlog1py(1.0 - y, -mu))))


def release_memory() -> None:
    """Free what is unreachable and give the allocators' free memory back to the system, before a large step.

    Three allocators keep memory that a process has freed: Python's (reference cycles, until the collector runs),
    Arrow's (pandas' string columns; :meth:`pyarrow.MemoryPool.release_unused`) and the C library's (glibc's
    ``malloc_trim``, on Linux). At 2,000,000 episodes each fit of the child models frees some gigabytes; what the
    allocators keep of it would otherwise add to the next fit's peak.
    """
    import pyarrow

    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    if sys.platform.startswith("linux") and _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    """Return the C library when it is glibc (it has ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    return lib if hasattr(lib, "malloc_trim") else None


_LIBC = _libc() if sys.platform.startswith("linux") else None


def _demean(X: np.ndarray, fe: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Columns with the fixed effects partialled out (weighted alternating projections, pyfixest's demeaner)."""
    from pyfixest.estimation import demean

    out, converged = demean(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(fe, dtype=np.uint64),
                            np.ascontiguousarray(weights, dtype=float), tol=1e-8, maxiter=100_000)
    if not converged:
        logger.warning("fixed-effect demeaning did not converge to 1e-8")
    return out


def _demean_in_place(values: np.ndarray, fe: np.ndarray, weights: np.ndarray, block: int = 4) -> None:
    """Partial the fixed effects out of the columns of ``values`` in place, a few columns at a time.

    pyfixest's demeaner returns a new array: called on the whole ``n × k`` matrix it holds the input and the output
    (and its own working copy); called on ``block`` columns at a time it holds a few columns beside it.
    """
    for a in range(0, values.shape[1], block):
        values[:, a:a + block] = _demean(values[:, a:a + block], fe, weights)


def sum_by_group(values: np.ndarray, groups: np.ndarray, *, scale: np.ndarray | None = None) -> np.ndarray:
    """Column sums of ``values`` (times ``scale`` row by row) within each group (rows: groups in code order)."""
    codes = pd.factorize(groups)[0]
    g = int(codes.max()) + 1
    return np.column_stack([np.bincount(codes, weights=values[:, j] if scale is None else values[:, j] * scale,
                                        minlength=g) for j in range(values.shape[1])])


def _nb_alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Maximum-likelihood NB2 dispersion given the means (on log alpha, bounded)."""
    def nll(log_a: float) -> float:
        a = np.exp(log_a)
        r = 1.0 / a
        ll = (special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1)
              + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu)))
        return -float(ll.sum())

    res = optimize.minimize_scalar(nll, bounds=(np.log(1e-8), np.log(1e3)), method="bounded",
                                   options={"xatol": 1e-10})
    return float(np.exp(res.x))
