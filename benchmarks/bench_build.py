"""Benchmark building England-sized drive networks from a SYNTHETIC road-like .osm.pbf, and querying them.

Run:  FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_build.py --scale small      (about a minute)
      FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_build.py --scale england    (an idle machine)
      ... --scale england --workdir W --reuse     (time the build again on the extract generated into W)

The generated files are SYNTHETIC (a grid of junctions ~300 m apart in British National Grid, converted to
lon/lat; arterial roads every 10th line, residential neighbourhoods between them reached through one entrance
a side; each street drawn with intermediate shape nodes; a mix of road classes, one-way streets and maxspeed
tags; plus closed building ways whose nodes the reader must skip). They are written to a temporary folder
(``--workdir``, default under /tmp), never into the repository, with SYNTHETIC in their names.

Prints: generation time; the streaming build's time and peak memory (measured in a child process, so the
generator's memory does not count); nodes and arcs after simplification; CCH preprocessing cold (node order
computed and cached) and warm (the cached order loaded, only customization paid); the time for placement-like
pairs (~10,000 distinct home points) after preprocessing; the same build of a smaller file with both builders
(osmnx path vs streaming) and their ratios; and the agreement of the national backbone with the real OSM
networks in the data mirror (Rutland, Levenshulme). Figures, not assertions: nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCALES = {
    # junctions, shape nodes per street, building nodes, comparison file's road nodes, pairs
    "small": (10_000, 10, 150_000, 100_000, 100_000),
    "million": (55_000, 10, 1_000_000, 1_000_000, 1_000_000),
    "england": (1_300_000, 10, 20_000_000, 1_000_000, 1_000_000),
}
SPACING_M = 300.0
ORIGIN = (150_000.0, 80_000.0)  # BNG south-west corner: the England-size grid spans ~342 km each way


def peak_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


# --- the SYNTHETIC extract ------------------------------------------------------------------------------


def generate(path: Path, *, junctions: int, shape: int, building_nodes: int, seed: int = 7) -> dict[str, int]:
    """Write a SYNTHETIC road-like PBF with pyosmium's writer; returns what it holds."""
    import osmium
    from osmium.osm import mutable

    from geo.crs import bng_to_wgs84

    rng = np.random.default_rng(seed)
    k = int(round(np.sqrt(junctions)))
    n_j = k * k
    n_streets = 2 * k * (k - 1)
    # ids: junctions 1..k², then each street's shape nodes (horizontal streets, then vertical), then buildings
    first_shape = n_j + 1
    n_shape = n_streets * shape
    first_building = first_shape + n_shape
    n_buildings = building_nodes // 4

    def j_id(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return r * k + c + 1

    def street_shape_ids(horizontal: bool, r: int, c: int) -> list[int]:
        s = (r * (k - 1) + c) if horizontal else (k * (k - 1) + c * (k - 1) + r)
        base = first_shape + s * shape
        return list(range(base, base + shape))

    if path.exists():
        path.unlink()
    counts = {"junctions": n_j, "shape_nodes": n_shape, "road_nodes": n_j + n_shape,
              "building_nodes": n_buildings * 4, "road_ways": 0, "building_ways": n_buildings}
    with osmium.SimpleWriter(str(path)) as writer:
        def write_nodes(ids: np.ndarray, e: np.ndarray, n: np.ndarray) -> None:
            lon, lat = bng_to_wgs84(e, n)
            for i, lo, la in zip(ids.tolist(), lon.tolist(), lat.tolist(), strict=True):
                writer.add_node(mutable.Node(id=i, location=(lo, la)))

        rows, cols = np.divmod(np.arange(n_j), k)
        jitter = rng.normal(0, 15, (2, n_j))
        je = ORIGIN[0] + cols * SPACING_M + jitter[0]
        jn = ORIGIN[1] + rows * SPACING_M + jitter[1]
        write_nodes(np.arange(1, n_j + 1), je, jn)
        t = (np.arange(shape) + 1) / (shape + 1)
        for horizontal in (True, False):  # shape nodes, in id order, one grid line at a time
            for line in range(k):
                c = np.arange(k - 1)
                a = j_id(np.full(k - 1, line), c) if horizontal else j_id(c, np.full(k - 1, line))
                b = a + 1 if horizontal else a + k
                ea, na, eb, nb = je[a - 1], jn[a - 1], je[b - 1], jn[b - 1]
                wiggle = rng.normal(0, 6, (k - 1, shape))
                e = ea[:, None] + (eb - ea)[:, None] * t + (0 if horizontal else wiggle)
                n = na[:, None] + (nb - na)[:, None] * t + (wiggle if horizontal else 0)
                ids = np.array([street_shape_ids(horizontal, line, i) if horizontal else
                                street_shape_ids(False, i, line) for i in range(k - 1)])
                write_nodes(ids.ravel(), e.ravel(), n.ravel())
        # buildings: 10 m squares 40-120 m from a random junction, off the streets
        at = rng.integers(0, n_j, n_buildings)
        off = rng.uniform(40, 120, (2, n_buildings)) * rng.choice([-1, 1], (2, n_buildings))
        be, bn = je[at] + off[0], jn[at] + off[1]
        corners = np.array([(0, 0), (10, 0), (10, 10), (0, 10)], float)
        for c0 in range(0, n_buildings, 500_000):
            sl = slice(c0, min(c0 + 500_000, n_buildings))
            m = sl.stop - sl.start
            e = (be[sl, None] + corners[:, 0]).ravel()
            n = (bn[sl, None] + corners[:, 1]).ravel()
            write_nodes(first_building + 4 * sl.start + np.arange(4 * m), e, n)
        way_id = 0
        dropped = 0
        for horizontal in (True, False):
            for line in range(k):
                cls = _line_class(line)
                c = 0
                while c < k - 1:
                    if not _street_kept(line, c):
                        dropped += 1
                        c += 1
                        continue
                    run = int(rng.integers(1, 9))
                    c1 = c + 1
                    while c1 < min(c + run, k - 1) and _street_kept(line, c1):
                        c1 += 1
                    refs: list[int] = []
                    for s in range(c, c1):
                        r_, c_ = (line, s) if horizontal else (s, line)
                        refs.append(int(j_id(np.array(r_), np.array(c_))))
                        refs.extend(street_shape_ids(horizontal, line, s) if horizontal else
                                    street_shape_ids(False, s, line))
                    r_, c_ = (line, c1) if horizontal else (c1, line)
                    refs.append(int(j_id(np.array(r_), np.array(c_))))
                    way_id += 1
                    writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=_tags(cls, rng)))
                    c = c1
        counts["road_ways"] = way_id
        counts["shape_nodes"] = (n_streets - dropped) * shape
        counts["road_nodes"] = n_j + counts["shape_nodes"]
        counts["unused_street_nodes"] = dropped * shape
        for b in range(n_buildings):
            base = first_building + 4 * b
            writer.add_way(mutable.Way(id=way_id + 1 + b, nodes=[base, base + 1, base + 2, base + 3, base],
                                       tags={"building": "yes"}))
    return counts


def _street_kept(line: int, s: int) -> bool:
    """Neighbourhoods of 9 × 9 residential junctions meet the arterial lines (every 10th) at one entrance a side.

    A street ``s`` (between positions s and s+1) of a residential line that touches an arterial crossing is
    left out unless the line is its block's entrance (``line % 10 == 5``): the graph then has the small
    separators of real road networks (a plain grid is the worst case for a contraction hierarchy).
    """
    if line % 10 == 0 or line % 10 == 5:
        return True
    return s % 10 != 0 and (s + 1) % 10 != 0


def _line_class(line: int) -> str:
    for every, rest, cls in ((60, 0, "trunk"), (20, 0, "primary"), (10, 0, "secondary"), (10, 5, "tertiary"),
                             (3, 0, "unclassified")):
        if line % every == rest:
            return cls
    return "residential"


def _tags(cls: str, rng: np.random.Generator) -> dict[str, str]:
    tags = {"highway": cls}
    u = rng.random()
    if cls == "residential" and u < 0.08:
        tags["oneway"] = "yes" if u < 0.05 else "-1"
    if cls == "trunk":
        tags["maxspeed"] = "national"
    elif cls == "primary":
        tags["maxspeed"] = "40 mph"
    elif cls == "residential" and u > 0.8:
        tags["maxspeed"] = "20 mph" if u < 0.999 else "signals"
    return tags


# --- child processes: one measurement each, so peaks do not mix ---------------------------------------------


def child_build(pbf: str, builder: str, out: str) -> dict[str, Any]:
    from distance.network import build_network, save_network

    t = time.perf_counter()
    net = build_network(pbf, builder=builder, cache=False)  # type: ignore[arg-type]
    secs = time.perf_counter() - t
    save_network(net, out)
    return {"seconds": secs, "peak_gb": peak_gb(), "nodes": net.n_nodes, "arcs": net.n_arcs,
            "segment_nodes": net.report.get("segment_nodes"), "ways": net.report.get("ways_drivable")}


def child_cch(net_path: str, pairs: int, origins: int) -> dict[str, Any]:
    from distance import engine
    from distance.network import load_network

    net = load_network(net_path)
    t = time.perf_counter()
    engine.prepare(net, weight="length")
    engine.prepare(net, weight="travel_time")
    prep = time.perf_counter() - t
    rng = np.random.default_rng(1)
    homes = rng.choice(net.n_nodes, size=min(origins, net.n_nodes), replace=False)
    placements = rng.choice(net.n_nodes, size=min(4 * origins, net.n_nodes), replace=False)
    o = homes[rng.integers(0, homes.size, pairs)]
    d = placements[rng.integers(0, placements.size, pairs)]
    engine.shortest_path_lengths(net, o[:1000], d[:1000])  # threads' metrics customized before timing
    engine.shortest_path_lengths(net, o[:1000], d[:1000], weight="travel_time")
    engine.quickest_routes(net, o[:1000], d[:1000])
    t = time.perf_counter()
    metres = engine.shortest_path_lengths(net, o, d)
    q_len = time.perf_counter() - t
    t = time.perf_counter()
    engine.shortest_path_lengths(net, o, d, weight="travel_time")
    q_time = time.perf_counter() - t
    t = time.perf_counter()
    engine.quickest_routes(net, o, d)
    q_quick = time.perf_counter() - t
    # the whole distances computation (edge snapping, quickest routes) for points placed anywhere on the grid
    import pandas as pd

    from distance.road import road_distances

    hx, hy = rng.uniform(net.x.min(), net.x.max(), origins), rng.uniform(net.y.min(), net.y.max(), origins)
    h = rng.integers(0, origins, pairs)
    frame = pd.DataFrame({"home_easting": hx[h], "home_northing": hy[h],
                          "pl_easting": rng.uniform(net.x.min(), net.x.max(), pairs),
                          "pl_northing": rng.uniform(net.y.min(), net.y.max(), pairs)})
    road_distances(frame.iloc[:2000], network=net)
    t = time.perf_counter()
    road_distances(frame, network=net)
    q_road = time.perf_counter() - t
    return {"prepare_s": prep, "query_length_s": q_len, "query_time_s": q_time, "quickest_s": q_quick,
            "road_distances_s": q_road, "peak_gb": peak_gb(), "unreached": int(np.isnan(metres).sum()),
            "pairs": pairs, "origins": int(homes.size)}


def run_child(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t
    return out


# --- the benchmark -----------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--pairs", type=int, help="placement-like pairs to time (default: by scale)")
    p.add_argument("--origins", type=int, default=10_000, help="distinct home points among the pairs")
    p.add_argument("--compare-nodes", type=int, help="road nodes of the file built by both builders (0: skip)")
    p.add_argument("--workdir", type=Path, help="folder for the SYNTHETIC files (default: a new one in /tmp)")
    p.add_argument("--reuse", action="store_true", help="reuse the SYNTHETIC extract already in --workdir")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (child_build(*rest) if kind == "build" else child_cch(rest[0], int(rest[1]), int(rest[2])))
        print(json.dumps(result))
        return
    junctions, shape, buildings, compare, pairs = SCALES[args.scale]
    pairs = args.pairs or pairs
    compare = compare if args.compare_nodes is None else args.compare_nodes
    work = args.workdir or Path(tempfile.mkdtemp(prefix="farfromhome-bench-build-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bench_build: scale {args.scale}; {os.cpu_count()} cores; files in {work} (SYNTHETIC, not real roads)")
    print("provisional figures: note what else was running on the machine")

    pbf = work / f"SYNTHETIC-roads-{args.scale}.osm.pbf"
    record = pbf.with_suffix(".json")
    if args.reuse and pbf.exists() and record.exists():  # generation is not what is measured: reuse a file
        info = json.loads(record.read_text())
        gen = "reused from an earlier generation"
    else:
        t = time.perf_counter()
        info = generate(pbf, junctions=junctions, shape=shape, building_nodes=buildings)
        record.write_text(json.dumps(info))
        gen = f"generated in {time.perf_counter() - t:.0f} s"
    print(f"\n=== SYNTHETIC {args.scale} extract: {pbf.stat().st_size / 1e6:,.0f} MB ===")
    print(f"{gen}: {info['road_nodes']:,} road nodes ({info['junctions']:,} junctions), "
          f"{info['road_ways']:,} road ways, {info['building_nodes'] + info['unused_street_nodes']:,} non-road "
          f"nodes ({info['building_ways']:,} buildings, {info['unused_street_nodes']:,} in no way)")
    net_path = work / f"SYNTHETIC-roads-{args.scale}.npz"
    b = run_child("build", str(pbf), "streaming", str(net_path))
    print(f"streaming build: {b['seconds']:.0f} s, peak {b['peak_gb']:.2f} GB; {b['ways']:,} drivable ways, "
          f"{b['segment_nodes']:,} road nodes → {b['nodes']:,} nodes and {b['arcs']:,} arcs after merging "
          "chains and keeping the largest strongly connected component")
    cache = work / "cache"
    cold = run_child("cch", str(net_path), str(pairs), str(args.origins), env={"FARFROMHOME_CACHE": str(cache)})
    warm = run_child("cch", str(net_path), str(pairs), str(args.origins), env={"FARFROMHOME_CACHE": str(cache)})
    for label, r in (("cold (node order computed, cached)", cold), ("warm (cached order loaded)", warm)):
        print(f"CCH preprocessing {label}: {r['prepare_s']:.1f} s (both metrics); {r['pairs']:,} pairs from "
              f"{r['origins']:,} home points: {r['query_length_s']:.1f} s length + {r['query_time_s']:.1f} s "
              f"travel time (baseline: two queries) against {r['quickest_s']:.1f} s for the quickest route's length "
              f"and time in one query ({(r['query_length_s'] + r['query_time_s']) / r['quickest_s']:.1f}x); "
              f"road_distances for {r['pairs']:,} point pairs (10,000 homes, placements anywhere: edge snapping + "
              f"quickest routes) {r['road_distances_s']:.1f} s; peak {r['peak_gb']:.2f} GB; "
              f"unreached {r['unreached']}")
    print(f"peak memory of the query process / the build: {warm['peak_gb'] / b['peak_gb']:.2f}")

    if compare:
        k = max(3, int(round(np.sqrt(compare / (1 + 2 * 0.85 * shape)))))  # ~15% of streets are left out
        small = work / f"SYNTHETIC-roads-{compare // 1000}k-nodes.osm.pbf"
        info = generate(small, junctions=k * k, shape=shape, building_nodes=0)
        print(f"\n=== both builders on a SYNTHETIC file of {info['road_nodes']:,} road nodes ===")
        s = run_child("build", str(small), "streaming", str(work / "cmp-streaming.npz"))
        o = run_child("build", str(small), "osmnx", str(work / "cmp-osmnx.npz"))
        for name, r in (("streaming", s), ("osmnx", o)):
            print(f"{name:9}: {r['seconds']:7.1f} s, peak {r['peak_gb']:5.2f} GB, {r['nodes']:,} nodes, "
                  f"{r['arcs']:,} arcs")
        print(f"streaming vs osmnx: {o['seconds'] / s['seconds']:.1f}× faster, {o['peak_gb'] / s['peak_gb']:.1f}× "
              "leaner (peak memory)")

    print("\n=== network vs backbone, where both answer (real OSM networks in the mirror) ===")
    agreement()


def agreement() -> None:
    import pandas as pd

    from distance import road
    from distance.network import build_network
    from geo.catalogue import data_path

    for name in ("roads/rutland-2022-07.osm.pbf", "roads/manchester-levenshulme-2022-12.osm"):
        net = build_network(data_path(name))
        rng = np.random.default_rng(0)
        a, b = rng.integers(0, net.n_nodes, (2, 3000))
        far = np.hypot(net.x[a] - net.x[b], net.y[a] - net.y[b]) >= 1000
        frame = pd.DataFrame({"home_easting": net.x[a[far]], "home_northing": net.y[a[far]],
                              "pl_easting": net.x[b[far]], "pl_northing": net.y[b[far]]})
        agree = road.backbone_agreement(road.road_distances(frame, network=net))
        print(f"{name}: {agree['pairs']:,.0f} node pairs ≥ 1 km apart: median |backbone − network| / network "
              f"{agree['median_rel_diff']:.1%}, 90th percentile {agree['p90_rel_diff']:.1%}, median bias "
              f"{agree['median_bias']:+.1%}")


if __name__ == "__main__":
    main()
