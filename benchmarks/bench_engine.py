"""Benchmark the road-distance engine against networkx: Rutland (real OSM) and a 1M-node SYNTHETIC graph.

Run:  FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_engine.py [--nodes 1000000] [--pairs 100000]
      ... --workload-junctions 250000 --workload-pairs 1000000   (the placement workload; 0 skips it)

Prints, for each graph: build / preprocessing time, pairs per second for random origin–destination pairs
(every pair a distinct origin: the hard case) and for pairs with ~10,000 distinct origins (as when
placements are grouped by home postcode sector), the quickest route (time and the same path's length from one
combined query) against the plain baseline of two separate queries (length, then time), peak memory, and the
speed ratio against networkx measured on a small sample in the same run. Also prints the accuracy of the
national backbone against the full Rutland network.

The placement workload is the whole ``road_distances`` call (edge snapping, quickest routes, fallback) for
pairs from 10,000 home points to placements anywhere, as ``farfromhome distances`` runs it, on two SYNTHETIC
networks of the same junction count: one with a road hierarchy (``bench_build.generate``: neighbourhoods of
residential streets reached through one entrance a side, joined by arterial A roads) and, when
``../shared/tools/synth_pbf.py`` is there, the uniform grid (every street joins every neighbour), where
separator-based engines such as CCH do much worse. Figures, not assertions: nothing here is a test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from distance import backbone, engine  # noqa: E402
from distance.network import RoadNetwork, build_network  # noqa: E402
from geo.catalogue import data_path  # noqa: E402


def peak_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def networkx_rate(net: RoadNetwork, o: np.ndarray, d: np.ndarray, *, budget_s: float) -> tuple[float, int, float]:
    """Pairs/s of networkx per-pair Dijkstra (length) on a DiGraph of ``net``; returns (rate, pairs, build s)."""
    t = time.perf_counter()
    g = nx.DiGraph()
    w = net.length_m
    order = np.argsort(-w)  # later (shorter) parallel arcs overwrite longer ones: keep the minimum
    g.add_weighted_edges_from(zip(net.tail[order].tolist(), net.head[order].tolist(), w[order].tolist(),
                                  strict=True), weight="length")
    build = time.perf_counter() - t
    done, t = 0, time.perf_counter()
    for a, b in zip(o.tolist(), d.tolist(), strict=True):
        nx.shortest_path_length(g, a, b, weight="length")
        done += 1
        if time.perf_counter() - t > budget_s:
            break
    return done / (time.perf_counter() - t), done, build


def od_pairs(n_nodes: int, n_pairs: int, n_origins: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if n_origins is None:
        return rng.integers(0, n_nodes, n_pairs), rng.integers(0, n_nodes, n_pairs)
    pool = rng.choice(n_nodes, size=min(n_origins, n_nodes), replace=False)
    return pool[rng.integers(0, pool.size, n_pairs)], rng.integers(0, n_nodes, n_pairs)


def bench_graph(label: str, net: RoadNetwork, *, pairs: int, origins: int, nx_sample: int, nx_budget: float,
                scipy_origins: int) -> None:
    print(f"\n=== {label}: {net.n_nodes:,} nodes, {net.n_arcs:,} directed arcs ===")
    _, prep = timed(engine.prepare, net, weight="length")
    _, prep_t = timed(engine.prepare, net, weight="travel_time")
    print(f"CCH preprocessing (pyroutingkit): {prep:.2f} s (topology + length metric), "
          f"+{prep_t:.2f} s travel-time metric; peak memory so far {peak_gb():.2f} GB")
    cases = [("random pairs (every origin distinct)", None), (f"pairs from {origins:,} distinct origins", origins)]
    rates = {}
    for name, n_orig in cases:
        o, d = od_pairs(net.n_nodes, pairs, n_orig, seed=1)
        res, secs = timed(engine.shortest_path_lengths, net, o, d, method="cch")
        rates[name] = pairs / secs
        print(f"CCH {pairs:,} {name}: {secs:.2f} s = {pairs / secs:,.0f} pairs/s "
              f"({np.isnan(res).sum()} unreachable)")
    # exact scipy fallback: Dijkstra from each distinct origin; timed on a few origins and scaled per origin
    o, d = od_pairs(net.n_nodes, pairs, min(scipy_origins, net.n_nodes), seed=2)
    _, secs = timed(engine.shortest_path_lengths, net, o, d, method="scipy")
    per_origin = secs / np.unique(o).size
    print(f"scipy Dijkstra (exact fallback): {per_origin * 1000:.1f} ms per distinct origin → "
          f"{pairs / (per_origin * pairs):,.1f} pairs/s on random pairs, "
          f"{pairs / (per_origin * min(origins, net.n_nodes)):,.0f} pairs/s with {origins:,} origins (extrapolated "
          f"from {np.unique(o).size} origins)")
    check = min(2000, pairs)
    o, d = od_pairs(net.n_nodes, check, min(scipy_origins, net.n_nodes), seed=3)
    a = engine.shortest_path_lengths(net, o, d, method="cch")
    b = engine.shortest_path_lengths(net, o, d, method="scipy")
    print(f"CCH vs scipy (exact) on {check:,} pairs from {np.unique(o).size} origins: max relative difference "
          f"{np.nanmax(np.abs(a - b) / np.maximum(b, 1)):.1e}")
    engine_peak = peak_gb()
    print(f"peak memory (engine, whole process): {engine_peak:.2f} GB")
    o, d = od_pairs(net.n_nodes, nx_sample, None, seed=4)
    nx_rate, done, nx_build = networkx_rate(net, o, d, budget_s=nx_budget)
    print(f"networkx per-pair shortest_path_length: {nx_rate:,.2f} pairs/s on {done} pairs "
          f"(graph conversion {nx_build:.1f} s; peak memory now {peak_gb():.2f} GB)")
    for name, rate in rates.items():
        print(f"ratio CCH/networkx, {name}: {rate / nx_rate:,.0f}x")
    quickest_vs_baseline(net, pairs=pairs, origins=origins, nx_sample=nx_sample, nx_budget=nx_budget)
    r = rates[cases[0][0]]
    print(f"targets: >=10,000x networkx: {'met' if r / nx_rate >= 10_000 else 'NOT met'} "
          f"(random pairs); {pairs:,} pairs < 10 s after preprocessing: "
          f"{'met' if pairs / r < 10 else 'NOT met'} ({pairs / r:.1f} s random, "
          f"{pairs / rates[cases[1][0]]:.1f} s grouped); peak < 8 GB: {'met' if engine_peak < 8 else 'NOT met'}")


def quickest_vs_baseline(net: RoadNetwork, *, pairs: int, origins: int, nx_sample: int, nx_budget: float) -> None:
    """Quickest route (one combined query) against two separate queries, and against networkx's quickest path."""
    o, d = od_pairs(net.n_nodes, pairs, min(origins, net.n_nodes // 2), seed=5)
    engine.quickest_routes(net, o[:1000], d[:1000])  # metrics customized before timing
    (length, secs_q) = timed(engine.quickest_routes, net, o, d)
    _, secs_l = timed(engine.shortest_path_lengths, net, o, d, weight="length")
    _, secs_t = timed(engine.shortest_path_lengths, net, o, d, weight="travel_time")
    print(f"quickest route, length and time in one combined query: {secs_q:.2f} s = {pairs / secs_q:,.0f} pairs/s; "
          f"baseline, two queries (shortest length {secs_l:.2f} s + quickest time {secs_t:.2f} s, and no length "
          f"of the quickest path): {pairs / (secs_l + secs_t):,.0f} pairs/s; ratio {(secs_l + secs_t) / secs_q:.2f}x")
    g = nx.DiGraph()
    order = np.argsort(-net.time_s)
    g.add_edges_from((int(u), int(v), {"t": float(t), "length": float(w)}) for u, v, t, w in
                     zip(net.tail[order], net.head[order], net.time_s[order], net.length_m[order], strict=True))
    o, d = od_pairs(net.n_nodes, nx_sample, None, seed=6)
    done, t0 = 0, time.perf_counter()
    for a, b in zip(o.tolist(), d.tolist(), strict=True):
        path = nx.shortest_path(g, a, b, weight="t")
        sum(g[u][v]["length"] for u, v in zip(path[:-1], path[1:], strict=True))
        done += 1
        if time.perf_counter() - t0 > nx_budget:
            break
    nx_rate = done / (time.perf_counter() - t0)
    print(f"networkx quickest path + its length: {nx_rate:,.2f} pairs/s on {done} pairs; ratio CCH/networkx "
          f"{pairs / secs_q / nx_rate:,.0f}x")


def placement_workload(pbf: Path, label: str, *, pairs: int, homes: int, cache: Path) -> None:
    """Time ``road_distances`` (the whole distances computation) for placement-like pairs on a SYNTHETIC pbf."""
    import pandas as pd

    from distance.road import road_distances

    net, secs_build = timed(build_network, pbf, cache_dir=cache)
    _, secs_prep = timed(engine.prepare, net)
    rng = np.random.default_rng(1)
    x0, x1, y0, y1 = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    hx, hy = rng.uniform(x0, x1, homes), rng.uniform(y0, y1, homes)
    h = rng.integers(0, homes, pairs)
    frame = pd.DataFrame({"home_easting": hx[h], "home_northing": hy[h], "pl_easting": rng.uniform(x0, x1, pairs),
                          "pl_northing": rng.uniform(y0, y1, pairs)})
    road_distances(frame.iloc[:2000], network=net)  # metrics customized, snapping tree built: a warm process
    out, secs = timed(road_distances, frame, network=net)
    ok = int((out["road_status"] == "ok").sum())
    print(f"{label}: {net.n_nodes:,} junctions, {net.n_arcs:,} arcs (build {secs_build:.0f} s, CCH order "
          f"{secs_prep:.0f} s); road_distances for {pairs:,} pairs from {homes:,} homes to placements anywhere: "
          f"{secs:.1f} s warm = {pairs / secs:,.0f} pairs/s ({ok:,} ok; quickest route length and time); "
          f"peak {peak_gb():.2f} GB")
    sample = frame.iloc[: min(pairs, 100_000)]
    from distance.road import snap

    hn, _ = snap(sample[["home_easting", "home_northing"]].to_numpy(), network=net)
    pn, _ = snap(sample[["pl_easting", "pl_northing"]].to_numpy(), network=net)
    _, secs_l = timed(engine.shortest_path_lengths, net, hn, pn, weight="length")
    _, secs_t = timed(engine.shortest_path_lengths, net, hn, pn, weight="travel_time")
    print(f"  baseline (the previous method: nearest node, two separate metrics) on {len(sample):,} of the pairs: "
          f"{len(sample) / (secs_l + secs_t):,.0f} pairs/s")


EXTRA_SHARE = 0.30
MAIN_SHARE = 0.0


def synthetic_road_graph(n: int, seed: int = 0) -> RoadNetwork:
    """Generate a SYNTHETIC England-sized road-like graph with numpy/scipy only.

    Points are clustered like settlements (2,000 per million nodes, Pareto-sized, 75 % of nodes) over a
    600 × 660 km box, with 25 % scattered. Roads: the Euclidean minimum spanning tree of their Delaunay
    triangulation (connectivity) plus a random :data:`EXTRA_SHARE` (30 %) of the other Delaunay edges,
    30–65 km/h; 15 % of those extra roads are one-way. The graph is planar like a road map; about 3.1 arcs
    per node (Rutland's simplified OSM graph: 2.3) and a median circuity of 1.37 (real roads 1.2–1.4).
    Optionally (:data:`MAIN_SHARE` > 0) main roads join a random share of nodes by their own Delaunay
    triangulation at 80–112 km/h: lower circuity (1.20 at 3 %), but the long links cross local roads
    without junctions, which real roads rarely do, and make every separator-based engine much slower.
    The largest strongly connected component is kept. Lengths are the straight line × U(1.0, 1.3).
    Not real roads: for timing only.
    """
    rng = np.random.default_rng(seed)
    n_town = max(n // 500, 10)
    width = 600_000.0
    cx, cy = rng.uniform(0, width, n_town), rng.uniform(0, width * 1.1, n_town)
    size = rng.pareto(1.2, n_town) + 1
    size /= size.sum()
    n_urban = int(n * 0.75)
    k = rng.choice(n_town, n_urban, p=size)
    spread = np.sqrt(size[k] * n_town) * 1500
    x = np.concatenate([cx[k] + rng.normal(0, 1, n_urban) * spread, rng.uniform(0, width, n - n_urban)])
    y = np.concatenate([cy[k] + rng.normal(0, 1, n_urban) * spread, rng.uniform(0, width * 1.1, n - n_urban)])
    tri = Delaunay(np.c_[x, y])
    s = tri.simplices
    e = np.unique(np.sort(np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]]), axis=1), axis=0)
    length = np.hypot(x[e[:, 0]] - x[e[:, 1]], y[e[:, 0]] - y[e[:, 1]])
    tree = minimum_spanning_tree(sp.csr_matrix((length + 1e-6, (e[:, 0], e[:, 1])), shape=(n, n))).tocoo()
    key = e[:, 0].astype(np.int64) * n + e[:, 1]
    tree_key = np.minimum(tree.row, tree.col).astype(np.int64) * n + np.maximum(tree.row, tree.col)
    in_tree = np.isin(key, tree_key)
    extra = ~in_tree & (rng.random(len(e)) < EXTRA_SHARE)
    keep = in_tree | extra
    e, length, extra = e[keep], length[keep], extra[keep]
    local_speed = rng.uniform(30, 65, len(e))
    # main roads: the Delaunay triangulation of a random MAIN_SHARE of the nodes (they fall mostly in towns)
    hubs = rng.choice(n, int(n * MAIN_SHARE), replace=False)
    if hubs.size >= 3:
        hs = Delaunay(np.c_[x[hubs], y[hubs]]).simplices
        he = np.unique(np.sort(np.concatenate([hs[:, [0, 1]], hs[:, [1, 2]], hs[:, [2, 0]]]), axis=1), axis=0)
        main = hubs[he]
    else:
        main = np.zeros((0, 2), np.int64)
    main_len = np.hypot(x[main[:, 0]] - x[main[:, 1]], y[main[:, 0]] - y[main[:, 1]])
    e = np.concatenate([e, main])
    length = np.concatenate([length, main_len])
    extra = np.concatenate([extra, np.zeros(len(main), bool)])
    speed_kmh = np.concatenate([local_speed, rng.uniform(80, 112, len(main))])
    one_way = extra & (rng.random(len(e)) < 0.15)
    tail = np.concatenate([e[:, 0], e[~one_way, 1]])
    head = np.concatenate([e[:, 1], e[~one_way, 0]])
    arc_len = np.concatenate([length, length[~one_way]]) * rng.uniform(1.0, 1.3, tail.size)
    speed = np.concatenate([speed_kmh, speed_kmh[~one_way]]) / 3.6
    adj = sp.csr_matrix((np.ones(tail.size), (tail, head)), shape=(n, n))
    _, lab = connected_components(adj, directed=True, connection="strong")
    big = lab == np.argmax(np.bincount(lab))
    new = np.cumsum(big) - 1
    m = big[tail] & big[head]
    return RoadNetwork(x=x[big], y=y[big], osmid=np.full(int(big.sum()), -1), tail=new[tail[m]], head=new[head[m]],
                       length_m=arc_len[m], time_s=arc_len[m] / speed[m],
                       report={"source": f"SYNTHETIC road-like graph, seed {seed}"})


def workload(junctions: int, pairs: int, uniform_pairs: int) -> None:
    """Run the placement workload on a hierarchical and (if the generator is there) a uniform SYNTHETIC grid."""
    import subprocess
    import tempfile

    from bench_build import generate

    print(f"\n=== Placement workload: {pairs:,} pairs, SYNTHETIC networks of {junctions:,} junctions ===")
    with tempfile.TemporaryDirectory(prefix="farfromhome-bench-") as tmp:
        hier = Path(tmp) / "SYNTHETIC-hierarchy.osm.pbf"
        generate(hier, junctions=junctions, shape=2, building_nodes=0)
        placement_workload(hier, "road hierarchy (neighbourhoods joined by A roads)", pairs=pairs, homes=10_000,
                           cache=Path(tmp))
        tool = Path(__file__).resolve().parents[2] / "shared" / "tools" / "synth_pbf.py"
        if tool.is_file() and uniform_pairs:
            uniform = Path(tmp) / "SYNTHETIC-uniform.osm.pbf"
            side = int(round(junctions ** 0.5))
            subprocess.run([sys.executable, str(tool), str(uniform), str(side), "2", "0"], check=True,
                           capture_output=True)
            placement_workload(uniform, "uniform grid (every street joins its neighbours)", pairs=uniform_pairs,
                               homes=10_000, cache=Path(tmp))
        else:
            print(f"(uniform grid skipped: --uniform-pairs 0, or {tool} is not there)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=1_000_000, help="synthetic graph size (0 to skip)")
    p.add_argument("--pairs", type=int, default=100_000)
    p.add_argument("--origins", type=int, default=10_000, help="distinct origins in the grouped case")
    p.add_argument("--nx-sample", type=int, default=300, help="networkx pairs at most (Rutland)")
    p.add_argument("--nx-budget", type=float, default=60.0, help="seconds of networkx timing per graph at most")
    p.add_argument("--workload-junctions", type=int, default=250_000,
                   help="junctions of the SYNTHETIC networks for the placement workload (0 skips it)")
    p.add_argument("--workload-pairs", type=int, default=1_000_000, help="pairs on the road-hierarchy grid")
    p.add_argument("--uniform-pairs", type=int, default=100_000,
                   help="pairs on the uniform grid (10x slower per pair at 90,000 junctions; 0 skips it)")
    args = p.parse_args()
    print(f"engine: contraction hierarchies available: {engine.cch_available()}; 2-core machine; "
          f"pairs={args.pairs:,}")

    pbf = data_path("roads/rutland-2022-07.osm.pbf")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rutland, secs = timed(build_network, pbf, cache_dir=tmp)
    print(f"\nRutland OSM build (streaming pyosmium reader + numpy: chains, SCC, projection), uncached: {secs:.1f} s")
    bench_graph("Rutland, real OSM drive network (© OpenStreetMap contributors)", rutland, pairs=args.pairs,
                origins=min(args.origins, rutland.n_nodes // 2), nx_sample=args.nx_sample,
                nx_budget=args.nx_budget, scipy_origins=200)

    print("\n=== National backbone accuracy vs full networks (|backbone - network| / network) ===")
    for name in ("roads/rutland-2022-07.osm.pbf", "roads/manchester-levenshulme-2022-12.osm"):
        acc = backbone.accuracy_vs_network(build_network(data_path(name)), n_pairs=3000)
        print(f"{name}: {acc['pairs']:.0f} pairs ≥ 1 km: median {acc['median_rel_error']:.1%}, "
              f"90th percentile {acc['p90_rel_error']:.1%}, median bias {acc['median_bias']:+.1%}")

    if args.workload_junctions:
        workload(args.workload_junctions, args.workload_pairs, args.uniform_pairs)
    if args.nodes:
        net, secs = timed(synthetic_road_graph, args.nodes)
        print(f"\nSYNTHETIC graph generated in {secs:.1f} s (numpy/scipy; not real roads)")
        bench_graph(f"SYNTHETIC England-scale road-like graph ({args.nodes:,} points)", net, pairs=args.pairs,
                    origins=args.origins, nx_sample=20, nx_budget=args.nx_budget, scipy_origins=4)


if __name__ == "__main__":
    main()
