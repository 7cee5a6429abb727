"""Where points join the road network (EPSG:27700 metres): the nearest point of the nearest edge, or the nearest node.

:func:`snap_to_edges` is what road distances use (a straight access leg to the nearest point of the nearest
road edge, exact); :func:`snap` the nearest junction node (the older rule, kept for callers that need a node).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from distance.network import RoadNetwork

__all__ = ["EdgeSnap", "SNAP_SAMPLE_M", "snap_to_edges", "snap_distinct", "take_snaps", "nearest_sample_m", "snap"]


@dataclass(frozen=True, eq=False)
class EdgeSnap:
    """Where points join the road network (EPSG:27700 metres); one entry per point, NaN/-1 without a location.

    ``a``/``b`` are the edge's end nodes (``a < b``), ``fraction`` the position of the joining point along
    the straight edge from ``a`` (0..1), ``snap_m`` the straight access leg in metres and ``x``/``y`` the
    joining point.
    """

    a: np.ndarray
    b: np.ndarray
    fraction: np.ndarray
    snap_m: np.ndarray
    x: np.ndarray
    y: np.ndarray


SNAP_SAMPLE_M = 50.0
"""Spacing (metres) of the points sampled along each edge to find candidate edges for snapping."""

_SNAP_CANDIDATES = 16


def _edge_table(network: RoadNetwork) -> dict[str, Any]:
    """Undirected edges (a < b) and a KD-tree of points sampled along them every :data:`SNAP_SAMPLE_M` (cached)."""
    if "edge_table" not in network._cache:
        lo = np.minimum(network.tail, network.head)
        hi = np.maximum(network.tail, network.head)
        keep = lo != hi  # a loop arc has no extent to snap to
        key = np.unique(lo[keep] * network.n_nodes + hi[keep])
        a, b = key // network.n_nodes, key % network.n_nodes
        ax, ay, bx, by = network.x[a], network.y[a], network.x[b], network.y[b]
        pieces = np.maximum(np.ceil(np.hypot(bx - ax, by - ay) / SNAP_SAMPLE_M), 1).astype(np.int64)
        edge = np.repeat(np.arange(a.size), pieces + 1)
        start = np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)
        f = (np.arange(edge.size) - start) / pieces[edge]
        samples = np.c_[ax[edge] + f * (bx - ax)[edge], ay[edge] + f * (by - ay)[edge]]
        network._cache["edge_table"] = {"a": a, "b": b, "sample_edge": edge, "tree": cKDTree(samples)}
    table: dict[str, Any] = network._cache["edge_table"]
    return table


def _project(network: RoadNetwork, table: dict[str, Any], pts: np.ndarray, edges: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Fraction along and distance to each candidate edge (``edges``: (n, k) indices) of each point."""
    a, b = table["a"][edges], table["b"][edges]
    ax, ay, bx, by = network.x[a], network.y[a], network.x[b], network.y[b]
    dx, dy = bx - ax, by - ay
    span = dx * dx + dy * dy
    px, py = pts[:, :1], pts[:, 1:2]
    f = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    return f, np.hypot(px - (ax + f * dx), py - (ay + f * dy))


def _nearest_edges(network: RoadNetwork, table: dict[str, Any], pts: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest edge, fraction along it and distance for each point (finite coordinates), exactly.

    The edges of the k nearest samples are candidates; a point is settled when its k-th sample lies beyond
    its best distance plus half a sample spacing (no other edge can be nearer). Unsettled points are asked
    again with 4× as many samples, and the last few by a radius search.
    """
    n_samples = table["sample_edge"].size
    edge = np.zeros(len(pts), np.int64)
    f_best = np.zeros(len(pts))
    d_best = np.full(len(pts), np.inf)
    todo = np.arange(len(pts))
    for k in (_SNAP_CANDIDATES, 4 * _SNAP_CANDIDATES):
        k = min(k, n_samples)
        sample_d, sample_i = table["tree"].query(pts[todo], k=k, workers=-1)
        sample_d, sample_i = sample_d.reshape(todo.size, k), sample_i.reshape(todo.size, k)
        cand = table["sample_edge"][sample_i]
        f, d = _project(network, table, pts[todo], cand)
        best = np.argmin(d, axis=1)
        rows = np.arange(todo.size)
        edge[todo], f_best[todo], d_best[todo] = cand[rows, best], f[rows, best], d[rows, best]
        covered = (sample_d[:, -1] > d[rows, best] + SNAP_SAMPLE_M / 2) | (k == n_samples)
        todo = todo[~covered]
        if todo.size == 0:
            return edge, f_best, d_best
    for r in todo:  # rare: more than 64 samples within reach (a point far from any road in a dense town)
        near = table["tree"].query_ball_point(pts[r], d_best[r] + SNAP_SAMPLE_M / 2)
        cands = np.unique(table["sample_edge"][np.asarray(near, np.int64)])[None, :]
        ff, dd = _project(network, table, pts[r][None, :], cands)
        j = int(np.argmin(dd[0]))
        edge[r], f_best[r], d_best[r] = cands[0, j], ff[0, j], dd[0, j]
    return edge, f_best, d_best


def snap_to_edges(points: Any, *, network: RoadNetwork) -> EdgeSnap:
    """Join each point (EPSG:27700 metres) to the nearest point of the nearest road edge.

    Edges are the straight lines between the network's junction nodes (the network keeps no finer
    geometry); the network is its largest strongly connected component, so every edge is drivable and
    reachable. Candidate edges come from a KD-tree of points sampled along the edges every
    :data:`SNAP_SAMPLE_M` metres; a point is exact when its candidates cover every sample within its best
    distance plus half a spacing (the few others are searched again in that radius), so the edge found is
    the nearest. Rows with a NaN coordinate get -1 and NaN.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    table = _edge_table(network)
    n = len(pts)
    a = np.full(n, -1, np.int64)
    b = np.full(n, -1, np.int64)
    frac, dist, sx, sy = (np.full(n, np.nan) for _ in range(4))
    ok = np.flatnonzero(np.isfinite(pts).all(axis=1))
    if ok.size:
        edge, f_best, d_best = _nearest_edges(network, table, pts[ok])
        ea, eb = table["a"][edge], table["b"][edge]
        a[ok], b[ok], frac[ok], dist[ok] = ea, eb, f_best, d_best
        sx[ok] = network.x[ea] + f_best * (network.x[eb] - network.x[ea])
        sy[ok] = network.y[ea] + f_best * (network.y[eb] - network.y[ea])
    return EdgeSnap(a=a, b=b, fraction=frac, snap_m=dist, x=sx, y=sy)


def snap_distinct(x: np.ndarray, y: np.ndarray, network: RoadNetwork) -> EdgeSnap:
    """:func:`snap_to_edges` of each distinct (x, y) once, spread back to every row."""
    uniq, inverse = np.unique(x + 1j * y, return_inverse=True)
    s = snap_to_edges(np.c_[uniq.real, uniq.imag], network=network)
    inverse = inverse.ravel()
    return EdgeSnap(a=s.a[inverse], b=s.b[inverse], fraction=s.fraction[inverse], snap_m=s.snap_m[inverse],
                    x=s.x[inverse], y=s.y[inverse])


def nearest_sample_m(points: np.ndarray, network: RoadNetwork) -> np.ndarray:
    """Distance (metres) from each point to the nearest of the points sampled along the edges.

    Every point of an edge lies within half a sample spacing (:data:`SNAP_SAMPLE_M`) of one of its samples, so
    a point whose nearest sample is farther than ``r + SNAP_SAMPLE_M / 2`` is farther than ``r`` from every edge.
    """
    out: np.ndarray = _edge_table(network)["tree"].query(np.asarray(points, float).reshape(-1, 2), workers=-1)[0]
    return out


def take_snaps(snapped: EdgeSnap, idx: np.ndarray) -> EdgeSnap:
    """Return the entries ``idx`` of an :class:`EdgeSnap`."""
    return EdgeSnap(a=snapped.a[idx], b=snapped.b[idx], fraction=snapped.fraction[idx], snap_m=snapped.snap_m[idx],
                    x=snapped.x[idx], y=snapped.y[idx])


def snap(points: Any, *, network: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node to each point (BNG metres) and its distance in metres.

    Rows with a NaN coordinate get node -1 and distance NaN. Uses a KD-tree built once per network.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    tree = network._cache.get("kdtree")
    if tree is None:
        tree = network._cache["kdtree"] = cKDTree(np.c_[network.x, network.y])
    node = np.full(len(pts), -1, np.int64)
    dist = np.full(len(pts), np.nan)
    ok = np.isfinite(pts).all(axis=1)
    if ok.any():
        dd, ii = tree.query(pts[ok])
        node[ok], dist[ok] = ii, dd
    return node, dist
