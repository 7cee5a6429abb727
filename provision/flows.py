"""Located placements aggregated for maps and tables: children per home LA → placement LA, and distance bands.

Flows and the per-LA map counts are of distinct children (``CHILD``); the distance-band summary counts placements
(rows), so that its straight-line and road columns add up to the same number. Small counts are suppressed later,
where tables and maps are written (``geo.disclosure``).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from distance.straight import DISTANCE_BANDS, KM_PER_MILE, METRES_PER_MILE, OVER_MILES, distance_band
from geo.crs import check_bng
from geo.disclosure import suppress_hierarchy
from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["focus_la", "figure_flows", "FIGURE_MAX_FLOWS",
           "ALL_PLACEMENTS", "PLACEMENT_GROUPS", "PLACEMENT_TYPE_ORDER", "FLOW_DISTANCE_FILTERS", "origin_column",
           "placement_flows", "published_flows", "select_flows", "distances_by_la"]

ALL_PLACEMENTS = "All placements"
"""The placement type of a flow that counts every child, whatever the placement type."""

PLACEMENT_GROUPS = {"K1": "Children's homes", "K2": "Children's homes", **{f"U{i}": "Foster care" for i in range(1, 7)}}
"""SSDA903 ``PLACE`` codes grouped for the flow maps; every other code is "Other placements"."""

PLACEMENT_TYPE_ORDER = (ALL_PLACEMENTS, "Children's homes", "Foster care", "Other placements")

FLOW_DISTANCE_FILTERS: dict[str, float] = {"Over 20 miles": 20.0, "Over 50 miles": 50.0, "All distances": 0.0}
"""Distance filters of the flow map and figure: straight-line miles between the two LAs (the first is the default)."""


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


def published_flows(flows: pd.DataFrame, *, las: gpd.GeoDataFrame | None = None, origin: str = "home_la",
                    destination: str = "pl_la", count: str = "children", by: str = "placement_type",
                    threshold: int = 5) -> pd.DataFrame:
    """Return the flows as they may be published: suppressed over the hierarchy, with LA names and distances.

    The one suppression of flows every output uses (the flows table, the flow map, the flow figure). Counts of
    1 to ``threshold - 1`` are hidden; then secondary suppression so that none can be worked back: the
    placement types of each home LA → placement LA pair add up to its "All placements" row, and the flows of
    one home LA and type add up to that LA's total (published elsewhere) — see
    :func:`geo.disclosure.suppress_hierarchy`.

    Parameters
    ----------
    flows
        From :func:`placement_flows`: one row per (``origin``, ``destination``, ``by``) with ``count``.
    las
        LA polygons indexed by LA code, EPSG:27700, with ``la_name``: adds ``home_la_name``, ``pl_la_name``
        (``<origin>_name``, ``<destination>_name``) and ``straight_distance_miles``, the straight-line distance
        in miles between a point inside each LA (``representative_point``; missing outside England).

    Returns
    -------
    pandas.DataFrame
        The input columns, ``count`` as nullable ``Int64`` (``<NA>`` where hidden), ``<count>_label`` and
        ``suppressed``; same index.
    """
    missing = [c for c in (origin, destination, count, by) if c not in flows.columns]
    if missing:
        raise MissingColumnsError("flows", missing, list(flows.columns))
    safe = suppress_hierarchy(flows, count=count, level=by, total=ALL_PLACEMENTS, within=[origin, destination],
                              groups=[[by, origin]], threshold=threshold)
    if las is None:
        return safe
    check_bng(las, name="LA polygons")
    names = las["la_name"].astype(str)
    safe.insert(safe.columns.get_loc(origin) + 1, f"{origin}_name", safe[origin].map(names))
    safe.insert(safe.columns.get_loc(destination) + 1, f"{destination}_name", safe[destination].map(names))
    centre = las.geometry.representative_point()
    x, y = centre.x, centre.y
    dx = safe[origin].map(x).astype(float) - safe[destination].map(x).astype(float)
    dy = safe[origin].map(y).astype(float) - safe[destination].map(y).astype(float)
    safe["straight_distance_miles"] = (np.hypot(dx, dy) / METRES_PER_MILE).round(1)
    return safe


def select_flows(published: pd.DataFrame, *, min_miles: float = 20.0, max_flows: int | None = 150,
                 origin: str = "home_la", destination: str = "pl_la", count: str = "children",
                 include_suppressed: bool = False) -> pd.DataFrame:
    """Return the flows a map or figure draws: between two LAs, ``min_miles`` or more apart, largest first.

    Taking only the largest counts keeps next-door flows (most children placed outside their LA are placed
    next door); a map of where children are placed far away starts from distance. The flow map and the flow
    figure both call this, so they draw the same flows.

    Parameters
    ----------
    published
        From :func:`published_flows` with ``las`` (needs ``straight_distance_miles``).
    min_miles
        Straight-line miles between the LAs' inside points (:data:`FLOW_DISTANCE_FILTERS`); 0 for all.
    max_flows
        The largest this many visible flows are kept (``None``: all).
    include_suppressed
        Keep the suppressed flows too (after the visible ones; they are not counted in ``max_flows``).
    """
    missing = [c for c in (origin, destination, count, "straight_distance_miles") if c not in published.columns]
    if missing:
        raise MissingColumnsError("published flows (provision.flows.published_flows with las)", missing,
                                  list(published.columns))
    miles = published["straight_distance_miles"]
    ok = (published[origin] != published[destination]) & miles.notna() & (miles >= min_miles)
    part = published[ok]
    visible = part[part[count].notna()].sort_values([count, "straight_distance_miles"], ascending=False)
    if max_flows is not None:
        visible = visible.head(max_flows)
    if include_suppressed:
        visible = pd.concat([visible, part[part[count].isna()]])
    return visible


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


FIGURE_MAX_FLOWS = 150
"""Most flows a static figure draws (the largest; more are unreadable at print size)."""


def focus_la(located: pd.DataFrame, *, focus: str | None = None) -> str:
    """Return the LA a report centres on (ONS code).

    ``focus`` when its children are in the data, else the home LA of most placements.

    Raises
    ------
    InputError
        ``focus`` has no placement of its children in the data, or no placement has a known English home LA.
    """
    origin = origin_column(located)
    if focus is not None:
        if not located[origin].astype(str).eq(focus).any():
            raise InputError(f"focus LA {focus}: no placement of its children in the data (column {origin})")
        return focus
    known = located[origin].dropna().astype(str)
    known = known[known.str.startswith("E")]
    if known.empty:
        raise InputError("no placement has a known English home LA: give the focus LA (--focus)")
    return str(known.mode().iloc[0])


def figure_flows(published: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Return the flows the static flow figure draws, and whether they are the far ones.

    Visible flows of all placements between two LAs: those :data:`~distance.straight.OVER_MILES` or more apart,
    the largest :data:`FIGURE_MAX_FLOWS`; when none of 5 or more children is that far, the largest at any
    distance (``far`` is then False). ``published``: from :func:`published_flows` with ``las``.
    """
    visible = published[published["placement_type"].eq(ALL_PLACEMENTS) & published["children"].notna()]
    shown = select_flows(visible, min_miles=OVER_MILES, max_flows=FIGURE_MAX_FLOWS)
    far = not shown.empty
    if not far:
        shown = select_flows(visible, min_miles=0, max_flows=FIGURE_MAX_FLOWS)
    return shown, far
