"""Many-to-many shortest-path lengths on a road network, behind one function: ``shortest_path_lengths``.

Two engines, chosen on measured evidence (``benchmarks/bench_engine.py``):

* ``"cch"`` — customizable contraction hierarchies from RoutingKit (BSD-2) through the ``pyroutingkit``
  bindings (MIT, wheels need only numpy; about 1 MB). One node ordering (nested dissection by inertial
  flow) serves both metrics; weights are integers (millimetres, milliseconds), and the network stores
  lengths to 1 mm and times to 1 ms, so results are exact for that network. Preprocessing is paid once per
  network, kept on the object and, for built networks, cached on disk beside the network.
* ``"scipy"`` — ``scipy.sparse.csgraph.dijkstra`` from each distinct origin (exact, no extra dependency):
  used when there are only a handful of distinct origins, and the fallback when ``pyroutingkit`` is absent.

Measured by ``benchmarks/bench_engine.py`` on this 2-core machine (idle), 100,000 OD pairs, queries on both
cores (one metric per thread):

====================================  ==========  ======================  ======================  ========
graph                                 preprocess  random pairs            10,000 origins          networkx
====================================  ==========  ======================  ======================  ========
Rutland OSM, 2,663 nodes              0.03 s      2,667,000 pairs/s       3,795,000 pairs/s*      745/s
SYNTHETIC road-like, 1,000,000 nodes  92 s        10,851 pairs/s (9.2 s)  36,062 pairs/s (2.8 s)  0.37/s
====================================  ==========  ======================  ======================  ========

(* 1,331 origins: Rutland has 2,663 nodes.) Against networkx per-pair Dijkstra that is 3,600× on Rutland
(networkx is quick on a tiny graph) and 29,500× (random) to 98,000× (grouped) at 1M nodes; scipy Dijkstra
needs 0.7 s per distinct origin at 1M nodes. Peak memory 1.4 GB (2.8 GB once networkx also held the 1M-node
graph). On one core the random pairs took 15 s. The synthetic graph (a random planar Delaunay subgraph) has
less hierarchy than real roads; how a real 1M-node England graph fares is not measured here.
ch-router's plain CH (MIT) was no faster on it (170 µs a query at 200,000 nodes after 180 s of contraction).

Rejected: pandana (AGPL-3.0; pulls scikit-learn and PyTables); routingkit-cch (no licence of its own,
glibc >= 2.34 wheels only); networkx/igraph per pair (orders of magnitude slower).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from distance.network import RoadNetwork
from geo.crs import bng_to_wgs84
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["shortest_path_lengths", "quickest_routes", "route_candidates", "prepare", "cch_available",
           "topology_cache_path", "COMBINED_TIERS"]

Method = Literal["auto", "cch", "scipy"]

_INF_UNITS = 2**31 - 1          # RoutingKit's inf_weight: paths up to 2,147 km or 596 h are representable
_SCIPY_BLOCK_BYTES = 256 * 2**20  # memory for one block of dense Dijkstra rows
_SCIPY_MAX_ORIGINS = 4           # "auto" uses scipy when there are this few distinct origins
_MIN_ORIGINS_PER_THREAD = 2_000  # smaller batches run on one thread


def cch_available() -> bool:
    """Return True when the contraction-hierarchy engine (``pyroutingkit``) is importable."""
    try:
        import pyroutingkit  # noqa: F401
    except ImportError:
        return False
    return True


def prepare(network: RoadNetwork, *, weight: str = "length", scale: float = 1000.0) -> Any:
    """Build (once, cached on ``network``) the CCH for ``weight``; returns the customized metric.

    ``scale`` is the number of integer units per metre (or second): 1000 (exact to the stored 1 mm / 1 ms)
    by default. Calling it ahead of queries moves the preprocessing cost out of the first call.
    """
    from pyroutingkit import CCHTopology

    cache = network._cache
    if "cch_topology" not in cache:
        topo = CCHTopology()
        saved = topology_cache_path(network)
        if saved is not None and (saved / "done").is_file():
            t0 = time.perf_counter()
            topo.load(str(saved))
            logger.info("CCH node order loaded from %s in %.1f s", saved, time.perf_counter() - t0)
        else:
            t0 = time.perf_counter()
            lon, lat = bng_to_wgs84(network.x, network.y)
            topo.build(network.tail.astype(np.uint32), network.head.astype(np.uint32),
                       np.asarray(lat, np.float32), np.asarray(lon, np.float32), network.n_nodes)
            logger.info("CCH topology built for %d nodes, %d arcs in %.1f s", network.n_nodes, network.n_arcs,
                        time.perf_counter() - t0)
            if saved is not None:
                _save_topology(topo, saved)
        if topo.node_count != network.n_nodes:
            raise InputError(f"cached CCH topology has {topo.node_count} nodes, the network {network.n_nodes}")
        cache["cch_topology"] = topo
    return _metric(network, weight, scale, 0)


def _metric(network: RoadNetwork, weight: str, scale: float, k: int) -> Any:
    """Return the ``k``-th customized metric of ``weight`` in ``scale`` units per metre (second): one per thread.

    A metric's query state is not thread-safe (two threads on one metric crash). Customizing is cheap beside
    building the topology (0.06 s at 200,000 nodes).
    """
    def units() -> np.ndarray:
        u = np.round(network.weights(weight) * scale)
        if u.size and u.max() >= _INF_UNITS:
            raise InputError(f"an arc {weight} is too large for the CCH engine's 32-bit weights")
        return u

    return _custom_metric(network, f"{weight}:{scale:g}", units, k)


COMBINED_TIERS: tuple[tuple[float, float], ...] = ((0.01, 0.6), (0.05, 3.0), (0.25, 15.0), (1.0, 60.0))
"""Units of the combined quickest-route metric, finest first: (seconds, metres) per integer unit.

An arc's combined weight is ``time_units * 2**15 + length_units``: the minimum over paths is the quickest
path (to the time unit) and, among equally quick paths, the shortest; the sum along it carries both its time
(quotient) and its length (remainder), so one query answers both. 32-bit weights leave 16 bits for time, so
each tier covers trips up to ``2**16`` time units (11 min, 55 min, 4.5 h, 18 h) and ``2**15`` length units
(20, 98, 491, 1,966 km). A pair starts in the finest tier its straight-line distance allows and is asked again
in the next one when its route does not fit. Each tier in use costs one customization per query thread."""

_LEN_BITS = 15
_TIME_RANGE = 2 ** (31 - _LEN_BITS)  # time units that fit below RoutingKit's infinity
_PAIR_FACTOR = 1 << 21  # scipy's float64 combined metric: milliseconds * 2**21 + metres (exact below 2**53)


def _threads(n_origins: int) -> int:
    """Query threads: one per available core (at most 8), for batches big enough to repay it."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+: honours the affinity mask and -X cpu_count
        cores = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):  # Linux
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8, n_origins // _MIN_ORIGINS_PER_THREAD))


def shortest_path_lengths(
    network: RoadNetwork | sp.spmatrix | sp.sparray,
    origins: Any,
    destinations: Any,
    *,
    weight: str = "length",
    method: Method = "auto",
) -> np.ndarray:
    """Shortest-path length for each paired (origin, destination) node, computed in one batch.

    Parameters
    ----------
    network
        A :class:`~distance.network.RoadNetwork` (EPSG:27700) or a square sparse adjacency matrix
        (``scipy`` method only; entry ``[u, v]`` is the arc weight).
    origins, destinations
        Node indices (``0..n_nodes-1``), same length; pair ``i`` is ``origins[i] → destinations[i]``.
    weight
        ``"length"`` (result in metres) or ``"travel_time"`` (seconds). Ignored for a sparse matrix.
    method
        ``"cch"``, ``"scipy"``, or ``"auto"`` (CCH when available, unless there are at most four distinct
        origins or the input is a matrix).

    Returns
    -------
    numpy.ndarray
        float64, one value per pair; ``NaN`` where the destination cannot be reached (never 0 or inf).

    Raises
    ------
    InputError
        Mismatched lengths, indices outside the graph, an unknown method or weight.
    """
    o = _as_index(origins, "origins")
    d = _as_index(destinations, "destinations")
    if o.shape != d.shape:
        raise InputError(f"origins ({o.size}) and destinations ({d.size}) must have the same length")
    is_matrix = not isinstance(network, RoadNetwork)
    if isinstance(network, RoadNetwork):
        n = network.n_nodes
        network.weights(weight)  # validates the weight name
    else:
        if not sp.issparse(network) or network.shape[0] != network.shape[1]:
            raise InputError("network must be a RoadNetwork or a square scipy sparse matrix")
        n = network.shape[0]
    if o.size and (min(o.min(), d.min()) < 0 or max(o.max(), d.max()) >= n):
        raise InputError(f"node indices must be in 0..{n - 1}; got {min(o.min(), d.min())}..{max(o.max(), d.max())}")
    if method not in {"auto", "cch", "scipy"}:
        raise InputError(f"unknown method {method!r}; expected 'auto', 'cch' or 'scipy'")
    if o.size == 0:
        return np.empty(0, float)
    # repeated (origin, destination) pairs — many children from one home postcode to one home — cost once
    key = o * n + d
    uniq_key, inverse = np.unique(key, return_inverse=True)
    back: np.ndarray | None = None
    if uniq_key.size < key.size:
        logger.debug("%d pairs, %d distinct", key.size, uniq_key.size)
        o, d, back = uniq_key // n, uniq_key % n, inverse
    if method == "auto":
        s = np.sort(o)  # distinct origins by sorting: numpy 2.4's hash-based np.unique is ~10× slower here
        few = int(np.count_nonzero(s[1:] != s[:-1])) + 1 <= _SCIPY_MAX_ORIGINS
        method = "scipy" if (is_matrix or few or not cch_available()) else "cch"
    if method == "cch":
        if not isinstance(network, RoadNetwork):
            raise InputError("method='cch' needs a RoadNetwork (coordinates are used to order nodes)")
        result = _cch(network, o, d, weight=weight)
    else:
        matrix = network.csr(weight) if isinstance(network, RoadNetwork) else network
        result = _scipy(sp.csr_matrix(matrix), o, d)
    return result if back is None else result[back.ravel()]


def quickest_routes(
    network: RoadNetwork,
    origins: Any,
    destinations: Any,
    *,
    times: np.ndarray | None = None,
    key: str = "free-flow",
    method: Method = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Length (metres) and time (seconds) of the quickest route for each paired (origin, destination) node.

    One query per pair answers both: the metric combines time and length (:data:`COMBINED_TIERS`), so the
    length returned is the length of the time-optimal path itself (the shortest of equally quick ones), not
    of another path. Times and lengths are summed in the metric's units (0.25 s and 1 m for trips up to about
    an hour), so each is exact to a fraction of a second or a metre per arc.

    Parameters
    ----------
    network
        A :class:`~distance.network.RoadNetwork` (EPSG:27700).
    origins, destinations
        Node indices, same length.
    times
        Seconds per arc (e.g. :func:`distance.profiles.arc_times`); default the network's free-flow ``time_s``.
    key
        Names ``times`` in the engine's cache (the profile's key): a different array must have another key.
    method
        ``"cch"``, ``"scipy"`` or ``"auto"`` (as :func:`shortest_path_lengths`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Length in metres and time in seconds, float64, NaN where the destination cannot be reached.
    """
    o = _as_index(origins, "origins")
    d = _as_index(destinations, "destinations")
    length, time_ = route_candidates(network, o[:, None], d[:, None], times=times, key=key, method=method)
    return length[:, 0, 0], time_[:, 0, 0]


def route_candidates(
    network: RoadNetwork,
    sources: Any,
    targets: Any,
    *,
    times: np.ndarray | None = None,
    key: str = "free-flow",
    method: Method = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Quickest routes between every source and every target candidate of each row: (length m, time s).

    ``sources`` is an (n, ks) and ``targets`` an (n, kt) array of node indices (e.g. the two ends of the road
    edge a point snapped to); the result arrays are (n, ks, kt). Rows are grouped by their source candidates
    and answered with one many-to-many call per group (RoutingKit pins the group's targets once: target
    selection on the CCH), so a home with a hundred placements costs about one search per placement, and
    repeated pairs cost once. See :func:`quickest_routes` for the metric.
    """
    src = np.atleast_2d(np.asarray(sources))
    dst = np.atleast_2d(np.asarray(targets))
    if src.ndim != 2 or dst.ndim != 2 or src.shape[0] != dst.shape[0]:
        raise InputError(f"sources {src.shape} and targets {dst.shape} must be (n, k) arrays with the same n")
    src = _as_index(src, "sources").reshape(src.shape)
    dst = _as_index(dst, "targets").reshape(dst.shape)
    n = network.n_nodes
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise InputError(f"node indices must be in 0..{n - 1}; got {min(src.min(), dst.min())}.."
                         f"{max(src.max(), dst.max())}")
    if method not in {"auto", "cch", "scipy"}:
        raise InputError(f"unknown method {method!r}; expected 'auto', 'cch' or 'scipy'")
    arc_s = network.time_s if times is None else np.asarray(times, float)
    if arc_s.shape != network.length_m.shape:
        raise InputError(f"times has {arc_s.size} values; the network has {network.n_arcs} arcs")
    if arc_s.size and not (np.isfinite(arc_s).all() and arc_s.min() >= 0):
        raise InputError("arc times must be finite and >= 0 seconds")
    dims: tuple[int, ...] = tuple(src.shape) + tuple(dst.shape)
    shape = (dims[0], dims[1], dims[3])
    length = np.full(shape, np.nan)
    time_ = np.full(shape, np.nan)
    if shape[0] == 0:
        return length, time_
    if method == "auto":
        few = np.unique(src).size <= _SCIPY_MAX_ORIGINS
        method = "scipy" if (few or not cch_available()) else "cch"
    if method == "scipy":
        _scipy_combined(network, arc_s, src, dst, length, time_)
        return length, time_
    prepare(network, weight="length")  # the topology; no length metric is customized for this
    todo = np.ones(shape, bool)
    vmax = _max_speed(network, arc_s)
    limits = [min(0.9 * (1 << _LEN_BITS) * um / vmax, 0.95 * _TIME_RANGE * us) for us, um in COMBINED_TIERS]
    # the first tier worth trying: a route 1.5 times the straight line, driven at 10 m/s (36 km/h)
    chord = np.hypot(network.x[src[:, 0]] - network.x[dst[:, 0]], network.y[src[:, 0]] - network.y[dst[:, 0]])
    start = np.searchsorted(np.array(limits), 1.5 * chord / 10.0).clip(0, len(limits) - 1)
    for tier, (unit_s, unit_m) in enumerate(COMBINED_TIERS):
        rows = np.flatnonzero(todo.any(axis=(1, 2)) & (start <= tier))
        if rows.size == 0:
            continue
        units = partial(_combined_units, network, arc_s, unit_s, unit_m)
        combined = _grouped_matrix(network, src[rows], dst[rows],
                                   metric=partial(_custom_metric, network, f"combined:{key}:{tier}", units))
        t_units, l_units = np.divmod(combined, np.int64(1 << _LEN_BITS))
        secs = t_units * unit_s
        last = tier == len(COMBINED_TIERS) - 1
        fits = (combined < _INF_UNITS) & (secs <= limits[tier])
        take = todo[rows] & (fits | last)
        ok = take & (combined < _INF_UNITS)
        sub_len, sub_time = length[rows], time_[rows]
        sub_len[ok] = l_units[ok] * unit_m
        sub_time[ok] = secs[ok]
        length[rows], time_[rows] = sub_len, sub_time
        sub_todo = todo[rows]
        sub_todo[take] = False
        todo[rows] = sub_todo
        if not last and sub_todo.any():
            logger.debug("%d route(s) longer than tier %d's range: asked again in coarser units",
                         int(sub_todo.sum()), tier)
    return length, time_


# ----------------------------------------------------------------------------------------------------------


def _max_speed(network: RoadNetwork, arc_s: np.ndarray) -> float:
    """Fastest arc speed (m/s) of the network, for bounding a path's length by its time (at least 1 m/s)."""
    real = (network.length_m > 1.0) & (arc_s > 0)
    return float(max(1.0, (network.length_m[real] / arc_s[real]).max() if real.any() else 1.0))


def _combined_units(network: RoadNetwork, arc_s: np.ndarray, unit_s: float, unit_m: float) -> np.ndarray:
    """Per-arc combined weights (int64): time units * 2**15 + length units, capped below infinity.

    Rounded stochastically (seeded, so repeatable): an arc shorter than a unit would always round to 0 and
    bias a path's sum down; rounded up with probability equal to its fraction, each arc is unbiased and a
    path's error grows only as the square root of its arc count.
    """
    rng = np.random.default_rng(20_261_206)
    t_units = np.floor(arc_s / unit_s + rng.random(arc_s.size)).astype(np.int64)
    l_units = np.minimum(np.floor(network.length_m / unit_m + rng.random(arc_s.size)).astype(np.int64),
                         (1 << _LEN_BITS) - 1)
    return np.minimum(t_units * (1 << _LEN_BITS) + l_units, _INF_UNITS - 1)


def _grouped_matrix(network: RoadNetwork, src: np.ndarray, dst: np.ndarray, *, metric: Callable[[int], Any]
                    ) -> np.ndarray:
    """CCH values (int64, (n, ks, kt)) for each row's source × target candidates; ``metric(k)`` is thread k's metric.

    Rows are grouped by their source candidates: one many-to-many call per group, the groups split between
    threads in runs of about equal row counts (pyroutingkit releases the GIL during a query).
    """
    n_rows, ks = src.shape
    kt = dst.shape[1]
    res = np.empty((n_rows, ks, kt), np.int64)  # in group order
    # rows grouped by their source candidates: one many-to-many call per group
    order = np.lexsort(src.T[::-1])
    s_sorted = src[order]
    new = np.ones(n_rows, bool)
    new[1:] = (s_sorted[1:] != s_sorted[:-1]).any(axis=1)
    bounds = np.append(np.flatnonzero(new), n_rows)

    src32 = s_sorted.astype(np.uint32)
    dst32 = dst[order].astype(np.uint32)  # targets in group order: one contiguous run per group

    def run(metric: Any, first: int, last: int) -> None:
        m2m = metric.distances_many_to_many
        for g in range(first, last):
            a, b = bounds[g], bounds[g + 1]
            # all of the group's target candidates in one call (a repeated target costs a column, no search)
            mat = m2m(src32[a], dst32[a:b].ravel())  # (ks, m * kt)
            res[a:b] = mat.reshape(ks, b - a, kt).transpose(1, 0, 2)

    n_groups = bounds.size - 1
    metrics = [metric(k) for k in range(_threads(n_groups))]
    if len(metrics) == 1:
        run(metrics[0], 0, n_groups)
    else:
        cuts = np.searchsorted(bounds, np.linspace(0, n_rows, len(metrics) + 1)).clip(0, n_groups)
        cuts[0], cuts[-1] = 0, n_groups
        with ThreadPoolExecutor(len(metrics)) as pool:
            list(pool.map(run, metrics, cuts[:-1], cuts[1:]))
    out = np.empty_like(res)
    out[order] = res
    return out


def _custom_metric(network: RoadNetwork, metric_key: str, units: Any, k: int) -> Any:
    """Return the ``k``-th customized CCH metric for ``metric_key`` (one per query thread), weighted by ``units()``."""
    from pyroutingkit import CCHMetric

    cache = network._cache
    full = f"cch_metric:{metric_key}" + (f":{k}" if k else "")
    if full not in cache:
        weights = cache.get(f"units:{metric_key}")
        if weights is None:
            weights = cache[f"units:{metric_key}"] = units().astype(np.uint32)
        metric = CCHMetric(cache["cch_topology"])
        metric.customize(weights, 2)
        cache[full] = metric
    return cache[full]


def _scipy_combined(network: RoadNetwork, arc_s: np.ndarray, src: np.ndarray, dst: np.ndarray,
                    length: np.ndarray, time_: np.ndarray) -> None:
    """Quickest routes by Dijkstra from each distinct source on a float64 metric: ms * 2**21 + metres (exact)."""
    t_ms = np.round(arc_s * 1000)
    l_m = np.maximum(np.round(network.length_m), 1.0)  # a zero would vanish from the sparse matrix
    w = t_ms * _PAIR_FACTOR + l_m
    order = np.lexsort((w, network.head, network.tail))
    t, h, ww = network.tail[order], network.head[order], w[order]
    first = np.ones(t.size, bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    matrix = sp.csr_matrix((ww[first], (t[first], h[first])), shape=(network.n_nodes, network.n_nodes))
    uniq = np.unique(src)
    block = max(1, int(_SCIPY_BLOCK_BYTES // (8 * max(network.n_nodes, 1))))
    for b0 in range(0, uniq.size, block):
        these = uniq[b0:b0 + block]
        rows = dijkstra(matrix, directed=True, indices=these)
        for j in range(src.shape[1]):
            pick = np.isin(src[:, j], these)
            if not pick.any():
                continue
            r = np.searchsorted(these, src[pick, j])
            vals = rows[r[:, None], dst[pick]]  # (m, kt)
            fin = np.isfinite(vals)
            t_part, l_part = np.divmod(np.where(fin, vals, 0), _PAIR_FACTOR)
            length[pick, j, :] = np.where(fin, l_part, np.nan)
            time_[pick, j, :] = np.where(fin, t_part / 1000.0, np.nan)


def topology_cache_path(network: RoadNetwork) -> Path | None:
    """Folder where the CCH node order of ``network`` is cached, or None for a network without a ``source``.

    The key is a hash of the arrays the order depends on (node count, arcs, coordinates), so a rebuilt or
    edited network never loads another network's order; it lives in ``<farfromhome cache>/networks``.
    """
    if not network.report.get("source"):
        return None
    if "topology_key" not in network._cache:
        h = hashlib.blake2b(digest_size=16)
        h.update(np.int64(network.n_nodes).tobytes())
        for arr in (network.tail, network.head, network.x, network.y):
            h.update(np.ascontiguousarray(arr).tobytes())
        network._cache["topology_key"] = h.hexdigest()
    from geo.settings import get_settings

    return get_settings().cache_dir / "networks" / f"cch-{network._cache['topology_key']}"


def _save_topology(topo: Any, saved: Path) -> None:
    """Write the order to a temporary folder and rename it into place, so a half-written one is never used."""
    tmp = saved.with_name(f"{saved.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        topo.save(str(tmp))
        (tmp / "done").write_text("ok")
        os.replace(tmp, saved)
    except (OSError, RuntimeError) as exc:  # a read-only or full cache must not stop the computation
        logger.warning("could not cache the CCH node order in %s: %s", saved, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def _as_index(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.ravel()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise InputError(f"{name} must be integer node indices; got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _group(o: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sorted by origin: (order, unique origins, start offsets incl. the end)."""
    order = np.argsort(o, kind="stable")
    uniq, starts = np.unique(o[order], return_index=True)
    return order, uniq, np.append(starts, o.size)


def _scipy(matrix: sp.csr_matrix, o: np.ndarray, d: np.ndarray) -> np.ndarray:
    out = np.empty(o.size, float)
    order, uniq, bounds = _group(o)
    block = max(1, int(_SCIPY_BLOCK_BYTES // (8 * max(matrix.shape[0], 1))))
    for b0 in range(0, uniq.size, block):
        rows = dijkstra(matrix, directed=True, indices=uniq[b0:b0 + block])
        for r in range(rows.shape[0]):
            sel = order[bounds[b0 + r]:bounds[b0 + r + 1]]
            out[sel] = rows[r, d[sel]]
    out[~np.isfinite(out)] = np.nan
    return out


def _cch(network: RoadNetwork, o: np.ndarray, d: np.ndarray, *, weight: str) -> np.ndarray:
    prepare(network, weight=weight)
    res = _grouped_matrix(network, o[:, None], d[:, None],
                          metric=lambda k: _metric(network, weight, 1000.0, k))[:, 0, 0]
    out = res / 1000.0
    unreached = res >= _INF_UNITS
    if unreached.any():
        # 32-bit weights saturate past 2,147 km (596 h) in millimetres: ask again in whole metres (seconds),
        # good to 2,147,483 km; what is still infinite has no route. England's longest trips are ~1,100 km.
        idx = np.flatnonzero(unreached)
        again = _grouped_matrix(network, o[idx, None], d[idx, None],
                                metric=lambda k: _metric(network, weight, 1.0, k))[:, 0, 0]
        out[idx] = np.where(again >= _INF_UNITS, np.nan, again.astype(float))
        logger.info("%d pair(s) beyond the millimetre range or unreachable: %d unreachable",
                    idx.size, int((again >= _INF_UNITS).sum()))
    return out
