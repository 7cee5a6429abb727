"""What a batch of road distances says about itself: which source answered, and how the backbone agrees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from distance._points import POINT_COLUMNS
from distance.backbone import backbone_distances
from distance.road import SOURCES
from geo.errors import InputError

__all__ = ["road_source_summary", "backbone_agreement"]


def road_source_summary(result: pd.DataFrame) -> dict[str, Any]:
    """Count the rows of a :func:`road_distances` result by ``road_source``, with shares and a sentence.

    Returns
    -------
    dict
        ``counts`` (rows per source, all of :data:`SOURCES`), ``shares`` (of the rows with a road distance,
        ``network`` and ``backbone``, summing to 1) and ``sentence``, e.g. "road distances: 91% on the
        OpenStreetMap network, 9% on the approximate backbone" (with the rows without one, if any).
    """
    if "road_source" not in result.columns:
        raise InputError("the frame has no road_source column; it is not a road_distances() result")
    counts = {k: int(v) for k, v in result["road_source"].astype(str).value_counts().reindex(
        list(SOURCES), fill_value=0).items()}
    answered = counts["network"] + counts["backbone"]
    shares = {k: (counts[k] / answered if answered else 0.0) for k in ("network", "backbone")}
    if answered:
        net, bb = (round(100 * shares[k]) for k in ("network", "backbone"))
        if counts["network"] and counts["backbone"] and net == 100:
            net, bb = 99, 1  # never print 100% / 0% when both contributed
        sentence = f"road distances: {net}% on the OpenStreetMap network, {bb}% on the approximate backbone"
    else:
        sentence = "road distances: none measured"
    if counts["none"]:
        sentence += f"; {counts['none']:,} placement(s) without a road distance"
    return {"counts": counts, "shares": shares, "sentence": sentence}


def backbone_agreement(result: pd.DataFrame) -> dict[str, float]:
    """Agreement of the network and the backbone on the rows where the network answered.

    Computes the backbone distance for every ``road_source == "network"`` row of a :func:`road_distances`
    result with ``road_status`` ``ok`` and returns ``pairs``, ``median_rel_diff`` and ``p90_rel_diff`` of
    ``|backbone - network| / network`` and ``median_bias`` (signed; positive: the backbone is longer). NaN
    figures when there is no such row.
    """
    for col in ("road_source", "road_status", "road_distance_km"):
        if col not in result.columns:
            raise InputError(f"the frame has no {col} column; it is not a road_distances() result")
    rows = result[(result["road_source"] == "network") & (result["road_status"] == "ok")]
    if rows.empty:
        return {"pairs": 0.0, "median_rel_diff": float("nan"), "p90_rel_diff": float("nan"),
                "median_bias": float("nan")}
    bb = backbone_distances(rows[POINT_COLUMNS])
    both = bb["road_status"].eq("ok").to_numpy()
    exact = rows["road_distance_km"].to_numpy(float)[both]
    rel = (bb["road_distance_km"].to_numpy(float)[both] - exact) / exact
    return {"pairs": float(rel.size), "median_rel_diff": float(np.median(np.abs(rel))),
            "p90_rel_diff": float(np.percentile(np.abs(rel), 90)), "median_bias": float(np.median(rel))}
