"""Benchmark the England nearest-place surface (provision.surface) against a plain per-cell Python loop.

Run: ``FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_surface.py [--resolution 1000] [--sample 2000]``

Places are Ofsted's public list at 31 March 2024 (real), located by the ``sample`` rule (each home at a random
postcode of its LA: 3,151 points, the most points the public data gives). Times the straight-line surface
(England outline mask, nearest-place KD-tree query, places within 20 miles) at ``--resolution``, then the
same two measures with a per-cell Python loop over every place (``math.hypot``) on ``--sample`` random land
cells, extrapolated to all cells, and prints the ratio. The target is under 60 s on 2 cores at 1 km
(about 130,000 land cells). A road surface needs an England-scale network, which is not in the mirror.
Say what else was running on the machine beside any figure you quote.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time

import numpy as np


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def loop_baseline(cells: np.ndarray, xy: np.ndarray, places: np.ndarray, radius_m: float) -> tuple[list, list]:
    """Measure the plain way: for each cell, every place, one at a time."""
    nearest, within = [], []
    pts = [(float(x), float(y), float(p)) for (x, y), p in zip(xy, places, strict=True)]
    for cx, cy in cells.tolist():
        best, count = math.inf, 0.0
        for x, y, p in pts:
            d = math.hypot(cx - x, cy - y)
            if d < best:
                best = d
            if d <= radius_m:
                count += p
        nearest.append(best / 1000.0)
        within.append(count)
    return nearest, within


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=float, default=1000.0, help="cell size in metres")
    parser.add_argument("--sample", type=int, default=2000, help="cells timed with the per-cell loop")
    args = parser.parse_args()

    from distance.straight import METRES_PER_MILE, OVER_MILES
    from provision.sufficiency import public_places
    from provision.surface import england_grid, nearest_place_surface

    cores = len(os.sched_getaffinity(0))
    print(f"cores available: {cores}; load average before: {os.getloadavg()[0]:.2f}")
    places = public_places(2024, rule="sample", seed=1)
    usable = places.usable
    print(f"places: {len(usable):,} homes, {np.nansum(usable['places']):,.0f} registered places "
          "(Ofsted 31 March 2024, sample rule)")

    start = time.perf_counter()
    grid = england_grid(args.resolution)
    t_mask = time.perf_counter() - start
    start = time.perf_counter()
    surface = nearest_place_surface(places, resolution_m=args.resolution, grid=grid)
    t_measures = time.perf_counter() - start
    mask, transform = grid
    n = int(mask.sum())
    total = t_mask + t_measures
    print(f"surface {args.resolution:g} m: {n:,} land cells; England mask {t_mask:.2f} s, measures {t_measures:.2f} s, "
          f"total {total:.2f} s ({n / t_measures:,.0f} cells/s for the measures); peak {peak_mb():,.0f} MB")

    rows, cols = np.nonzero(mask)
    pick = np.random.default_rng(0).choice(n, min(args.sample, n), replace=False)
    res = args.resolution
    cells = np.c_[transform.c + (cols[pick] + 0.5) * res, transform.f - (rows[pick] + 0.5) * res]
    xy = usable[["easting", "northing"]].to_numpy(float)
    start = time.perf_counter()
    nearest, within = loop_baseline(cells, xy, np.nan_to_num(usable["places"].to_numpy(float)),
                                    OVER_MILES * METRES_PER_MILE)
    t_loop = time.perf_counter() - start
    per_cell = t_loop / len(pick)
    np.testing.assert_allclose(surface.bands["nearest_place_straight_km"][rows[pick], cols[pick]], nearest, rtol=1e-5)
    np.testing.assert_array_equal(surface.bands["places_within_20_miles"][rows[pick], cols[pick]], within)
    print(f"per-cell Python loop: {len(pick):,} cells in {t_loop:.2f} s ({per_cell * 1e3:.2f} ms a cell; the same "
          f"values); extrapolated to {n:,} cells: {per_cell * n:,.0f} s")
    print(f"speed-up of the measures over the loop: {per_cell * n / t_measures:,.0f}x "
          f"({per_cell * n / total:,.0f}x including the England mask)")
    print(f"load average after: {os.getloadavg()[0]:.2f} (other processes share these cores: figures are provisional)")


if __name__ == "__main__":
    main()
