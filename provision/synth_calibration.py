"""The synthetic generator's distances beside DfE's published national banding (SYNTHETIC data check).

DfE's "Children looked after in England: a focus on placement location" (31 March 2015, England, children looked
after excluding those on short-term placements; the latest year DfE published distance in these bands) gives the
national distribution of the straight-line distance between home and placement (DfE miles). The generator keeps
each LA's published counts by band (20 miles or less, more than 20, not known); within a band, where a child is
placed follows the distance decay of :data:`provision.synth_geography.DECAY_GAMMA`, calibrated to these figures.

The 2015 bands (21-40, 41-60, ... miles) are DfE's publication's and are used here only to compare with it; the
tool's own outputs use :data:`distance.straight.DISTANCE_BANDS`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from distance.straight import OVER_MILES
from geo.errors import MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["DFE_2015", "DFE_2015_SOURCE", "FAR_BAND_EDGES_MILES", "distance_banding"]

DFE_2015_SOURCE = ("DfE, 'Children looked after in England: a focus on placement location', 31 March 2015 "
                   "(England; children on short-term placements excluded)")
"""Where the published figures come from."""

FAR_BAND_EDGES_MILES: tuple[float, ...] = (OVER_MILES, 40.0, 60.0, 80.0, 100.0, float("inf"))
"""DfE's 2015 bands of the children placed more than 20 miles from home (straight-line DfE miles)."""

DFE_2015: dict[str, float] = {
    "20 miles or less": 53_100, "over 20 miles": 12_820, "distance not known": 3_550,
    "21-40 miles": 6_500, "41-60 miles": 2_370, "61-80 miles": 1_300, "81-100 miles": 800,
    "over 100 miles": 1_850,  # 12,820 less the four bands above (DfE: 'about 1,850')
    "mean miles": 16.0, "median miles": 5.9, "median miles, secure units and children's homes": 17.8,
}
"""DfE's published national figures (children; miles, straight line)."""

_FAR_LABELS = ("21-40 miles", "41-60 miles", "61-80 miles", "81-100 miles", "over 100 miles")
_RESIDENTIAL = ("K1", "K2")  # SSDA903 PLACE: secure unit; children's home


def distance_banding(located: pd.DataFrame) -> pd.DataFrame:
    """Compare the straight-line distances of children looked after at 31 March with DfE's 2015 banding.

    Parameters
    ----------
    located
        Located episodes (:func:`provision.placements.locate`) with ``DEC`` (blank for an open episode, the
        child's placement at 31 March), ``PLACE`` and ``straight_distance_miles`` (DfE miles, straight line
        between the postcodes' grid references in EPSG:27700; NaN where not known).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``figure`` (the keys of :data:`DFE_2015`): ``dfe_2015`` (published), ``synthetic`` (counts,
        or miles for the mean and medians), ``dfe_share_pct`` and ``synthetic_share_pct`` (the three distance
        groups as % of all children; the over-20 bands as % of the children over 20 miles), and
        ``synthetic_reweighted`` (the mean and median with the children of known distance reweighted to DfE's
        2015 split between 20 miles or less and over 20, as each LA's published split now differs from 2015's;
        secure units and children's homes are about half over 20 miles in both, so their median is not).

    Raises
    ------
    MissingColumnsError
        Without ``DEC``, ``PLACE`` or ``straight_distance_miles``.
    """
    need = ["DEC", "PLACE", "straight_distance_miles"]
    missing = [c for c in need if c not in located.columns]
    if missing:
        raise MissingColumnsError("located episodes", missing, list(located.columns))
    now = located[located["DEC"].isna()]
    miles = pd.to_numeric(now["straight_distance_miles"], errors="coerce")
    known = miles.dropna()
    near, far = known[known <= OVER_MILES], known[known > OVER_MILES]
    by_band = pd.cut(far, list(FAR_BAND_EDGES_MILES), right=True).value_counts().sort_index()
    residential = miles[now["PLACE"].isin(_RESIDENTIAL)].dropna()
    synthetic = {"20 miles or less": len(near), "over 20 miles": len(far),
                 "distance not known": int(miles.isna().sum()),
                 **dict(zip(_FAR_LABELS, by_band.to_numpy().tolist(), strict=True)),
                 "mean miles": float(known.mean()), "median miles": float(known.median()),
                 "median miles, secure units and children's homes": float(residential.median())}
    dfe_near_share = DFE_2015["20 miles or less"] / (DFE_2015["20 miles or less"] + DFE_2015["over 20 miles"])
    weights = np.where(known <= OVER_MILES, dfe_near_share / max(len(near), 1),
                       (1 - dfe_near_share) / max(len(far), 1))
    reweighted = {"mean miles": float(np.average(known, weights=weights)),
                  "median miles": _weighted_median(known.to_numpy(), weights)}
    out = pd.DataFrame({"dfe_2015": pd.Series(DFE_2015), "synthetic": pd.Series(synthetic)})
    out.index.name = "figure"
    groups = ["20 miles or less", "over 20 miles", "distance not known"]
    for col, share_col in (("dfe_2015", "dfe_share_pct"), ("synthetic", "synthetic_share_pct")):
        out[share_col] = np.nan
        out.loc[groups, share_col] = out.loc[groups, col] / out.loc[groups, col].sum() * 100
        out.loc[list(_FAR_LABELS), share_col] = (out.loc[list(_FAR_LABELS), col]
                                                 / out.loc[list(_FAR_LABELS), col].sum() * 100)
    out["synthetic_reweighted"] = pd.Series(reweighted)
    out.attrs["source"] = DFE_2015_SOURCE
    logger.info("synthetic distances: %d children at 31 March, %d of known distance", len(now), len(known))
    return out


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])
