"""Sufficiency: how much further than the nearest children's-home place each child is placed (excess distance).

For every children's-home placement (SSDA903 ``PLACE`` K2) the distance from the child's home to the nearest
children's-home place is compared with the distance actually travelled: **excess = actual − nearest**.

Where places are. With a confidential Ofsted homes list (:mod:`provision.homes_list`) each home is at its
setting postcode. Without one, the public lists locate homes only by LA (addresses are redacted, and the staged
data has no parliamentary-constituency geography to use Ofsted's constituency column), so the LA is the
finest geography. Two documented rules place an LA's places (:data:`RULES`):

* ``centroid`` (default): all of the LA's registered places at one point, the Code-Point Open unit postcode of
  the LA nearest to the mean of all its postcodes (the postcode-weighted centroid, moved to a real postcode
  so it lies where people live);
* ``sample``: each home at a unit postcode of its LA drawn at random (seeded), with its own places.

Either way, a child living far from their LA's centre can appear nearer to, or farther from, a place than they
are: excess can be negative under an LA-level rule. Every output says which rule was used.

Distances are straight-line (grid, EPSG:27700) in km and miles (exact miles; "more than 20 miles" by DfE's
method, 1.6093 km a mile rounded to 0.1 mile); road distances in km where a network is given: the length of
the quickest route under the default travel-time profile (``typical``), each end joined to the nearest point of
the nearest road with its access leg, as :func:`distance.road.road_distances` measures the placement; the
nearest place by road is the one whose quickest route is shortest (:func:`distance.road.road_nearest`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from distance.straight import KM_PER_MILE
from geo.errors import InputError, MissingColumnsError
from provision._sufficiency_geo import (
    PLACES_ATTRIBUTION,
    check_network,
    nearest_by_road,
    nearest_km,
    over_20_miles,
    public_points,
)

if TYPE_CHECKING:
    from distance.network import RoadNetwork

logger = logging.getLogger(__name__)

__all__ = [
    "PLACE_CODE", "RULES", "PLACES_ATTRIBUTION", "Places", "Excess", "public_places", "homes_list_places",
    "excess_distance", "summarise",
]

PLACE_CODE = "K2"
"""SSDA903 ``PLACE`` code of a children's home (subject to the Children's Homes Regulations)."""

RULES: dict[str, str] = {
    "centroid": "public Ofsted list located by LA: each LA's places at its postcode-weighted centroid "
                "(the LA's Code-Point Open postcode nearest the mean of all its postcodes)",
    "sample": "public Ofsted list located by LA: each home at a randomly drawn Code-Point Open postcode of its "
              "LA (seeded)",
}
"""Rules for locating places when only the public (LA-level) lists are available."""

_REQUIRED = ["PLACE", "home_easting", "home_northing", "pl_easting", "pl_northing", "responsible_la"]


@dataclass(frozen=True, repr=False)
class Places:
    """Children's-home places as points (EPSG:27700 metres).

    Attributes
    ----------
    points
        ``easting``, ``northing``, ``places`` (float; NaN where a home's places are unknown: it counts as a home
        but adds no places), ``la_code``, ``needs_mask`` (``Int64``, <NA> when unknown) and, for a homes list,
        ``postcode_district``; indexed by URN for a homes list.
    rule
        How the points were located (stated on every output).
    geography
        ``"postcode"`` (a homes list) or ``"la"`` (public lists).
    confidential
        Built from a confidential homes list: outputs must not reveal a home more finely than its postcode
        district.
    year
        Year (31 March) of the Ofsted list, when known.
    """

    points: pd.DataFrame
    rule: str
    geography: str
    confidential: bool = False
    year: int | None = None

    def __repr__(self) -> str:
        return (f"Places({len(self.points):,} points, {np.nansum(self.points['places']):,.0f} places; {self.rule}"
                f"{'; confidential' if self.confidential else ''})")

    @property
    def usable(self) -> pd.DataFrame:
        """Points that count as a place: a located home with places > 0 or unknown."""
        p = self.points
        ok = np.isfinite(p["easting"].to_numpy(float)) & ~(p["places"].to_numpy(float) <= 0)
        return p[ok]

    def with_added(self, easting: float, northing: float, places: int, *, la_code: str) -> Places:
        """Return a copy with ``places`` new places at one point (none is added when ``places`` is 0)."""
        if places == 0:
            return self
        new = pd.DataFrame({"easting": [float(easting)], "northing": [float(northing)], "places": [float(places)],
                            "la_code": [la_code], "needs_mask": pd.array([pd.NA], dtype="Int64")},
                           index=pd.Index(["added"], dtype="string"))
        return replace(self, points=pd.concat([self.points, new]), rule=self.rule + f"; plus {places} added")

    def districted(self) -> Places:
        """Homes moved to their postcode-district centroid: for outputs that give distances at known points.

        A raster of exact distances to a home can be trilaterated back to the home; at the district centroid
        it reveals no more than the district, the finest level a confidential list may be shown at. Public
        (LA-level) places are returned unchanged.
        """
        if not self.confidential:
            return self
        from geo.postcodes import load_districts

        districts = load_districts()
        pos = districts.index.get_indexer(self.points["postcode_district"].astype(str))
        if (pos < 0).any():
            raise InputError(f"{int((pos < 0).sum())} home(s) have a postcode district missing from Code-Point Open")
        points = self.points.copy()
        points["easting"] = districts["easting"].to_numpy(float)[pos]
        points["northing"] = districts["northing"].to_numpy(float)[pos]
        return replace(self, points=points, rule=self.rule + "; each home moved to its postcode-district centroid")


@dataclass(frozen=True, repr=False)
class Excess:
    """Per-placement excess distances (child level: never written for a user's own return or a homes list).

    Attributes
    ----------
    placements
        One row per K2 placement, indexed like the input: ``CHILD``, ``responsible_la``, ``region_code``,
        ``URN``, ``home_easting``/``home_northing`` and the distance columns (``actual_straight_km``,
        ``nearest_straight_km``, ``excess_straight_km``, ``excess_straight_miles``, ``over_20_miles_beyond``;
        ``nearest_matched_straight_km``, ``excess_matched_straight_km``/``_miles``, ``matched_status`` with a
        homes list; ``actual_road_km``, ``nearest_road_km``, ``excess_road_km``/``_miles``, ``road_status``
        with a network) and ``status`` (``ok``, ``home not located``, ``placement not located``).
    places
        The places measured to.
    distances
        ``("straight-line",)`` or ``("straight-line", "road")``.
    quality
        Rows left out of the measures, by stage and reason (``stage``, ``reason``, ``rows``).
    """

    placements: pd.DataFrame
    places: Places
    distances: tuple[str, ...] = ("straight-line",)
    quality: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["stage", "reason", "rows"]))

    def __repr__(self) -> str:
        return f"Excess({len(self.placements):,} K2 placements; {', '.join(self.distances)}; {self.places.rule})"


def public_places(year: int, *, rule: str = "centroid", seed: int = 0) -> Places:
    """Children's-home places from Ofsted's public list at 31 March ``year``, located by LA with ``rule``.

    Parameters
    ----------
    year
        2014-2025 (see :func:`provision.homes.read_children_homes`).
    rule
        ``centroid`` or ``sample`` (see :data:`RULES`).
    seed
        Random seed of the ``sample`` rule.

    Raises
    ------
    InputError
        Unknown rule or year.
    """
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r} for locating places; expected {' or '.join(RULES)}")
    from provision.homes import read_children_homes

    homes = read_children_homes(year)
    homes = homes[homes["la_code"].notna()]
    points = public_points(homes, rule=rule, seed=seed)
    logger.info("public places %d: %d points, %.0f places (%s)", year, len(points), points["places"].sum(), rule)
    return Places(points, f"{RULES[rule]}; Ofsted children's homes at 31 March {year}", "la", False, year)


def homes_list_places(homes: Any) -> Places:
    """Places from a confidential homes list (:class:`provision.homes_list.HomesList`), at setting postcodes."""
    located = homes.located
    points = pd.DataFrame({
        "easting": located["easting"].to_numpy(float), "northing": located["northing"].to_numpy(float),
        "places": located["places"].astype("Float64").to_numpy(float, na_value=np.nan),
        "la_code": located["la_code"].to_numpy(), "needs_mask": located["needs_mask"].array,
        "postcode_district": located["postcode_district"].to_numpy()}, index=located.index)
    return Places(points, f"confidential Ofsted homes list {homes.source}: each home at its setting postcode",
                  "postcode", True, None)


def excess_distance(placements: pd.DataFrame, *, places: Places, network: RoadNetwork | None = None,
                    max_snap_m: float = 2000.0) -> Excess:
    """Distance to the nearest children's-home place and excess distance for every K2 placement.

    Parameters
    ----------
    placements
        Located SSDA903 episodes (:func:`provision.placements.locate`): ``PLACE``, ``home_easting``,
        ``home_northing``, ``pl_easting``, ``pl_northing`` (EPSG:27700 metres), ``responsible_la`` and, for
        the needs-matched distance, ``URN``. Not modified.
    places
        Where places are (:func:`public_places` or :func:`homes_list_places`). With needs (a homes list), the
        nearest home registered for every need of the home the child was placed in (found through ``URN``)
        is measured too.
    network
        A loaded :class:`~distance.network.RoadNetwork` (EPSG:27700; load it once with
        :func:`distance.network.build_network`), or None: adds road distances (km, the quickest route's length
        under the default travel-time profile, actual and nearest alike, on the network only: a child whose
        home or placement lies beyond ``max_snap_m`` of it gets ``road_status`` ``off_network``).
    max_snap_m
        Largest distance (metres) from a point to the road network.

    Returns
    -------
    Excess

    Raises
    ------
    MissingColumnsError
        A required column is absent.
    InputError
        No K2 placement, no usable place, or ``network`` neither a RoadNetwork nor None.
    """
    check_network(network)
    missing = [c for c in _REQUIRED if c not in placements.columns]
    if missing:
        raise MissingColumnsError("placements", missing, [str(c) for c in placements.columns])
    k2 = placements["PLACE"].astype("string").str.strip().str.upper().eq(PLACE_CODE).fillna(False).to_numpy()
    if not k2.any():
        raise InputError(f"placements: no children's-home placement (PLACE {PLACE_CODE}) among "
                         f"{len(placements):,} rows")
    usable = places.usable
    if usable.empty:
        raise InputError(f"no children's-home place to measure to ({places.rule})")
    frame = placements.loc[k2]
    home = frame[["home_easting", "home_northing"]].to_numpy(float)
    plc = frame[["pl_easting", "pl_northing"]].to_numpy(float)
    ok_home, ok_pl = np.isfinite(home).all(axis=1), np.isfinite(plc).all(axis=1)
    ok = ok_home & ok_pl
    out = pd.DataFrame(index=frame.index)
    for col in ("CHILD", "responsible_la", "pl_la", "URN"):
        if col in frame.columns:
            out[col] = frame[col].to_numpy()
    out["region_code"] = _regions(out["responsible_la"])
    out["home_easting"], out["home_northing"] = home[:, 0], home[:, 1]
    out["status"] = np.where(~ok_home, "home not located", np.where(~ok_pl, "placement not located", "ok"))
    actual = np.hypot(*(plc - home).T) / 1000.0
    nearest = nearest_km(usable, home)
    _put(out, "straight", actual, nearest, ok)
    quality = [("straight-line", r, int(n)) for r, n in out["status"].value_counts().items() if r != "ok"]
    if places.points["needs_mask"].notna().any() and "URN" in out.columns:
        quality += _matched(out, usable, home, ok)
    distances: tuple[str, ...] = ("straight-line",)
    if network is not None:
        quality += _road(out, frame, usable, network, ok, max_snap_m)
        distances = ("straight-line", "road")
    logger.info("excess distance for %d K2 placements (%d measured)", len(out), int(ok.sum()))
    return Excess(out, places, distances, pd.DataFrame(quality, columns=["stage", "reason", "rows"]))


def summarise(excess: Excess, *, by: str = "la") -> pd.DataFrame:
    """Median excess and the share placed more than 20 miles beyond the nearest place, by LA or region.

    Counts are suppressed as DfE publishes (:func:`geo.disclosure.suppress_counts`: 1-4 hidden, with secondary
    suppression across each row's total and, for LAs, within each region, whose totals the region table
    publishes); medians and shares of fewer than 5 placements, or whose counts are hidden, are left out.

    Parameters
    ----------
    excess
        From :func:`excess_distance`.
    by
        ``"la"`` (the child's responsible LA) or ``"region"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_code`` (with ``la_name``, ``region_code``) or ``region_code`` (``region_name``):
        ``placements`` (K2 placements with both points located; those without are counted in
        ``excess.quality``), ``over_20_miles_beyond``, ``within_20_miles_beyond`` (counts, with ``*_label``),
        ``pct_over_20_miles_beyond``, ``median_actual_straight_miles``,
        ``median_nearest_straight_miles``, ``median_excess_straight_miles``, ``median_excess_straight_km`` and
        the road and needs-matched medians where measured; ``rule`` and ``distance`` say how.
    """
    import boundaries
    from geo.disclosure import check_no_small_counts, suppress_counts

    if by not in ("la", "region"):
        raise InputError(f"by must be 'la' or 'region', got {by!r}")
    p = excess.placements
    key = "responsible_la" if by == "la" else "region_code"
    data = p.assign(_key=p[key].astype("string").fillna("unknown"))
    ok = data["status"].eq("ok")
    over = ok & data["over_20_miles_beyond"].fillna(False).astype(bool)
    table = pd.DataFrame({"placements": ok.groupby(data["_key"]).sum(),
                          "over_20_miles_beyond": over.groupby(data["_key"]).sum(),
                          "within_20_miles_beyond": (ok & ~over).groupby(data["_key"]).sum()}).astype(int)
    measures = [("actual_straight_miles", "actual_straight_km", ok, KM_PER_MILE),
                ("nearest_straight_miles", "nearest_straight_km", ok, KM_PER_MILE),
                ("excess_straight_miles", "excess_straight_miles", ok, 1.0),
                ("excess_straight_km", "excess_straight_km", ok, 1.0)]
    if "excess_road_km" in p.columns:
        road_ok = data["road_status"].eq("ok")
        measures += [("excess_road_miles", "excess_road_miles", road_ok, 1.0),
                     ("excess_road_km", "excess_road_km", road_ok, 1.0)]
    if "excess_matched_straight_km" in p.columns:
        m_ok = data["matched_status"].eq("ok")
        measures += [("excess_matched_straight_miles", "excess_matched_straight_miles", m_ok, 1.0)]
    for name, col, mask, div in measures:
        vals = (data[col].astype(float) / div).where(mask)
        n = vals.notna().groupby(data["_key"]).sum()
        table[f"median_{name}"] = vals.groupby(data["_key"]).median().where(n >= 5)
    lookup = boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")
    if by == "la":
        table.index.name = "la_code"
        table.insert(0, "la_name", lookup["la_name"].reindex(table.index).to_numpy())
        table.insert(1, "region_code", lookup["region_code"].reindex(table.index).fillna("unknown").to_numpy())
        group: str = "region_code"
    else:
        table.index.name = "region_code"
        names = lookup.drop_duplicates("region_code").set_index("region_code")["region_name"]
        table.insert(0, "region_name", names.reindex(table.index).to_numpy())
        table["_all"] = "England"
        group = "_all"
    counts = ["over_20_miles_beyond", "within_20_miles_beyond"]
    safe = suppress_counts(table, count_columns=counts, total="placements", group=group)
    check_no_small_counts(safe, count_columns=[*counts, "placements"], source=f"excess by {by}")
    shown = safe["over_20_miles_beyond"].notna() & safe["within_20_miles_beyond"].notna()
    measured = (safe["over_20_miles_beyond"] + safe["within_20_miles_beyond"]).astype(float)
    safe["pct_over_20_miles_beyond"] = (safe["over_20_miles_beyond"].astype(float) / measured * 100).where(
        shown & (measured >= 5)).round(1)
    for col in [c for c in safe.columns if c.startswith("median_")]:
        safe[col] = safe[col].astype(float).round(2)
    safe["rule"] = excess.places.rule
    safe["distance"] = "straight-line (grid) distance between postcodes" + (
        f"; road: {_road_text()}" if "road" in excess.distances else "")
    return safe.drop(columns=[c for c in ("_all",) if c in safe.columns])


# -- private helpers ------------------------------------------------------------------------------------
def _road_text() -> str:
    """How the road distances are measured, for the tables (names the travel-time profile)."""
    from distance.profiles import DEFAULT_PROFILE

    return (f"length of the quickest route on the given network ({DEFAULT_PROFILE} travel-time profile), to the "
            "place nearest by that length")


def _put(out: pd.DataFrame, kind: str, actual: np.ndarray, nearest: np.ndarray, ok: np.ndarray,
         prefix: str = "") -> None:
    actual = np.where(ok, actual, np.nan)
    nearest = np.where(ok, nearest, np.nan)
    excess = actual - nearest
    if not prefix:
        out[f"actual_{kind}_km"] = actual
    out[f"nearest_{prefix}{kind}_km"] = nearest
    out[f"excess_{prefix}{kind}_km"] = excess
    out[f"excess_{prefix}{kind}_miles"] = excess / KM_PER_MILE
    if kind == "straight" and not prefix:
        flag = pd.array(over_20_miles(excess), dtype="boolean")
        flag[~np.isfinite(excess)] = pd.NA
        out["over_20_miles_beyond"] = flag


def _regions(codes: pd.Series) -> np.ndarray:
    import boundaries

    lookup = boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")["region_code"]
    return codes.astype("string").map(lookup).astype("string").to_numpy()


def _matched(out: pd.DataFrame, usable: pd.DataFrame, home: np.ndarray, ok: np.ndarray) -> list[tuple[str, str, int]]:
    """Nearest home registered for every need of the home the child was placed in (through URN)."""
    urn = out["URN"].astype("string").str.strip().fillna("")
    masks = usable["needs_mask"].astype("Int64")
    known = pd.Series(masks.to_numpy(), index=usable.index.astype(str))
    need = urn.map(known)
    status = np.where(urn.eq(""), "no URN", np.where(need.isna(), "URN not in the homes list", "ok"))
    status = np.where(ok, status, out["status"].to_numpy())
    nearest = np.full(len(out), np.nan)
    have = masks.notna().to_numpy()
    pts = usable[have]
    m_all = pts["needs_mask"].astype(int).to_numpy()
    todo = status == "ok"
    for m in pd.unique(need[todo].astype(int)):
        rows = np.flatnonzero(todo & (need.fillna(-1).astype(int).to_numpy() == m))
        eligible = pts[(m_all & int(m)) == int(m)]
        nearest[rows] = nearest_km(eligible, home[rows])  # the placed home itself is always eligible
    out["matched_status"] = status
    _put(out, "straight", out["actual_straight_km"].to_numpy(float), nearest, status == "ok", prefix="matched_")
    return [("needs-matched", r, int(n)) for r, n in pd.Series(status).value_counts().items() if r != "ok"]


def _road(out: pd.DataFrame, frame: pd.DataFrame, usable: pd.DataFrame, network: Any, ok: np.ndarray,
          max_snap_m: float) -> list[tuple[str, str, int]]:
    from distance.road import road_distances

    # no backbone fallback: actual and nearest are both quickest routes on the network, one definition; a
    # placement beyond max_snap_m of the network is counted as off_network instead of measured another way
    roads = road_distances(frame, network=network, max_snap_m=max_snap_m, fallback=None)
    actual = roads["road_distance_km"].to_numpy(float)
    nearest = nearest_by_road(usable, frame[["home_easting", "home_northing"]].to_numpy(float), network=network,
                              max_snap_m=max_snap_m) / 1000.0
    road_ok = ok & np.isfinite(actual) & np.isfinite(nearest)
    out["road_status"] = np.where(road_ok, "ok", np.where(~ok, out["status"], roads["road_status"].astype(str)))
    out.loc[~road_ok & ok & np.isfinite(actual), "road_status"] = "no place reachable by road"
    _put(out, "road", actual, nearest, road_ok)
    return [("road", r, int(n)) for r, n in out["road_status"].value_counts().items() if r != "ok"]
