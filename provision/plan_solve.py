"""Choosing sites for new places: a capacitated facility-location MIP (HiGHS) and a greedy heuristic with its gap.

The model. ``gain[i, j] >= 0`` is what child ``i`` gains by taking a new place at site ``j`` (km of distance
saved, or 1 when the child would no longer be placed more than 20 miles away). Choose at most ``homes`` sites
and whole numbers of places ``p_j`` summing to ``add_places``, and assign each child to at most one site,
at most ``p_j`` children a site, to maximise the total gain::

    max  sum_ij gain_ij x_ij
    s.t. sum_j x_ij <= 1             (a child takes one place)
         sum_i x_ij <= p_j           (capacity)
         p_j <= add_places * y_j     (places only at open sites)
         sum_j p_j = add_places,  sum_j y_j <= homes,  x in [0, 1], p integer, y binary

Each site keeps only its ``add_places`` best children: no optimal plan needs another (a site serving a child
outside its best ``add_places`` leaves one of those unserved, who can take the place instead at no loss), so
the MIP has at most ``n_sites * add_places`` assignment variables. It is solved by HiGHS through
:func:`scipy.optimize.milp`, with a time limit; HiGHS reports its bound. The greedy adds one place at a time
where it serves the unserved child with the largest gain (opening a site while fewer than ``homes`` are
open). With many sites (a region's 1,000 sectors) HiGHS is slow to close the gap over all of them, so the MIP
is first solved over a shortlist of the most promising sites (:data:`SHORTLIST_SITES`; a plan, not a bound),
then over all sites within the time limit for the bound. The best plan of the three is used; every gap is
measured against HiGHS's bound over all sites, or, for inputs too large for that MIP, against the bound "each
place serves at most the child who gains most from any site".
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["METHODS", "MAX_MIP_PAIRS", "Solution", "solve", "greedy", "simple_bound"]

METHODS = ("auto", "mip", "greedy")
"""``auto``: the greedy, the MIP over a shortlist of sites (:data:`SHORTLIST_SITES`) and the MIP over all sites
when its size allows (:data:`MAX_MIP_PAIRS`), the best plan used; ``mip``: the same without the size limit;
``greedy``: the greedy alone, with the simple bound."""

MAX_MIP_PAIRS = 250_000
"""Largest number of child-site assignment variables ``auto`` gives the MIP over all sites."""

SHORTLIST_SITES = 250
"""With more candidate sites than this, the MIP is first solved over the most promising ones (each site's value
with twice its share of the places, plus the greedy's sites): a small model HiGHS solves in seconds whose plan
often beats the greedy's; the MIP over all sites then gives the bound (and any better plan) within the limit."""


@dataclass(frozen=True)
class Solution:
    """Places at each candidate site and how good the choice is.

    Attributes
    ----------
    places
        ``int64`` places per candidate site (0 where none), summing to the places added.
    objective
        Total gain of the model's best assignment for these sites (km saved, or children brought within 20 miles).
    bound
        An upper bound on the best possible total gain (HiGHS's dual bound, or :func:`simple_bound`).
    method
        Whose plan is used: ``"mip"`` (HiGHS over all sites), ``"mip (shortlist)"`` or ``"greedy"``.
    status
        What was run and how each ended (``"MIP on all 159 sites: optimal (HiGHS); plan used: mip"`` ...).
    seconds
        Wall time of the choice.
    greedy_objective
        The greedy's total gain, reported beside the MIP's.
    trace, sequence
        The greedy's total gain after each place (1 … N) and the site of each place in the order added: the
        greedy's nested plans, for the marginal-value curve.
    """

    places: np.ndarray
    objective: float
    bound: float
    method: str
    status: str
    seconds: float
    greedy_objective: float
    trace: np.ndarray
    sequence: np.ndarray

    @property
    def gap(self) -> float:
        """Relative gap of the chosen plan to the bound (0 = proved optimal; NaN when the bound is 0)."""
        return float((self.bound - self.objective) / self.bound) if self.bound > 0 else 0.0

    @property
    def greedy_gap(self) -> float:
        """Relative gap of the greedy to the bound."""
        return float((self.bound - self.greedy_objective) / self.bound) if self.bound > 0 else 0.0


def greedy(gain: np.ndarray, *, add_places: int, homes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy siting: each place goes where it serves the unserved child who gains most.

    Parameters
    ----------
    gain
        ``(n_children, n_sites)`` non-negative gains.
    add_places, homes
        Places to add; most sites to open.

    Returns
    -------
    tuple of numpy.ndarray
        Places per site (``int64``), the cumulative gain after each place and the site of each place in the
        order they were added (both of length ``add_places``: the first ``n`` are the greedy plan for ``n``).
    """
    g = np.array(gain, dtype=float, copy=True)
    n_sites = g.shape[1]
    places = np.zeros(n_sites, np.int64)
    trace = np.zeros(add_places)
    sequence = np.zeros(add_places, np.int64)
    total = 0.0
    best = g.max(axis=0) if g.size else np.zeros(n_sites)
    for k in range(add_places):
        open_ = places > 0
        allowed = np.ones(n_sites, bool) if open_.sum() < homes else open_
        col = np.where(allowed, best, -np.inf)
        j = int(np.argmax(col))
        if col[j] > 0:
            i = int(np.argmax(g[:, j]))
            total += g[i, j]
            row = g[i].copy()
            g[i] = 0.0
            stale = row >= best - 1e-12  # sites whose best child this was
            if stale.any():
                best[stale] = g[:, stale].max(axis=0)
        places[j] += 1
        trace[k] = total
        sequence[k] = j
    return places, trace, sequence


def simple_bound(gain: np.ndarray, *, add_places: int) -> float:
    """Upper bound on the total gain: the ``add_places`` largest per-child best gains (each place serves one child)."""
    if gain.size == 0:
        return 0.0
    per_child = gain.max(axis=1)
    k = min(add_places, per_child.size)
    return float(np.sort(per_child)[::-1][:k].sum())


def solve(gain: np.ndarray, *, add_places: int, homes: int, method: str = "auto",
          time_limit_s: float = 20.0) -> Solution:
    """Choose the sites and their places (see the module docstring for the model).

    Parameters
    ----------
    gain
        ``(n_children, n_sites)`` non-negative gains (km saved, or 0/1 for the over-20-miles objective).
    add_places
        Places to add, 1 or more.
    homes
        Most sites to open, 1 … ``min(add_places, n_sites)``.
    method
        A key of :data:`METHODS`.
    time_limit_s
        HiGHS's time limit; on reaching it the best plan found is used and the gap says how far from proved.

    Raises
    ------
    InputError
        Unknown method, fewer than one place or home, or more homes than places or candidate sites.
    """
    start = time.perf_counter()
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    g = np.nan_to_num(np.asarray(gain, float), nan=0.0)
    if (g < 0).any():
        raise InputError("gains must be 0 or more")
    n_sites = g.shape[1]
    if add_places < 1:
        raise InputError(f"--add-places must be at least 1; got {add_places}")
    if homes < 1 or homes > add_places:
        raise InputError(f"--homes must be between 1 and the places added ({add_places}); got {homes}")
    if homes > n_sites:
        raise InputError(f"--homes {homes}: more homes than the {n_sites} candidate site(s)")
    g_places, trace, sequence = greedy(g, add_places=add_places, homes=homes)
    g_obj = float(trace[-1])
    best, best_obj, how = g_places, g_obj, "greedy"
    bound = simple_bound(g, add_places=add_places)
    notes = []
    if method != "greedy" and n_sites > SHORTLIST_SITES:
        short = _shortlist(g, g_places, add_places=add_places, homes=homes)
        s_places, s_obj, _, s_status = _mip(g[:, short], _top_pairs(g[:, short], add_places), add_places=add_places,
                                            homes=homes, time_limit_s=time_limit_s)
        notes.append(f"MIP on the {short.size} most promising sites: {s_status}")
        if s_places is not None and s_obj > best_obj:
            best = np.zeros(n_sites, np.int64)
            best[short] = s_places
            best_obj, how = s_obj, "mip (shortlist)"
    pairs = _top_pairs(g, add_places)
    if method == "greedy":
        notes.append("greedy")
    elif method == "auto" and len(pairs[0]) > MAX_MIP_PAIRS:
        notes.append(f"full MIP not tried: {len(pairs[0]):,} child-site pairs; bound: each place serves at most the "
                     "child who gains most")
    else:
        places, obj, mip_bound, status = _mip(g, pairs, add_places=add_places, homes=homes,
                                              time_limit_s=time_limit_s)
        bound = min(bound, mip_bound)
        notes.append(f"MIP on all {n_sites} sites: {status}")
        if places is not None and obj > best_obj + 1e-9:
            best, best_obj, how = places, obj, "mip"
    status = "; ".join(notes) + f"; plan used: {how}"
    sol = Solution(best, best_obj, max(bound, best_obj, g_obj), how, status, time.perf_counter() - start, g_obj,
                   trace, sequence)
    logger.info("siting %d places at ≤%d sites among %d: %s, gain %.3f, bound %.3f (gap %.2f%%), greedy %.3f, %.1f s",
                add_places, homes, n_sites, sol.status, sol.objective, sol.bound, 100 * sol.gap, g_obj, sol.seconds)
    return sol


# -- private helpers ------------------------------------------------------------------------------------
def _shortlist(g: np.ndarray, greedy_places: np.ndarray, *, add_places: int, homes: int) -> np.ndarray:
    """Return the most promising sites: best alone with twice a home's share of the places, plus the greedy's."""
    share = min(g.shape[0], 2 * math.ceil(add_places / homes))
    value = -np.sort(-g, axis=0)[:share].sum(axis=0) if share else np.zeros(g.shape[1])
    return np.union1d(np.argsort(-value, kind="stable")[:SHORTLIST_SITES], np.flatnonzero(greedy_places))


def _top_pairs(g: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(child, site) pairs with a positive gain among each site's ``k`` best children."""
    n_children = g.shape[0]
    if n_children == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    k = min(k, n_children)
    top = np.argpartition(-g, k - 1, axis=0)[:k] if k < n_children else np.tile(np.arange(n_children)[:, None],
                                                                                 (1, g.shape[1]))
    sites = np.broadcast_to(np.arange(g.shape[1]), top.shape)
    keep = g[top, sites] > 0
    return top[keep].astype(np.int64), sites[keep].astype(np.int64)


def _mip(g: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], *, add_places: int, homes: int,
         time_limit_s: float) -> tuple[np.ndarray | None, float, float, str]:
    child, site = pairs
    n_sites = g.shape[1]
    used = np.unique(site)
    if used.size == 0:
        return None, 0.0, 0.0, "no child gains from any site"
    col = np.full(n_sites, -1, np.int64)
    col[used] = np.arange(used.size)
    s = col[site]
    rows_child, child_idx = np.unique(child, return_inverse=True)
    n_x, n_s = child.size, used.size
    # variables: x (n_x), p (n_s), y (n_s)
    n = n_x + 2 * n_s
    c = np.concatenate([-g[child, site], np.zeros(2 * n_s)])
    xi = np.arange(n_x)
    a_child = sp.csr_matrix((np.ones(n_x), (child_idx, xi)), shape=(rows_child.size, n))
    site_rows = np.arange(n_s)
    p_cols, y_cols = n_x + site_rows, n_x + n_s + site_rows
    a_cap = sp.csr_matrix((np.r_[np.ones(n_x), -np.ones(n_s)], (np.r_[s, site_rows], np.r_[xi, p_cols])),
                          shape=(n_s, n))
    a_open = sp.csr_matrix((np.r_[np.ones(n_s), -float(add_places) * np.ones(n_s)],
                            (np.r_[site_rows, site_rows], np.r_[p_cols, y_cols])), shape=(n_s, n))
    a_sum = sp.csr_matrix((np.ones(n_s), (np.zeros(n_s, int), n_x + np.arange(n_s))), shape=(1, n))
    a_homes = sp.csr_matrix((np.ones(n_s), (np.zeros(n_s, int), n_x + n_s + np.arange(n_s))), shape=(1, n))
    constraints = [LinearConstraint(a_child, -np.inf, 1.0), LinearConstraint(a_cap, -np.inf, 0.0),
                   LinearConstraint(a_open, -np.inf, 0.0), LinearConstraint(a_sum, add_places, add_places),
                   LinearConstraint(a_homes, 0.0, float(homes))]

    integrality = np.r_[np.zeros(n_x), np.ones(2 * n_s)]
    upper = np.r_[np.ones(n_x), np.full(n_s, float(add_places)), np.ones(n_s)]
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(np.zeros(n), upper),
               options={"time_limit": float(time_limit_s), "mip_rel_gap": 1e-6, "disp": False})
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and math.isfinite(dual) else math.inf
    status = {0: "optimal (HiGHS)", 1: "time limit reached (HiGHS)"}.get(res.status, f"HiGHS: {res.message}")
    if res.x is None:
        return None, 0.0, bound, status
    places = np.zeros(n_sites, np.int64)
    places[used] = np.round(res.x[n_x:n_x + n_s]).astype(np.int64)
    return places, -float(res.fun), bound if res.status in (0, 1) else math.inf, status
