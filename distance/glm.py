"""Count and binary models with absorbed fixed effects (pyfixest), clustered by child, and inside vs outside by IPW.

The child-level models never build a dummy column per LA, year or child: those enter as fixed effects that
pyfixest absorbs by alternating projections, so memory grows with placements × the few other covariates only.
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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from geo.errors import ModelNotIdentifiedError

logger = logging.getLogger(__name__)

__all__ = ["CATEGORICAL_COVARIATES", "FIXED_EFFECTS", "Design", "Fit", "build_design", "check_design",
           "fit_poisson", "fit_logit", "fit_negbin", "fit_pyfixest", "sum_by_group", "drop_collinear", "ratio_row",
           "release_memory"]

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
        """Every estimated parameter, the absorbed fixed effects included (one level of each but the first)."""
        absorbed = sum(self.fe_levels) - max(len(self.fe_levels) - 1, 0)
        return self.X.shape[1] + absorbed

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
    return fit_pyfixest("poisson", design.take(keep), _take(y, keep), offset=_take(offset, keep),
                         cluster=_take(cluster, keep), weights=None if weights is None else _take(weights, keep),
                         notes=notes, name=name, rows=keep)


def fit_logit(design: Design, y: np.ndarray, *, cluster: np.ndarray, notes: list[str], name: str) -> Fit:
    """Logistic model with absorbed fixed effects; ``fitted`` holds the probability of every row.

    Rows of fixed-effect groups where every outcome is the same are fitted exactly (probability 0 or 1) and
    left out of the fit; the note says how many.
    """
    keep = _informative(design, y, binary=True, notes=notes, name=name)
    fit = fit_pyfixest("logit", design.take(keep), _take(y, keep), offset=None, cluster=_take(cluster, keep),
                        weights=None, notes=notes, name=name, rows=keep)
    fitted = y.astype(float).copy()
    assert fit.fitted is not None
    fitted[keep] = fit.fitted
    fit.fitted = fitted
    return fit


def fit_negbin(design: Design, y: np.ndarray, *, offset: np.ndarray, cluster: np.ndarray, notes: list[str],
               name: str, alpha: float | None = None, max_rounds: int = 50) -> tuple[Fit, float]:
    """Negative binomial (NB2) model with absorbed fixed effects, by iteratively reweighted Poisson fits.

    The NB2 score ``sum x (y - mu) / (1 + alpha mu)`` is that of a Poisson model with weights
    ``1 / (1 + alpha mu)``: each round fits that weighted Poisson model (pyfixest) and, unless ``alpha`` is
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
        fit = fit_pyfixest("poisson", d, yk, offset=off, cluster=cl, weights=w, notes=notes, name=name, rows=keep,
                            vcov=False)
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
    bread = (X * irls[:, None]).T @ X
    score = X * ((yk - mu) / (1.0 + a * mu))[:, None]
    meat_parts = sum_by_group(score, cl)
    g = meat_parts.shape[0]
    inv = np.linalg.inv(bread)
    k = d.n_parameters
    cov = inv @ (meat_parts.T @ meat_parts) @ inv * (g / (g - 1)) * ((len(yk) - 1) / (len(yk) - k))
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


def _as_bytes(column: np.ndarray) -> np.ndarray:
    """Return a dummy column as ``uint8`` when that holds it exactly (0.0 and 1.0 do), else as it is."""
    small = column.astype(np.uint8)
    return small if np.array_equal(small, column) else column


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


def fit_pyfixest(family: str, design: Design, y: np.ndarray, *, offset: np.ndarray | None, cluster: np.ndarray,
                 weights: np.ndarray | None, notes: list[str], name: str, rows: np.ndarray, vcov: bool = True) -> Fit:
    """Fit with pyfixest on columns ``x0 ... xk`` and absorbed ``f0 ... fm``; map the names back."""
    import pyfixest as pf

    # a category's 0/1 columns as bytes: pyfixest copies its data frame several times (8 times less memory each)
    data = {f"x{j}": _as_bytes(design.X[:, j]) if n.startswith("C(") else design.X[:, j]
            for j, n in enumerate(design.names) if n != "Intercept"}
    cols = list(data)
    frame = pd.DataFrame(data, copy=False)
    frame["y"] = y
    frame["cl"] = cluster
    fml = "y ~ " + (" + ".join(cols) or "1")
    if design.fe is not None:
        for j in range(design.fe.shape[1]):
            frame[f"f{j}"] = design.fe[:, j].astype(np.int64)
        fml += " | " + " + ".join(f"f{j}" for j in range(design.fe.shape[1]))
    kwargs: dict[str, Any] = {"vcov": {"CRV1": "cl"}, "ssc": pf.ssc(k_adj=True, k_fixef="full", G_adj=True),
                              "fixef_rm": "none", "iwls_maxiter": 100, "iwls_tol": 1e-9, "fixef_tol": 1e-8,
                              "separation_check": [], "copy_data": False, "store_data": False}  # groups dropped above
    if offset is not None:
        frame["off"] = offset
        kwargs["offset"] = "off"
    if weights is not None:
        frame["w"] = weights
        kwargs["weights"] = "w"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if family == "poisson":
            res = pf.fepois(fml, data=frame, **kwargs)
        else:
            kwargs.pop("offset", None)
            res = pf.feglm(fml, data=frame, family=family, **kwargs)
        coef = res.coef()  # its summary divides by the standard errors, which can be 0 for a degenerate column
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning)) or \
                type(w.message).__name__ == "Pandas4Warning":
            continue  # pandas' deprecation notices from inside pyfixest: not about the model
        msg = f"{name} model: {w.message}"
        if msg not in notes:
            notes.append(msg)
            logger.info(msg)
    rename = {f"x{j}": n for j, n in enumerate(design.names)}
    params = pd.Series(coef.to_numpy(float), index=[rename.get(str(c), str(c)) for c in coef.index])
    params = params.reindex([n for n in design.names if n in params.index])
    if len(params) < len(design.names):
        lost = [n for n in design.names if n not in params.index]
        raise ModelNotIdentifiedError(f"{name} model: pyfixest dropped collinear column(s) {', '.join(lost)}")
    cov = pd.DataFrame(np.asarray(res._vcov, float), index=params.index, columns=params.index) if vcov else \
        pd.DataFrame(np.nan, index=params.index, columns=params.index)
    fitted = np.asarray(res._Y_hat_response, float)  # the IRLS means (predict() would re-solve the FE)
    if len(fitted) != len(y):
        raise ModelNotIdentifiedError(f"{name} model: {len(y) - len(fitted)} placement(s) separated by the "
                                      "covariates (an outcome predicted exactly); pool or drop covariates")
    out = Fit(params, cov, int(len(y)), int(np.count_nonzero(np.bincount(pd.factorize(cluster)[0]))), fitted)
    del res, frame
    release_memory()  # pyfixest's result is held in reference cycles: freed now, not after the next fits (GBs at scale)
    return out


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


def sum_by_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` within each group (rows of the result: groups in code order)."""
    codes = pd.factorize(groups)[0]
    g = int(codes.max()) + 1
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=g) for j in range(values.shape[1])])


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
