"""National approximate road distances: England's Strategic Road Network plus straight access legs.

Method (all in EPSG:27700 metres)
---------------------------------
* **Backbone.** The Strategic Road Network graph (National Highways HATRIS sections, graph by Strain, Wilson &
  Littleworth 2023; catalogue ``england_srn_graph``): 1,108 junction clusters, 2,388 directed sections. Its
  ``dist`` is the *straight line* between junctions, so every section is multiplied by
  :data:`SRN_CIRCUITY` = 1.12: the median ratio of real motorway length (OS Open Roads motorway geometry,
  ``gb_motorways_osopenroads``, endpoint-snapped graph) to the SRN ``dist`` over the 895 motorway sections
  whose two junctions lie within 500 m of that graph (quartiles 1.03 and 1.26; length-weighted 1.17).
* **Access legs.** From each point to each of its :data:`N_JUNCTIONS` nearest SRN junctions: straight line ×
  :data:`ACCESS_CIRCUITY` = 1.30 — the median road/straight ratio measured on the real OSM networks here for
  trips of 2–5 km (Rutland 1.30, Levenshulme, Manchester 1.33).
* **Distance.** Short trips (straight line < :data:`SHORT_TRIP_M`, 25 km): straight line ×
  :data:`DIRECT_CIRCUITY` (1.25; Rutland's network gives a median of 1.24 for 5–10 km and 1.21 for 10–40 km).
  Longer trips: min over junction pairs of leg + SRN path + leg, capped at straight line × :data:`LONG_CAP`
  (1.35) — the cap catches places the SRN serves badly (Hull→Grimsby over the Humber Bridge, an A-road the
  SRN lacks: 133 km via the SRN, about 53 km real; capped 34 km). ``road_method`` says which applied
  (``direct``, ``backbone`` or ``capped``).
* **Time** (free-flow, rough): SRN kilometres at :data:`SRN_SPEED_KMH` (95 km/h), other kilometres at
  :data:`LOCAL_SPEED_KMH` (45 km/h) for short trips, :data:`RURAL_SPEED_KMH` (65 km/h; Rutland's effective
  speed on 10–40 km trips was 66 km/h) for the non-SRN part of long ones.

Spot checks against approximate real road distances (district centroids): Stockport→Leeds 79.4 km (≈80),
Manchester→Wembley 331 km (≈320), Bristol→Newport 43.0 km (≈45), Carlisle→Newcastle 99.8 km (≈95),
Exeter→Bristol 135 km (≈125), Canterbury→Leeds 429 km (≈400).

Accuracy against full-network distances (``benchmarks/bench_engine.py`` prints it; Rutland's whole OSM drive
network, random node pairs with straight line ≥ 1 km, :func:`accuracy_vs_network`; absolute relative error):

=====================================================  =====  ======  ======  ============
comparison                                             pairs  median  90th %  median bias
=====================================================  =====  ======  ======  ============
Rutland, default method (almost all ``direct``)        3,000  6.4 %   15.8 %  +1.6 %
Rutland, forced through the SRN, pairs ≥ 10 km         1,573  11.4 %  18.9 %  +11.2 %
Levenshulme (Manchester), default (``direct``)           634  7.4 %   17.3 %  −3.8 %
=====================================================  =====  ======  ======  ============

No full network longer than Rutland's ~30 km is available here, so the long-trip (SRN) part is checked only
by the spot checks above; :data:`ACCURACY` holds the Rutland default figures. It is an approximation for
national patterns (which placements are far), not a route planner: a real local network beats it wherever
one is available (use :func:`distance.road.road_distances`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from distance._points import points
from distance.network import RoadNetwork
from geo.catalogue import data_path
from geo.errors import InputError, MissingColumnsError, NetworkError

logger = logging.getLogger(__name__)

__all__ = [
    "SRN_CIRCUITY", "ACCESS_CIRCUITY", "DIRECT_CIRCUITY", "LONG_CAP", "SHORT_TRIP_M", "RURAL_SPEED_KMH",
    "N_JUNCTIONS", "MAX_ACCESS_M", "SRN_SPEED_KMH",
    "LOCAL_SPEED_KMH", "ACCURACY", "Backbone", "load_backbone", "backbone_distances", "accuracy_vs_network",
]

SRN_CIRCUITY = 1.12
ACCESS_CIRCUITY = 1.30
DIRECT_CIRCUITY = 1.25
LONG_CAP = 1.35
SHORT_TRIP_M = 25_000.0
N_JUNCTIONS = 4
MAX_ACCESS_M = 60_000.0
"""A point farther than this (straight line) from every SRN junction is ``off_network`` (outside England)."""
SRN_SPEED_KMH = 95.0
LOCAL_SPEED_KMH = 45.0
RURAL_SPEED_KMH = 65.0
ACCURACY: dict[str, float] = {"rutland_median_rel_error": 0.064, "rutland_p90_rel_error": 0.158,
                               "rutland_median_bias": 0.016, "levenshulme_median_rel_error": 0.074,
                               "levenshulme_p90_rel_error": 0.173}
"""Relative error of backbone vs full-network distances, measured by ``benchmarks/bench_engine.py``."""

@dataclass(frozen=True, eq=False)
class Backbone:
    """The SRN junctions (BNG metres), their all-pairs path lengths (metres, circuity applied) and a KD-tree."""

    x: np.ndarray
    y: np.ndarray
    dist_m: np.ndarray
    tree: cKDTree

    @property
    def n_junctions(self) -> int:
        return int(self.x.size)


@lru_cache(maxsize=2)
def load_backbone(path: str = "roads/england-srn-graph.csv") -> Backbone:
    """Read the SRN graph through the catalogue and precompute all junction-to-junction distances."""
    file = data_path(path)
    frame = pd.read_csv(file)
    need = ["StartCluster", "EndCluster", "StartClusterX", "StartClusterY", "EndClusterX", "EndClusterY", "dist"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise MissingColumnsError(file.name, missing, list(frame.columns))
    frame = frame[frame["StartCluster"] != frame["EndCluster"]]
    if frame.empty:
        raise NetworkError(f"{file.name}: no junction-to-junction section")
    ids = np.unique(np.r_[frame["StartCluster"], frame["EndCluster"]])
    pos = {v: i for i, v in enumerate(ids)}
    x = np.zeros(ids.size)
    y = np.zeros(ids.size)
    for a, cx, cy in (("StartCluster", "StartClusterX", "StartClusterY"), ("EndCluster", "EndClusterX", "EndClusterY")):
        idx = frame[a].map(pos).to_numpy()
        x[idx], y[idx] = frame[cx].to_numpy(float), frame[cy].to_numpy(float)
    tail = frame["StartCluster"].map(pos).to_numpy()
    head = frame["EndCluster"].map(pos).to_numpy()
    # ``dist`` joins the junctions themselves, but nodes sit at cluster centroids: 2 % of sections are shorter
    # than the straight line between their clusters (down to 0.61 of it), so take the longer of the two.
    chord = np.hypot(x[tail] - x[head], y[tail] - y[head])
    w = np.maximum(frame["dist"].to_numpy(float) * 1000.0, chord) * SRN_CIRCUITY
    # keep the shortest of parallel sections (csr_matrix would add them up)
    order = np.lexsort((w, head, tail))
    first = np.r_[True, (np.diff(tail[order]) != 0) | (np.diff(head[order]) != 0)]
    sel = order[first]
    matrix = sp.csr_matrix((w[sel], (tail[sel], head[sel])), shape=(ids.size, ids.size))
    dist = dijkstra(matrix, directed=True)
    unreachable = int((~np.isfinite(dist)).sum())
    if unreachable:
        logger.warning("%s: %d junction pairs have no SRN path", file.name, unreachable)
    logger.info("SRN backbone: %d junctions, %d sections", ids.size, sel.size)
    return Backbone(x=x, y=y, dist_m=dist, tree=cKDTree(np.c_[x, y]))


def backbone_distances(
    placements: pd.DataFrame,
    *,
    backbone: Backbone | None = None,
    n_junctions: int = N_JUNCTIONS,
    max_access_m: float = MAX_ACCESS_M,
) -> pd.DataFrame:
    """Approximate road distance (km) and time (minutes) for any two points in England.

    Parameters
    ----------
    placements
        Rows with ``home_easting``, ``home_northing``, ``pl_easting``, ``pl_northing`` (EPSG:27700 metres).
        Not modified.
    backbone
        From :func:`load_backbone` (the default).
    n_junctions
        How many nearest SRN junctions to try at each end.
    max_access_m
        Points farther than this from every junction are ``off_network``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``road_distance_km``, ``road_time_min``, ``road_status`` (``ok``, ``off_network``,
        ``same_node`` when both points coincide) and ``road_method`` (``direct``, ``backbone``, ``capped``,
        or empty when off the network). To use a real network where one covers both ends and this backbone
        elsewhere, call :func:`distance.road.road_distances` with ``fallback="backbone"``.
        Distances are approximate (see the module docstring for the method and its measured accuracy).
    """
    he, hn, pe, pn = points(placements)
    if n_junctions < 1:
        raise InputError(f"n_junctions must be at least 1; got {n_junctions}")
    bb = backbone or load_backbone()
    k = min(n_junctions, bb.n_junctions)
    out = placements.copy()
    n = len(out)
    straight = np.hypot(pe - he, pn - hn)
    located = np.isfinite(straight)
    dist = np.full(n, np.nan)
    srn_m = np.zeros(n)
    method = np.full(n, "", dtype=object)
    h_leg, h_j = _nearest(bb, he, hn, k, located)
    p_leg, p_j = _nearest(bb, pe, pn, k, located)
    on = located & (h_leg[:, 0] <= max_access_m) & (p_leg[:, 0] <= max_access_m)
    idx = np.flatnonzero(on)
    if idx.size:
        # (pairs, k, k): leg + SRN path + leg over every junction pair; chunked to bound memory
        best = np.full(idx.size, np.inf)
        best_srn = np.zeros(idx.size)
        for c0 in range(0, idx.size, 200_000):
            c = idx[c0:c0 + 200_000]
            core = bb.dist_m[h_j[c][:, :, None], p_j[c][:, None, :]]
            total = ACCESS_CIRCUITY * (h_leg[c][:, :, None] + p_leg[c][:, None, :]) + core
            flat = total.reshape(len(c), -1)
            arg = np.argmin(flat, axis=1)
            best[c0:c0 + len(c)] = flat[np.arange(len(c)), arg]
            best_srn[c0:c0 + len(c)] = core.reshape(len(c), -1)[np.arange(len(c)), arg]
        short = straight[idx] < SHORT_TRIP_M
        cap = straight[idx] * LONG_CAP
        capped = ~short & (cap < best)
        dist[idx] = np.select([short, capped], [straight[idx] * DIRECT_CIRCUITY, cap], best)
        srn_m[idx] = np.where(short | capped, 0.0, best_srn)
        method[idx] = np.select([short, capped], ["direct", "capped"], "backbone")
    local_speed = np.where(straight < SHORT_TRIP_M, LOCAL_SPEED_KMH, RURAL_SPEED_KMH)
    time_min = (srn_m / 1000 / SRN_SPEED_KMH + (dist - srn_m) / 1000 / local_speed) * 60
    status = np.where(on, "ok", "off_network").astype(object)
    same = on & (straight == 0)
    status[same] = "same_node"
    out["road_distance_km"] = dist / 1000
    out["road_time_min"] = time_min
    out["road_status"] = pd.Categorical(status, categories=["ok", "off_network", "unreachable", "same_node"])
    out["road_method"] = method
    logger.info("backbone distances for %d placements: %s", n, out["road_status"].value_counts().to_dict())
    return out


def accuracy_vs_network(network: RoadNetwork, *, n_pairs: int = 3000, min_straight_m: float = 1000.0,
                        seed: int = 0) -> dict[str, float]:
    """Compare backbone distances with exact shortest paths on a full road network (EPSG:27700).

    Draws random node pairs at least ``min_straight_m`` apart (straight line) and returns the median and
    90th percentile of ``|backbone - network| / network`` and the median signed relative error.
    """
    from distance.engine import shortest_path_lengths

    rng = np.random.default_rng(seed)
    o = rng.integers(0, network.n_nodes, 2 * n_pairs + 100)
    d = rng.integers(0, network.n_nodes, 2 * n_pairs + 100)
    far = np.hypot(network.x[o] - network.x[d], network.y[o] - network.y[d]) >= min_straight_m
    o, d = o[far][:n_pairs], d[far][:n_pairs]
    if o.size == 0:
        raise InputError(f"the network has no node pair at least {min_straight_m:.0f} m apart")
    exact = shortest_path_lengths(network, o, d)
    frame = pd.DataFrame({"home_easting": network.x[o], "home_northing": network.y[o],
                          "pl_easting": network.x[d], "pl_northing": network.y[d]})
    est = backbone_distances(frame)["road_distance_km"].to_numpy() * 1000
    rel = (est - exact) / exact
    return {"pairs": float(o.size), "median_rel_error": float(np.median(np.abs(rel))),
            "p90_rel_error": float(np.percentile(np.abs(rel), 90)), "median_bias": float(np.median(rel))}


def _nearest(bb: Backbone, e: np.ndarray, n: np.ndarray, k: int, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    legs = np.full((e.size, k), np.inf)
    junctions = np.zeros((e.size, k), np.int64)
    if ok.any():
        d, i = bb.tree.query(np.c_[e[ok], n[ok]], k=k)
        legs[ok], junctions[ok] = d.reshape(-1, k), i.reshape(-1, k)
    return legs, junctions
