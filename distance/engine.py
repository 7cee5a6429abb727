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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from distance.network import RoadNetwork
from geo.crs import bng_to_wgs84
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["shortest_path_lengths", "prepare", "cch_available", "topology_cache_path"]

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
    """Return the ``k``-th customized metric of ``weight``: one per query thread.

    A metric's query state is not thread-safe (two threads on one metric crash). Customizing is cheap beside
    building the topology (0.06 s at 200,000 nodes).
    """
    from pyroutingkit import CCHMetric

    cache = network._cache
    key = f"cch_metric:{weight}:{scale:g}" + (f":{k}" if k else "")
    if key not in cache:
        units = np.round(network.weights(weight) * scale)
        if units.size and units.max() >= _INF_UNITS:
            raise InputError(f"an arc {weight} is too large for the CCH engine's 32-bit weights")
        metric = CCHMetric(cache["cch_topology"])
        metric.customize(units.astype(np.uint32), 2)
        cache[key] = metric
    return cache[key]


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


# ----------------------------------------------------------------------------------------------------------


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
    out = np.empty(o.size, float)
    order, uniq, bounds = _group(o)
    uniq32 = uniq.astype(np.uint32)
    d_sorted = d[order].astype(np.uint32)
    res = np.empty(o.size, np.int64)

    def run(metric: Any, first: int, last: int) -> None:  # origin groups first..last-1: its own slice of res
        m2m = metric.distances_many_to_many
        for i in range(first, last):
            a, b = bounds[i], bounds[i + 1]
            res[a:b] = m2m(uniq32[i:i + 1], d_sorted[a:b])[0]

    metrics = [_metric(network, weight, 1000.0, k) for k in range(_threads(uniq.size))]
    if len(metrics) == 1:
        run(metrics[0], 0, uniq.size)
    else:
        # pyroutingkit releases the GIL during a query: split the origins into runs of about equal pair counts
        cuts = np.searchsorted(bounds, np.linspace(0, o.size, len(metrics) + 1)).clip(0, uniq.size)
        cuts[0], cuts[-1] = 0, uniq.size
        with ThreadPoolExecutor(len(metrics)) as pool:
            list(pool.map(run, metrics, cuts[:-1], cuts[1:]))
    out[order] = res / 1000.0
    unreached = res >= _INF_UNITS
    if unreached.any():
        # 32-bit weights saturate past 2,147 km (596 h) in millimetres: ask again in whole metres (seconds),
        # good to 2,147,483 km; what is still infinite has no route. England's longest trips are ~1,100 km.
        idx = order[unreached]
        coarse = prepare(network, weight=weight, scale=1.0)
        again = np.array([coarse.distances_many_to_many(np.array([a], np.uint32), np.array([b], np.uint32))[0, 0]
                          for a, b in zip(o[idx], d[idx], strict=True)], np.int64)
        out[idx] = np.where(again >= _INF_UNITS, np.nan, again.astype(float))
        logger.info("%d pair(s) beyond the millimetre range or unreachable: %d unreachable",
                    idx.size, int((again >= _INF_UNITS).sum()))
    return out
