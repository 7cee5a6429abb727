"""Located placements aggregated for maps and tables: children per home LA → placement LA, and distance bands.

Flows and the per-LA map counts are of distinct children (``CHILD``); the distance-band summary counts placements
(rows), so that its straight-line and road columns add up to the same number. Small counts are suppressed later,
where tables and maps are written (``geo.disclosure``).
"""

from __future__ import annotations

import logging

import pandas as pd

from distance.straight import DISTANCE_BANDS, KM_PER_MILE, distance_band
from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["ALL_PLACEMENTS", "PLACEMENT_GROUPS", "PLACEMENT_TYPE_ORDER", "origin_column", "placement_flows",
           "distances_by_la"]

ALL_PLACEMENTS = "All placements"
"""The placement type of a flow that counts every child, whatever the placement type."""

PLACEMENT_GROUPS = {"K1": "Children's homes", "K2": "Children's homes", **{f"U{i}": "Foster care" for i in range(1, 7)}}
"""SSDA903 ``PLACE`` codes grouped for the flow maps; every other code is "Other placements"."""

PLACEMENT_TYPE_ORDER = (ALL_PLACEMENTS, "Children's homes", "Foster care", "Other placements")


def origin_column(frame: pd.DataFrame) -> str:
    """Return the column naming each child's LA: ``responsible_la`` (``--la`` or the LA column), else ``home_la``."""
    for col in ("responsible_la", "home_la"):
        if col in frame.columns:
            return col
    raise MissingColumnsError("placements", ["responsible_la or home_la"], list(frame.columns))


def placement_flows(located: pd.DataFrame) -> pd.DataFrame:
    """Children per (home LA, placement LA, placement type), plus an "All placements" type; counts only.

    Parameters
    ----------
    located
        Placements from ``provision.placements.locate`` (``responsible_la`` or ``home_la``, ``pl_la``, ``PLACE``,
        ``CHILD``).

    Returns
    -------
    pandas.DataFrame
        ``home_la``, ``pl_la``, ``placement_type``, ``children`` (distinct children), sorted by type then LAs.
    """
    origin = origin_column(located)
    frame = pd.DataFrame({"home_la": located[origin].astype("string"), "pl_la": located["pl_la"].astype("string")})
    place = located["PLACE"].astype(str).str.upper() if "PLACE" in located.columns else pd.Series("", index=frame.index)
    frame["placement_type"] = place.map(PLACEMENT_GROUPS).fillna("Other placements")
    frame["child"] = located["CHILD"].astype(str) if "CHILD" in located.columns else range(len(frame))
    frame = frame.dropna(subset=["home_la", "pl_la"])
    if frame.empty:
        raise InputError("placements: no row has both a home LA and a placement LA")
    by_type = frame.groupby(["home_la", "pl_la", "placement_type"])["child"].nunique()
    total = frame.groupby(["home_la", "pl_la"])["child"].nunique()
    flows = pd.concat([by_type.rename("children").reset_index(),
                       total.rename("children").reset_index().assign(placement_type=ALL_PLACEMENTS)],
                      ignore_index=True)
    order = {t: i for i, t in enumerate(PLACEMENT_TYPE_ORDER)}
    flows["_o"] = flows["placement_type"].map(order)
    return flows.sort_values(["_o", "home_la", "pl_la"]).drop(columns="_o").reset_index(drop=True)


def distances_by_la(located: pd.DataFrame, la: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One LA's children by placement LA and straight-line distance band, and the band summary.

    Returns
    -------
    by_la
        Indexed by ``pl_la``: ``children`` and one column per band of :data:`distance.straight.DISTANCE_BANDS`
        (children whose straight-line distance falls in it).
    bands
        Indexed by band: ``straight_line``, and ``road`` when road distances were measured, counting
        **placements** (episodes: rows of ``located``), not children, so that both columns add up to the same
        number: a child placed twice counts twice, once in the band of each placement. With road distances both
        columns count the same placements, those with both distances (like for like); without, ``straight_line``
        counts the placements with a straight-line distance. ``bands.attrs["counts"]`` says so in words.
    """
    origin = origin_column(located)
    mine = located[located[origin] == la]
    if mine.empty:
        raise InputError(f"placements: no placement of LA {la!r}'s children (column {origin})")
    child = mine["CHILD"].astype(str) if "CHILD" in mine.columns else pd.Series(range(len(mine)), index=mine.index)
    straight = distance_band(mine["straight_distance_miles"])
    frame = pd.DataFrame({"pl_la": mine["pl_la"], "band": straight, "child": child}).dropna(subset=["pl_la"])
    by_la = frame.groupby("pl_la")["child"].nunique().rename("children").to_frame()
    per_band = frame.dropna(subset=["band"]).groupby(["pl_la", "band"], observed=False)["child"].nunique()
    by_la = by_la.join(per_band.unstack("band").reindex(columns=list(DISTANCE_BANDS)).fillna(0).astype(int))
    by_la[list(DISTANCE_BANDS)] = by_la[list(DISTANCE_BANDS)].fillna(0).astype(int)
    has_road = "road_distance_km" in mine.columns and bool(mine["road_distance_km"].notna().any())
    if has_road:
        both = (mine["road_distance_km"].notna() & mine["straight_distance_miles"].notna()).to_numpy()
        road = distance_band(mine.loc[both, "road_distance_km"].astype(float) / KM_PER_MILE)
        bands = pd.DataFrame({"straight_line": straight[both].value_counts(sort=False),
                              "road": road.value_counts(sort=False)})
        counts = "placements with both a straight-line and a road distance"
    else:
        bands = pd.DataFrame({"straight_line": straight.value_counts(sort=False)})
        counts = "placements with a straight-line distance"
    bands.index = bands.index.astype(str)
    bands = bands.reindex(list(DISTANCE_BANDS)).fillna(0).astype(int)
    bands.index.name = "distance_band"
    bands.attrs["counts"] = counts
    return by_la, bands
