"""Benchmark the sufficiency planner (provision.plan) on a region against a plain greedy loop in Python.

Run: ``FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_plan.py [--region north-west] [--sites 1000]
[--children 5000] [--places 50] [--homes 13] [--loop-places 1]``

The region's LAs plan together. Candidates: ``--sites`` of the region's postcode sectors drawn at random
(seeded; all of them when the region has fewer). Children: SYNTHETIC children's-home placements generated for
the region (2024, seeds 7, 8, … until there are enough: independent synthetic returns), ``--children``
distinct children drawn at random (each child's latest K2 placement). Places today:
Ofsted's public list at 31 March 2024 (centroid rule). Straight-line distances (the mirror has no regional
road network; ``--network FILE`` times the road matrix too).

Timed: :func:`provision.plan.plan_places` end to end (excess distance, the children × sites distance matrix,
HiGHS MIP + greedy, the assignment model, the 1 … N curve, flows), without the sensitivity resamples, and
then the sensitivity with ``--resamples``. The baseline is the plain greedy written as loops in Python (for
each place, for each candidate site, for each child: the best unserved gain), timed on ``--loop-places``
places and extrapolated to ``--places``; its first choices are checked against the vectorised greedy.
The target is under 60 s on 2 cores. Say what else was running on the machine beside any figure you quote.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def loop_greedy(current: list[float], dist: list[list[float]], places: int, homes: int) -> list[int]:
    """Plain greedy: each place at the site whose best unserved child gains most, all in Python loops."""
    served = [False] * len(current)
    opened: list[int] = []
    picks = []
    for _ in range(places):
        best, best_site, best_child = 0.0, -1, -1
        sites = range(len(dist[0])) if len(opened) < homes else opened
        for j in sites:
            for i, row in enumerate(dist):
                if not served[i]:
                    g = current[i] - row[j]
                    if g > best:
                        best, best_site, best_child = g, j, i
        if best_site < 0:
            best_site = opened[0] if opened else 0
        else:
            served[best_child] = True
        if best_site not in opened:
            opened.append(best_site)
        picks.append(best_site)
    return picks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="north-west")
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--homes", type=int, default=13)
    parser.add_argument("--resamples", type=int, default=5)
    parser.add_argument("--loop-places", type=int, default=1)
    parser.add_argument("--network", default=None, help="a road network file: time the road matrix too")
    args = parser.parse_args()

    from provision import placements, synth
    from provision.plan import gains, plan_children, plan_places, site_distance_matrix
    from provision.plan_sites import Candidates, candidate_sites, plan_group
    from provision.plan_solve import greedy
    from provision.sufficiency import public_places

    print(f"cores available: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()[0]:.2f}")
    group = plan_group(region=args.region)
    every = candidate_sites(group)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(every.sites), min(args.sites, len(every.sites)), replace=False))
    cands = Candidates(every.sites.iloc[pick], f"{len(pick)} sectors of {group.label}")
    years = []
    for seed in (7, 8, 9, 10):
        episodes = synth.generate(year=2024, seed=seed, las=list(group.codes)).episodes
        episodes = episodes[episodes["PLACE"].eq("K2").fillna(False).to_numpy()].drop_duplicates("CHILD", keep="last")
        years.append(episodes.assign(CHILD=f"SYN{seed}" + episodes["CHILD"].astype(str)))
        if sum(len(y) for y in years) >= args.children:
            break
    k2 = pd.concat(years, ignore_index=True)
    take = rng.choice(len(k2), args.children, replace=False) if len(k2) > args.children else np.arange(len(k2))
    rows = placements.locate(k2.iloc[np.sort(take)].reset_index(drop=True))
    places = public_places(2024)
    print(f"{group.label}: {len(cands.sites):,} candidate sectors (of {len(every.sites):,}); {len(rows):,} distinct "
          f"SYNTHETIC children in children's homes (drawn from {len(k2):,} in {len(years)} synthetic returns for "
          f"2024, seeds 7…); {args.places} places in at most {args.homes} homes")

    start = time.perf_counter()
    plan = plan_places(rows, places=places, group=group, add_places=args.places, homes=args.homes,
                       candidates=cands, resamples=0, synthetic=True)
    t_plan = time.perf_counter() - start
    s = plan.solver.iloc[0]
    print(f"plan_places (no resamples): {t_plan:.1f} s; solver {s['method']} ({s['status']}) {s['seconds']:.1f} s; "
          f"gain {s['objective_value']:,.0f} km, bound {s['bound']:,.0f} (gap {s['gap_pct']:.3f}%); greedy "
          f"{s['greedy_objective_value']:,.0f} (gap {s['greedy_gap_pct']:.3f}%); peak {peak_mb():,.0f} MB")
    print(plan.summary[["total_excess_miles", "over_20_miles_label"]].to_string())
    if args.resamples:
        start = time.perf_counter()
        plan_places(rows, places=places, group=group, add_places=args.places, homes=args.homes, candidates=cands,
                    resamples=args.resamples, synthetic=True)
        print(f"plan_places with {args.resamples} resamples + years left out: {time.perf_counter() - start:.1f} s")

    children, _ = plan_children(rows, places=places, group=group)
    site_xy = cands.sites[["easting", "northing"]].to_numpy(float)
    home_xy = children[["home_easting", "home_northing"]].to_numpy(float)
    start = time.perf_counter()
    dist = site_distance_matrix(home_xy, site_xy)
    gain = gains(children["current_km"].to_numpy(float), dist)
    _, _, sequence = greedy(gain, add_places=args.places, homes=args.homes)
    t_vec = time.perf_counter() - start
    current = children["current_km"].tolist()
    as_lists = dist.tolist()
    start = time.perf_counter()
    picks = loop_greedy(current, as_lists, args.loop_places, args.homes)
    t_loop = (time.perf_counter() - start) * args.places / args.loop_places
    agree = picks == sequence[:args.loop_places].tolist()
    print(f"greedy, {len(children):,} children x {len(site_xy):,} sites, {args.places} places: vectorised "
          f"(matrix + greedy) {t_vec:.2f} s; plain Python loop {t_loop:.1f} s (extrapolated from "
          f"{args.loop_places} place(s)); {t_loop / t_vec:,.0f}x; first choices agree: {agree}")
    if args.network:
        from distance.network import build_network

        net = build_network(args.network)
        inside = (home_xy[:, 0] >= net.x.min()) & (home_xy[:, 0] <= net.x.max())
        start = time.perf_counter()
        road = site_distance_matrix(home_xy, site_xy, network=net)
        print(f"road matrix {road.shape[0]:,} x {road.shape[1]:,} on {net!r}: {time.perf_counter() - start:.1f} s "
              f"({int(np.isfinite(road).sum()):,} pairs on the network; {int(inside.sum()):,} homes in its extent)")
    print(f"peak {peak_mb():,.0f} MB; load average after: {os.getloadavg()[0]:.2f}")
    pd.set_option("display.width", 160)


if __name__ == "__main__":
    main()
