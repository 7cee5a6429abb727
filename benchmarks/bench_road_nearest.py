"""Benchmark the nearest place by road and the plan's road matrix (quickest route, edge snapping).

Run: ``FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_road_nearest.py [--junctions 90000]
[--points 20000] [--places 300] [--homes 2000] [--sites 300]``

On the real Rutland extract and on a SYNTHETIC road-hierarchy network (``bench_build.generate``: neighbourhoods
joined by arterial roads, ``--junctions`` junctions; not real roads, for timing only), with points and places
drawn uniformly over the network's extent (seeded):

* ``distance.road.road_nearest`` (``--points`` points × ``--places`` places: the sufficiency excess and the
  surface's road band) against two plain baselines in the same run: the full ``road_matrix`` and its row
  minimum (the same answer, checked equal), and the previous method (nearest node, one reversed multi-source
  scipy Dijkstra of the shortest-by-length drive: another definition, timed for reference);
* ``distance.road.road_matrix`` (``--homes`` × ``--sites``: the plan's matrix) against the previous method
  (nearest node, ``shortest_path_lengths`` of the shortest-by-length drive for every distinct node pair).

Say what else was running on the machine beside any figure you quote.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from distance import engine
from distance.network import RoadNetwork, build_network
from distance.road import road_matrix, road_nearest, snap


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: kilobytes


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def previous_nearest(net: RoadNetwork, places: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Measure the previous way: nearest node, one reversed multi-source Dijkstra of lengths (metres)."""
    node, leg = snap(places, network=net)
    legs = np.full(net.n_nodes, np.inf)
    np.minimum.at(legs, node, leg)
    src = np.flatnonzero(np.isfinite(legs))
    n = net.n_nodes
    extra = sp.csr_matrix((np.maximum(legs[src], 1e-9), (np.zeros(src.size, int), src)), shape=(1, n))
    graph = sp.bmat([[net.csr("length").T.tocsr(), None], [extra, None]], format="csr")
    graph.resize((n + 1, n + 1))
    by_node = dijkstra(graph, directed=True, indices=n)[:n]
    p_node, p_leg = snap(points, network=net)
    return p_leg + by_node[p_node]


def previous_matrix(net: RoadNetwork, homes: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Measure the previous plan matrix: nearest node, shortest-by-length drive of each node pair (metres)."""
    h_node, h_leg = snap(homes, network=net)
    s_node, s_leg = snap(sites, network=net)
    uh, h_pos = np.unique(h_node, return_inverse=True)
    us, s_pos = np.unique(s_node, return_inverse=True)
    metres = engine.shortest_path_lengths(net, np.repeat(uh, us.size), np.tile(us, uh.size), weight="length")
    return metres.reshape(uh.size, us.size)[h_pos][:, s_pos] + h_leg[:, None] + s_leg[None, :]


def bench(label: str, net: RoadNetwork, *, points: int, places: int, homes: int, sites: int) -> None:
    rng = np.random.default_rng(3)
    lo, hi = np.array([net.x.min(), net.y.min()]), np.array([net.x.max(), net.y.max()])
    pts, plc = rng.uniform(lo, hi, (points, 2)), rng.uniform(lo, hi, (places, 2))
    road_nearest(pts[:50], plc, network=net)  # warm: snapping tree, CCH order and metrics
    (near, _, _), t_near = timed(road_nearest, pts, plc, network=net)
    print(f"{label}: {net.n_nodes:,} junctions, {net.n_arcs:,} arcs")
    print(f"  road_nearest, {points:,} points x {places:,} places: {t_near:.2f} s ({points / t_near:,.0f} points/s; "
          f"{int(np.isfinite(near).sum()):,} on the network); peak {peak_gb():.2f} GB")
    sample = min(points, max(1, 2_000_000 // places))  # the full matrix is the plain way: on a sample
    (full, _), t_full = timed(road_matrix, pts[:sample], plc, network=net)
    with np.errstate(all="ignore"):
        best = np.nanmin(np.where(np.isnan(full), np.inf, full), axis=1)
    same = np.allclose(np.where(np.isfinite(best), best, np.nan), near[:sample], rtol=1e-12, equal_nan=True)
    t_full_all = t_full * points / sample
    print(f"  baseline, full road_matrix + row minimum: {sample:,} points in {t_full:.2f} s, extrapolated to "
          f"{points:,}: {t_full_all:.1f} s ({t_full_all / t_near:.1f}x road_nearest); same nearest: {same}")
    _, t_prev = timed(previous_nearest, net, plc, pts)
    print(f"  previous method (nearest node, one multi-source Dijkstra, shortest-by-length; another definition): "
          f"{t_prev:.2f} s")
    hm, st = rng.uniform(lo, hi, (homes, 2)), rng.uniform(lo, hi, (sites, 2))
    _, t_mat = timed(road_matrix, hm, st, network=net)
    _, t_old = timed(previous_matrix, net, hm, st)
    print(f"  road_matrix, {homes:,} homes x {sites:,} sites: {t_mat:.2f} s ({homes * sites / t_mat:,.0f} pairs/s); "
          f"previous method (nearest node, shortest-by-length, one engine batch): {t_old:.2f} s; peak "
          f"{peak_gb():.2f} GB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--junctions", type=int, default=90_000, help="SYNTHETIC road-hierarchy size (0 to skip)")
    p.add_argument("--points", type=int, default=20_000)
    p.add_argument("--places", type=int, default=300)
    p.add_argument("--homes", type=int, default=2_000)
    p.add_argument("--sites", type=int, default=300)
    args = p.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()[0]:.2f}")
    mirror = Path(os.environ.get("FARFROMHOME_MIRROR", Path(__file__).resolve().parents[2] / "shared" / "data"))
    with tempfile.TemporaryDirectory(prefix="farfromhome-bench-") as tmp:
        rutland = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf", cache_dir=Path(tmp))
        bench("Rutland (real OSM)", rutland, points=args.points, places=args.places, homes=args.homes,
              sites=args.sites)
        if args.junctions:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from bench_build import generate

            pbf = Path(tmp) / "SYNTHETIC-hierarchy.osm.pbf"
            generate(pbf, junctions=args.junctions, shape=2, building_nodes=0)
            net = build_network(pbf, cache_dir=Path(tmp))
            bench("SYNTHETIC road hierarchy", net, points=args.points, places=args.places, homes=args.homes,
                  sites=args.sites)
    print(f"load average after: {os.getloadavg()[0]:.2f} (other processes share these cores: figures are provisional)")


if __name__ == "__main__":
    main()
