"""Benchmark provision.placements.locate on 1,000,000 synthetic episodes against a plain per-row baseline.

Run: ``FARFROMHOME_MIRROR=../shared/data python benchmarks/bench_locate.py [--episodes 1000000]``

The episodes are SYNTHETIC (provision.synth, England 2024, resampled to the requested size); 10% of the
postcodes are rewritten as users type them (lower case, no space) and 2% cut to the sector, so the
parsing path is exercised too. The process is pinned to one CPU core. Prints episodes per second, peak
memory (resident set size) and the speed-up over a per-row Python loop (regex + dict lookup + math.hypot)
timed on a sample.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import time

import numpy as np
import pandas as pd
import psutil


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def make_episodes(n: int, seed: int = 1) -> pd.DataFrame:
    from provision import synth

    base = synth.generate(year=2024, seed=7).episodes
    rng = np.random.default_rng(seed)
    frame = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    for col in ("HOME_POST", "PL_POST"):
        values = frame[col].astype(object).to_numpy().copy()
        messy = rng.random(n) < 0.10
        values[messy] = [v.lower().replace(" ", "") for v in values[messy]]
        sector = rng.random(n) < 0.02
        values[sector] = [v[:-2] if len(v) > 4 else v for v in values[sector]]
        frame[col] = values
    return frame


_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def baseline(frame: pd.DataFrame, lookup: dict[str, tuple[float, float, str]],
             sectors: dict[str, tuple[float, float, str]], responsible: dict[str, str]) -> list[tuple]:
    """Locate and measure the plain way, one row at a time."""
    out = []
    for home, place, la in zip(frame["HOME_POST"], frame["PL_POST"], frame["LA"], strict=True):
        pts = []
        for pc in (home, place):
            text = re.sub(r"\s+", " ", str(pc or "").upper()).strip()
            m = _FULL.match(text)
            hit = lookup.get(f"{m.group(1)} {m.group(2)}") if m else None
            if hit is None:
                hit = sectors.get(text) or (sectors.get(f"{m.group(1)} {m.group(2)[0]}") if m else None)
            pts.append(hit)
        (h, p) = pts
        miles = round(math.hypot(p[0] - h[0], p[1] - h[1]) / 1000 / 1.6093, 1) if h and p else None
        outside = (p[2] != responsible[la]) if p else None
        out.append((miles, outside, miles is not None and miles > 20))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--baseline-sample", type=int, default=50_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from geo.postcodes import load_codepoint, load_sectors
    from provision.placements import locate

    t0 = time.perf_counter()
    frame = make_episodes(args.episodes)
    units = load_codepoint()  # warm: the parquet cache of Code-Point Open
    print(f"made {len(frame):,} SYNTHETIC episodes in {time.perf_counter() - t0:.1f} s "
          f"({frame['HOME_POST'].nunique() + frame['PL_POST'].nunique():,} distinct postcodes)")

    rss_before = rss_mb()
    t0 = time.perf_counter()
    located = locate(frame)
    elapsed = time.perf_counter() - t0
    print(f"locate (vectorised, 1 core): {len(frame):,} episodes in {elapsed:.1f} s = "
          f"{len(frame) / elapsed:,.0f} episodes/s; target < 60 s: {'met' if elapsed < 60 else 'NOT met'}")
    print(f"memory: {rss_before:,.0f} MB before, {rss_mb():,.0f} MB after, peak resident {peak_mb():,.0f} MB")
    print(f"located: {located['straight_distance_miles'].notna().mean():.1%} with a distance; precision "
          f"{located['pl_precision'].value_counts(normalize=True).round(3).to_dict()}")

    # baseline on a sample (dict building not timed, to favour the baseline)
    la = units["ctyua_code"].astype(object).fillna("").to_numpy()
    lookup = dict(zip(units.index, zip(units["easting"].to_numpy(float), units["northing"].to_numpy(float), la,
                                       strict=True), strict=True))
    sec = load_sectors()
    sectors = dict(zip(sec.index, zip(sec["easting"], sec["northing"], sec["ctyua_code_2024"], strict=True),
                       strict=True))
    responsible = {code: code for code in frame["LA"].unique()}
    sample = frame.iloc[: args.baseline_sample]
    t0 = time.perf_counter()
    rows = baseline(sample, lookup, sectors, responsible)
    base_elapsed = time.perf_counter() - t0
    base_rate = len(sample) / base_elapsed
    fast_rate = len(frame) / elapsed
    check = pd.Series([r[0] for r in rows], dtype=float)
    agree = np.isclose(check.to_numpy(), located["straight_distance_miles"].iloc[: len(rows)].to_numpy(),
                       equal_nan=True).mean()
    print(f"baseline (per-row Python loop) on {len(sample):,} episodes: {base_rate:,.0f} episodes/s "
          f"(~{args.episodes / base_rate:.0f} s for {args.episodes:,}); distances agree on {agree:.2%}")
    print(f"speed-up of locate over the baseline: {fast_rate / base_rate:.1f}x")


if __name__ == "__main__":
    main()
