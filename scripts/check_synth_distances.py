"""Print the synthetic generator's national distances beside DfE's published banding (31 March 2015).

Generates a SYNTHETIC SSDA903 return for every English LA (default: the latest year the generator covers),
locates it offline and prints :func:`provision.synth_calibration.distance_banding`: counts and shares by DfE's
bands, the mean and medians (straight-line DfE miles), raw and reweighted to DfE's 2015 split between 20 miles
or less and over 20 miles. Each LA keeps its own published shares; only the shape within a band is calibrated.

    python scripts/check_synth_distances.py [--year 2025] [--seed 7] [--baseline]

``--baseline`` also generates with the uncalibrated decay (gamma 1 residential, 2 other, in every band) in the
same run and prints its figures beside, to show what the calibration changed.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from provision import synth, synth_geography
from provision.placements import locate
from provision.synth_calibration import distance_banding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=None, help="collection year (default: the latest)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true", help="also the uncalibrated decay, for comparison")
    args = parser.parse_args()
    start = time.perf_counter()
    data = synth.generate(year=args.year, seed=args.seed)
    table = distance_banding(locate(data.episodes))
    took = time.perf_counter() - start
    with pd.option_context("display.width", 160, "display.max_columns", 10, "display.float_format", "{:,.1f}".format):
        print(f"SYNTHETIC {data.model['year']} (seed {args.seed}), every English LA, children at 31 March; "
              f"straight-line DfE miles. Published: {table.attrs['source']}.")
        print(table.to_string())
    far = table.loc[["21-40 miles", "41-60 miles", "61-80 miles", "81-100 miles", "over 100 miles"]]
    gap = (far["synthetic_share_pct"] - far["dfe_share_pct"]).abs().max()
    print(f"\nlargest gap in the over-20-mile band shares: {gap:.1f} percentage points; "
          f"generated and located in {took:.0f} s")
    if args.baseline:
        calibrated = dict(synth_geography.DECAY_GAMMA)
        synth_geography.DECAY_GAMMA.update({(b, r): (1.0 if r else 2.0) for b, r in calibrated})
        try:
            base = distance_banding(locate(synth.generate(year=args.year, seed=args.seed).episodes))
        finally:
            synth_geography.DECAY_GAMMA.update(calibrated)
        both = pd.DataFrame({"dfe_2015": table["dfe_2015"], "calibrated": table["synthetic"],
                             "uncalibrated": base["synthetic"], "calibrated_share_pct": table["synthetic_share_pct"],
                             "uncalibrated_share_pct": base["synthetic_share_pct"],
                             "calibrated_reweighted": table["synthetic_reweighted"],
                             "uncalibrated_reweighted": base["synthetic_reweighted"]})
        with pd.option_context("display.width", 200, "display.max_columns", 10,
                               "display.float_format", "{:,.1f}".format):
            print("\nbaseline: the uncalibrated decay (gamma 1 residential, 2 other, every band), same seed")
            print(both.to_string())


if __name__ == "__main__":
    main()
