"""Sufficiency planner: where N new children's-home places would bring a group's children nearest home.

For one LA or a group planning together (a regional care cooperative), :func:`plan_places` chooses sites
among candidate postcode sectors or districts inside the group's area (or a list of postcodes the user
gives) for ``add_places`` new places in at most ``homes`` homes, to minimise the group's children's total
excess distance (``objective="excess"``) or the number placed more than 20 miles from home
(``"over-20-miles"``), given today's supply (:mod:`provision.sufficiency`). The choice is a capacitated
facility-location MIP solved by HiGHS, with a greedy heuristic and its gap to the bound
(:mod:`provision.plan_solve`); what the plan would change is then measured with the assignment model the
what-if uses too (:func:`provision.plan_model.assign`).

The children are each child's latest children's-home placement (SSDA903 ``PLACE`` K2) among the group's
LAs' returns, with both postcodes located. **Excess** is the distance from home to the placement minus the
distance to the nearest children's-home place *today*: one yardstick for before and after, so a plan can
only lower it. Distances are road with a loaded road network (the length of the quickest route, default
travel-time profile ``typical``, km: :func:`distance.road.road_matrix`), else straight-line (grid, km); every
output says which. Over 20 miles is DfE's measure (miles rounded to 0.1; by road when
distances are by road).

Confidentiality: sites are shown by postcode district only; children appear only as counts suppressed as
DfE publishes (1-4 hidden, with secondary suppression) and as totals or curves over 5 or more children.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from distance.straight import KM_PER_MILE
from geo.errors import InputError, ModelNotIdentifiedError
from provision._sufficiency_geo import check_network, over_20_miles
from provision.plan_model import ASSIGNMENT_MODEL, ORDERS, assign
from provision.plan_sites import Candidates, Group, candidate_sites
from provision.plan_solve import Solution, solve
from provision.sufficiency import PLACE_CODE, Places, excess_distance

if TYPE_CHECKING:
    from distance.network import RoadNetwork
    from distance.profiles import Profile

logger = logging.getLogger(__name__)

__all__ = ["OBJECTIVES", "HOME_SIZE", "Plan", "plan_children", "site_distance_matrix", "gains", "plan_places"]

OBJECTIVES: dict[str, str] = {
    "excess": "minimise the children's total excess distance (beyond the nearest place today)",
    "over-20-miles": "minimise the number of children placed more than 20 miles from home",
}
"""What the plan minimises."""

HOME_SIZE = 4
"""Places per new home when ``homes`` is not given: ``homes = ceil(add_places / 4)`` (a typical children's home)."""

_MIN = 5  # smallest number of children any published aggregate rests on
_QUICK_S = 2.0  # the sensitivity re-solves with "auto" when the plan took less than this, else with the greedy


@dataclass
class Plan:
    """A siting plan and what it would change (every table already safe to publish).

    Attributes
    ----------
    group
        The LAs planning together.
    sites
        One row per chosen postcode district: ``postcode_district``, ``la_code``, ``la_name``, ``places``,
        ``children_served`` (suppressed, with ``children_served_label``), ``reduction_excess_miles`` (shown
        when 5 or more children are served).
    summary
        Rows ``before``, ``after``, ``change``: ``children``, ``over_20_miles`` (suppressed),
        ``total_excess_miles``, ``mean_excess_miles``.
    curve
        ``places`` 1 … N: ``reduction_excess_miles``, ``marginal_reduction_miles``, ``over_20_miles_after``
        (suppressed), ``children_served``; points resting on fewer than 5 children are left blank.
    sensitivity
        By postcode district: ``places_in_plan``, ``pct_resamples`` (chosen in resamples of the children),
        ``pct_years_left_out`` (chosen when one placement-start year is left out), ``method`` (``auto``
        when the plan took under 2 s, else the greedy).
    flows
        Children of each LA and of the whole group placed within / out of the group before, moved into the
        group by the new places, and within / out after (suppressed so no hidden count is a difference).
    solver
        One row: method, status, objective, bound, gap, greedy objective and gap, ``model_value`` (the gain the
        assignment model achieves with the chosen sites, in the objective's unit), seconds, sizes.
    quality
        Rows left out and candidates not used, by reason (``stage``, ``reason``, ``rows``).
    notes
        Sentences every output states (distance, objective, assignment model, group, candidates, synthetic).
    distance
        ``"road"`` or ``"straight-line"``.
    synthetic
        Built from synthetic children.
    points
        The chosen districts' centroids (EPSG:27700 metres) with ``places`` and ``children_served_label``, for the map.
    """

    group: Group
    sites: pd.DataFrame
    summary: pd.DataFrame
    curve: pd.DataFrame
    sensitivity: pd.DataFrame
    flows: pd.DataFrame
    solver: pd.DataFrame
    quality: pd.DataFrame
    notes: list[str]
    distance: str
    objective: str
    synthetic: bool = False
    points: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        return (f"Plan({self.group.label}: {int(self.sites['places'].sum())} places at {len(self.sites)} district(s); "
                f"{self.distance}; {self.objective})")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables to write (name → frame), each saying its distance, and ``data = SYNTHETIC`` where so.

        ``plan_notes`` holds every note (distance, objective, assignment model, solver, group and candidate
        notes such as LAs that are not neighbours or candidates outside the area).
        """
        out = {"plan_sites": self.sites, "plan_summary": self.summary, "plan_curve": self.curve,
               "plan_sensitivity": self.sensitivity, "plan_flows": self.flows, "plan_solver": self.solver,
               "plan_quality": self.quality,
               "plan_notes": pd.DataFrame({"note": self.notes}, index=pd.RangeIndex(1, len(self.notes) + 1, name="n"))}
        tag = {"distance": _distance_text(self.distance), "group": self.group.label}
        if self.synthetic:
            tag["data"] = "SYNTHETIC"
        return {k: v.assign(**tag) for k, v in out.items()}

    def summary_text(self) -> str:
        """One plain-English paragraph (numbers already suppressed)."""
        s = self.summary
        tag = "SYNTHETIC: " if self.synthetic else ""
        places = int(self.sites["places"].sum())
        where = ", ".join(f"{d} ({int(p)})" for d, p in zip(self.sites["postcode_district"], self.sites["places"],
                                                              strict=True))
        red = s.loc["change", "total_excess_miles"]
        red_text = "not published (fewer than 5 children)" if pd.isna(red) else f"{-red:,.0f} miles"
        over = s.loc["change", "over_20_miles_label"]
        return (f"{tag}{places} new place(s) for {self.group.label} at {where}: total excess distance down by "
                f"{red_text} ({self.distance}); children placed more than 20 miles from home: change {over}.")


_DISTANCE_TEXT = {"road": "road distance (length of the quickest route on the given network, {profile} travel-time "
                          "profile), miles",
                  "straight-line": "straight-line (grid) distance between postcodes, miles"}


def _distance_text(distance: str) -> str:
    """How the plan's distances are measured (``"road"`` names the travel-time profile)."""
    from distance.profiles import DEFAULT_PROFILE

    return _DISTANCE_TEXT[distance].format(profile=DEFAULT_PROFILE)


def plan_children(located: pd.DataFrame, *, places: Places, group: Group, network: RoadNetwork | None = None,
                  max_snap_m: float = 2000.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the group's children: each child's latest K2 placement and today's distances (child level).

    Never written: the plan publishes only aggregates of it.

    Returns
    -------
    tuple of pandas.DataFrame
        Children (``CHILD``, ``responsible_la``, ``pl_la``, ``year`` of the placement's start (collection year
        ending 31 March), ``home_easting``/``home_northing`` (EPSG:27700 metres), ``current_km``,
        ``nearest_km``: road km with a network, else straight-line km) and the rows left out (``stage``,
        ``reason``, ``rows``).

    Raises
    ------
    InputError
        No placement of the group's LAs, or none left to plan for.
    """
    check_network(network)
    mine = located[located["responsible_la"].astype("string").isin(group.codes).fillna(False).to_numpy()]
    if not mine.index.is_unique:  # e.g. several returns concatenated: rows are matched by index below
        mine = mine.reset_index(drop=True)
    if mine.empty:
        raise InputError(f"no placements of {group.label} (responsible LA) in the children given")
    excess = excess_distance(mine, places=places, network=network, max_snap_m=max_snap_m)
    p = excess.placements
    quality = [("children", r, int(n)) for r, n in p["status"].value_counts().items() if r != "ok"]
    kind = "road" if network is not None else "straight"
    ok = p["status"].eq("ok")
    if network is not None:
        road_ok = p["road_status"].eq("ok")
        lost = p.loc[ok & ~road_ok, "road_status"].value_counts()
        quality += [("children (road)", r, int(n)) for r, n in lost.items()]
        ok &= road_ok
    frame = p[ok].copy()
    start = pd.to_datetime(mine.loc[frame.index, "DECOM"], errors="coerce", dayfirst=True) if "DECOM" in mine else \
        pd.Series(pd.NaT, index=frame.index)
    frame["year"] = (start.dt.year + (start.dt.month >= 4)).astype("Int64")
    child = frame["CHILD"].astype(str) if "CHILD" in frame.columns else pd.Series(frame.index.astype(str),
                                                                                   index=frame.index)
    frame["_order"] = start.fillna(pd.Timestamp.min)
    latest = frame.assign(_child=child).sort_values("_order", kind="stable").groupby("_child").tail(1)
    dropped = len(frame) - len(latest)
    if dropped:
        quality.append(("children", "earlier K2 placement of the same child (latest kept)", dropped))
    out = pd.DataFrame({"CHILD": latest["_child"].to_numpy(), "responsible_la": latest["responsible_la"].to_numpy(),
                        "pl_la": latest["pl_la"].to_numpy() if "pl_la" in latest else pd.NA,
                        "year": latest["year"].to_numpy(),
                        "home_easting": latest["home_easting"].to_numpy(float),
                        "home_northing": latest["home_northing"].to_numpy(float),
                        "current_km": latest[f"actual_{kind}_km"].to_numpy(float),
                        "nearest_km": latest[f"nearest_{kind}_km"].to_numpy(float)}, index=latest.index)
    if out.empty:
        raise ModelNotIdentifiedError(f"no children's-home (PLACE {PLACE_CODE}) placement of {group.label} with "
                                      "both postcodes "
                         "located" + (" and a road distance" if network is not None else ""))
    return out, pd.DataFrame(quality, columns=["stage", "reason", "rows"])


def site_distance_matrix(home_xy: np.ndarray, site_xy: np.ndarray, *, network: RoadNetwork | None = None,
                         max_snap_m: float = 2000.0, profile: str | Profile | None = None) -> np.ndarray:
    """Distance (km) from each child's home to each candidate site: road with a network, else straight-line.

    Parameters
    ----------
    home_xy, site_xy
        Points in EPSG:27700 metres, shapes ``(n_children, 2)`` and ``(n_sites, 2)``.
    network
        A loaded road network: the distance is the length of the quickest route, as ``road_distance_km`` of
        :func:`distance.road.road_distances` measures it (each point joined to the nearest point of the nearest
        road edge, access legs included), for every (home, site) pair (:func:`distance.road.road_matrix`); NaN
        where a point is farther than ``max_snap_m`` from the network or no route exists.
    max_snap_m
        Largest distance (metres) from a point to the road network.
    profile
        Travel-time profile that decides which route is quickest (None: :data:`distance.profiles.DEFAULT_PROFILE`).

    Returns
    -------
    numpy.ndarray
        ``(n_children, n_sites)`` km.
    """
    home = np.asarray(home_xy, float).reshape(-1, 2)
    site = np.asarray(site_xy, float).reshape(-1, 2)
    if network is None:
        return np.hypot(home[:, None, 0] - site[None, :, 0], home[:, None, 1] - site[None, :, 1]) / 1000.0
    check_network(network)
    from distance.profiles import DEFAULT_PROFILE
    from distance.road import road_matrix

    metres, _ = road_matrix(home, site, network=network, max_snap_m=max_snap_m,
                            profile=DEFAULT_PROFILE if profile is None else profile)
    return metres / 1000.0


def gains(current_km: np.ndarray, site_km: np.ndarray, *, objective: str = "excess") -> np.ndarray:
    """Return each child's gain from a place at each site: km saved (``excess``) or 1 when brought within 20 miles.

    Raises
    ------
    InputError
        Unknown objective.
    """
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; expected {' or '.join(OBJECTIVES)}")
    cur = np.asarray(current_km, float)[:, None]
    d = np.asarray(site_km, float)
    if objective == "excess":
        return np.nan_to_num(np.maximum(cur - d, 0.0), nan=0.0)
    over_now = over_20_miles(np.nan_to_num(cur, nan=0.0))
    return (over_now & ~over_20_miles(np.nan_to_num(d, nan=np.inf)) & np.isfinite(d)).astype(float)


def plan_places(located: pd.DataFrame, *, places: Places, group: Group, add_places: int, homes: int | None = None,
                candidates: str | Path | Candidates = "sectors", objective: str = "excess", order: str = "gain",
                network: RoadNetwork | None = None, method: str = "auto", time_limit_s: float = 20.0,
                resamples: int = 20, seed: int = 0, synthetic: bool = False, max_snap_m: float = 2000.0) -> Plan:
    """Choose where ``add_places`` new children's-home places go for a group of LAs, and what they would change.

    Parameters
    ----------
    located
        Located SSDA903 episodes of the group's LAs (:func:`provision.placements.locate`), EPSG:27700 metres.
    places
        Today's supply (:func:`provision.sufficiency.public_places` or ``homes_list_places``).
    group
        :func:`provision.plan_sites.plan_group`.
    add_places
        New places, 1 or more.
    homes
        Most new homes (sites); default ``ceil(add_places / HOME_SIZE)``.
    candidates
        ``"sectors"``, ``"districts"``, a CSV of postcodes, or :class:`~provision.plan_sites.Candidates`.
    objective
        A key of :data:`OBJECTIVES`.
    order
        Order in which children take places in the assignment model (:data:`provision.plan_model.ORDERS`).
    network
        A loaded road network for road distances (else straight-line).
    method, time_limit_s
        Solver (:data:`provision.plan_solve.METHODS`) and HiGHS's time limit (seconds).
    resamples, seed
        Resamples of the children (with replacement) for the sensitivity table, and their seed.
    synthetic
        The children are synthetic: every output says so.

    Raises
    ------
    InputError
        Zero or negative places, more homes than places or candidates, an unknown objective or order, bad
        candidates (:func:`~provision.plan_sites.candidate_sites`), no children to plan for.
    """
    if int(add_places) != add_places or add_places < 1:
        raise InputError(f"--add-places must be a whole number of places, at least 1; got {add_places!r}")
    add_places = int(add_places)
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; expected {' or '.join(OBJECTIVES)}")
    if order not in ORDERS:
        raise InputError(f"unknown order {order!r}; expected one of {', '.join(ORDERS)}")
    check_network(network)
    cands = candidates if isinstance(candidates, Candidates) else candidate_sites(group, candidates=candidates)
    n_homes = math.ceil(add_places / HOME_SIZE) if homes is None else int(homes)
    if n_homes > len(cands.sites):
        raise InputError(f"--homes {n_homes}: more homes than the {len(cands.sites)} candidate site(s) in "
                         f"{group.label} ({cands.kind})")
    if n_homes < 1 or n_homes > add_places:
        raise InputError(f"--homes must be between 1 and the places added ({add_places}); got {n_homes}")
    children, quality = plan_children(located, places=places, group=group, network=network, max_snap_m=max_snap_m)
    site_xy = cands.sites[["easting", "northing"]].to_numpy(float)
    home_xy = children[["home_easting", "home_northing"]].to_numpy(float)
    dist = site_distance_matrix(home_xy, site_xy, network=network, max_snap_m=max_snap_m)
    current = children["current_km"].to_numpy(float)
    gain = gains(current, dist, objective=objective)
    sol = solve(gain, add_places=add_places, homes=n_homes, method=method, time_limit_s=time_limit_s)
    taken = _evaluate(current, dist, sol.places, order)
    after = np.where(taken >= 0, dist[np.arange(len(current)), np.maximum(taken, 0)], current)
    distance = "road" if network is not None else "straight-line"
    nearest = children["nearest_km"].to_numpy(float)
    sites, points = _site_table(cands, sol.places, taken, current - after)
    summary = _summary(current, after, nearest)
    curve = _curve(current, dist, sol, order, add_places)
    sensitivity = _sensitivity(gain, children["year"], cands, sol, add_places=add_places, homes=n_homes,
                               resamples=resamples, seed=seed, time_limit_s=min(time_limit_s, 10.0))
    flows = _flows(children, group, taken >= 0)
    solver = pd.DataFrame([{"method": sol.method, "status": sol.status, "objective": OBJECTIVES[objective],
                            "objective_value": round(sol.objective, 3), "bound": round(sol.bound, 3),
                            "gap_pct": round(100 * sol.gap, 3),
                            "greedy_objective_value": round(sol.greedy_objective, 3),
                            "greedy_gap_pct": round(100 * sol.greedy_gap, 3),
                            "model_value": round(float(np.sum(gain[np.flatnonzero(taken >= 0),
                                                                   taken[taken >= 0]])), 3),
                            "seconds": round(sol.seconds, 2),
                            "candidate_sites": len(cands.sites), "homes": n_homes, "places": add_places,
                            "unit": "km saved" if objective == "excess" else "children brought within 20 miles"}])
    quality = pd.concat([quality, pd.DataFrame([("candidates", "outside the group's area (not used)",
                                                 len(cands.outside))], columns=["stage", "reason", "rows"])]
                        if len(cands.outside) else [quality], ignore_index=True)
    quality = _safe_quality(quality)
    notes = [f"Distances: {_distance_text(distance)}; over 20 miles by DfE's rounding"
             + (" (by road)." if distance == "road" else "."),
             f"Objective: {OBJECTIVES[objective]}; excess is measured from the nearest place today, before and after.",
             ASSIGNMENT_MODEL.format(order=ORDERS[order]) + " New places are assumed registered for every need.",
             f"Sites: {cands.kind} in {group.label}; at most {n_homes} new home(s); shown by postcode district only.",
             f"Solver: {sol.status}; gap to the bound {100 * sol.gap:.2f}% (greedy {100 * sol.greedy_gap:.2f}%).",
             f"Places today: {places.rule}.", *group.notes, *cands.notes()]
    if synthetic:
        notes.insert(0, "SYNTHETIC data: generated records, not real children.")
    logger.info("plan for %s: %d places, %d children", group.label, add_places, len(children))
    return Plan(group, sites, summary, curve, sensitivity, flows, solver, quality, notes, distance, objective,
                synthetic, points)


# -- private helpers ------------------------------------------------------------------------------------
def _evaluate(current: np.ndarray, dist: np.ndarray, places: np.ndarray, order: str) -> np.ndarray:
    """Site (candidate index) each child takes under the assignment model, -1 for none."""
    open_ = np.flatnonzero(places > 0)
    if open_.size == 0:
        return np.full(len(current), -1, np.int64)
    local = assign(current, dist[:, open_], places[open_], order=order)
    return np.where(local >= 0, open_[np.maximum(local, 0)], -1)


def _site_table(cands: Candidates, places: np.ndarray, taken: np.ndarray,
                saved_km: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    import boundaries
    from geo.disclosure import suppress_counts
    from geo.postcodes import load_districts

    s = cands.sites
    open_ = np.flatnonzero(places > 0)
    served = np.bincount(taken[taken >= 0], minlength=len(s))
    saved = np.bincount(taken[taken >= 0], weights=saved_km[taken >= 0], minlength=len(s))
    rows = pd.DataFrame({"postcode_district": s["postcode_district"].to_numpy()[open_],
                         "la_code": s["la_code"].to_numpy()[open_], "places": places[open_],
                         "children_served": served[open_], "saved_km": saved[open_]})
    table = rows.groupby(["postcode_district", "la_code"], as_index=False).sum().sort_values(
        "places", ascending=False, kind="stable").reset_index(drop=True)
    names = boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")["la_name"]
    table.insert(2, "la_name", table["la_code"].map(names).to_numpy())
    table["_all"] = "all"
    safe = suppress_counts(table, count_columns=["children_served"], group="_all")
    shown = safe["children_served"].notna() & (safe["children_served"].fillna(0) >= _MIN)
    safe["reduction_excess_miles"] = (table["saved_km"] / KM_PER_MILE).where(shown.to_numpy()).round(1)
    safe = safe.drop(columns=["saved_km", "_all"] + [c for c in ("suppressed",) if c in safe.columns])
    safe.index = pd.RangeIndex(1, len(safe) + 1, name="site")
    districts = load_districts()
    pos = districts.index.get_indexer(safe["postcode_district"].astype(str))
    points = safe[["postcode_district", "la_name", "places", "children_served_label", "reduction_excess_miles"]].copy()
    points["easting"] = np.where(pos >= 0, districts["easting"].to_numpy(float)[np.maximum(pos, 0)], np.nan)
    points["northing"] = np.where(pos >= 0, districts["northing"].to_numpy(float)[np.maximum(pos, 0)], np.nan)
    return safe, points


def _summary(current: np.ndarray, after: np.ndarray, nearest: np.ndarray) -> pd.DataFrame:
    from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL, suppress_counts

    n = len(current)
    over = {"before": int(over_20_miles(current).sum()), "after": int(over_20_miles(after).sum())}
    rows = pd.DataFrame({"over": list(over.values()), "within": [n - v for v in over.values()], "children": [n, n]},
                        index=list(over))
    safe = suppress_counts(rows, count_columns=["over", "within"], total="children")
    hidden = {k: bool(pd.isna(safe.loc[k, "over"])) for k in over}
    labels = {k: str(safe.loc[k, "over_label"]) for k in over}
    change = over["after"] - over["before"]
    small = 1 <= -change < _MIN
    if small and not any(hidden.values()):
        hidden["after"], labels["after"] = True, SECONDARY_LABEL  # else before − change would be shown
    change_hidden = small or hidden["before"] != hidden["after"]
    change_label = SUPPRESSED_LABEL if small else SECONDARY_LABEL if change_hidden else f"{change:+d}"
    enough = n >= _MIN
    ex_before = float(np.sum(current - nearest) / KM_PER_MILE) if enough else math.nan
    ex_after = float(np.sum(after - nearest) / KM_PER_MILE) if enough else math.nan
    total = suppress_counts(pd.DataFrame({"children": [n]}), count_columns=["children"])
    table = pd.DataFrame({
        "children": pd.array([total["children"].iloc[0]] * 3, dtype="Int64"),
        "over_20_miles": pd.array([pd.NA if hidden["before"] else over["before"],
                                   pd.NA if hidden["after"] else over["after"],
                                   pd.NA if change_hidden else change], dtype="Int64"),
        "total_excess_miles": [ex_before, ex_after, ex_after - ex_before],
        "mean_excess_miles": [ex_before / n if enough else math.nan, ex_after / n if enough else math.nan,
                              (ex_after - ex_before) / n if enough else math.nan],
        "children_label": [str(total["children_label"].iloc[0])] * 3,
        "over_20_miles_label": [labels["before"], labels["after"], change_label],
    }, index=pd.Index(["before", "after", "change"], name="scenario"))
    for c in ("total_excess_miles", "mean_excess_miles"):
        table[c] = table[c].round(2)
    return table


def _curve(current: np.ndarray, dist: np.ndarray, sol: Solution, order: str, add_places: int) -> pd.DataFrame:
    """Marginal value of each place: the greedy's nested plans for 1 … N places, measured by the assignment model."""
    rows = []
    for n in range(1, add_places + 1):
        places = np.bincount(sol.sequence[:n], minlength=dist.shape[1])
        taken = _evaluate(current, dist, places, order)
        after = np.where(taken >= 0, dist[np.arange(len(current)), np.maximum(taken, 0)], current)
        served = int((taken >= 0).sum())
        rows.append({"places": n, "children_served": served,
                     "reduction_excess_miles": float(np.sum(current - after) / KM_PER_MILE),
                     "over_20_miles_after": int(over_20_miles(after).sum())})
    curve = pd.DataFrame(rows).set_index("places")
    curve["marginal_reduction_miles"] = curve["reduction_excess_miles"].diff().fillna(curve["reduction_excess_miles"])
    enough = curve["children_served"] >= _MIN
    for c in ("reduction_excess_miles", "marginal_reduction_miles"):
        curve[c] = curve[c].where(enough).round(1)
    curve.loc[curve.index[enough.to_numpy()][:1], "marginal_reduction_miles"] = np.nan  # would give the first 5 apart
    over = curve["over_20_miles_after"]
    before = int(over_20_miles(current).sum())
    moved = before - over
    curve["over_20_miles_after"] = over.astype("Int64").where(((over >= _MIN) | (over == 0))
                                                              & ((moved == 0) | (moved >= _MIN)))
    curve["children_served"] = curve["children_served"].astype("Int64").where(enough)
    curve["plan"] = "greedy, nested"
    return curve


def _sensitivity(gain: np.ndarray, years: pd.Series, cands: Candidates, sol: Solution, *, add_places: int,
                 homes: int, resamples: int, seed: int, time_limit_s: float) -> pd.DataFrame:
    """How often each district is chosen when the children are resampled, or one start year is left out."""
    district = cands.sites["postcode_district"].astype(str).to_numpy()
    main = pd.Series(sol.places, index=district).groupby(level=0).sum()
    rng = np.random.default_rng(seed)
    method = "auto" if sol.seconds < _QUICK_S else "greedy"
    picks: list[set[str]] = []
    n = gain.shape[0]
    for _ in range(resamples):
        idx = rng.integers(0, n, n)
        s = solve(gain[idx], add_places=add_places, homes=homes, method=method, time_limit_s=time_limit_s)
        picks.append(set(district[s.places > 0]))
    yr = years.to_numpy()
    year_picks: list[set[str]] = []
    known = sorted(int(y) for y in pd.unique(years.dropna()))
    for y in known:
        keep = np.asarray(yr != y, bool) | pd.isna(yr)
        if keep.sum() < _MIN or keep.all():
            continue
        s = solve(gain[keep], add_places=add_places, homes=homes, method=method, time_limit_s=time_limit_s)
        year_picks.append(set(district[s.places > 0]))
    chosen = sorted(set(main[main > 0].index) | set().union(*picks, *year_picks))
    table = pd.DataFrame({"places_in_plan": main.reindex(chosen).fillna(0).astype(int).to_numpy()},
                         index=pd.Index(chosen, name="postcode_district"))
    table["pct_resamples"] = [round(100 * sum(d in p for p in picks) / len(picks), 1) if picks else math.nan
                              for d in chosen]
    table["pct_years_left_out"] = [round(100 * sum(d in p for p in year_picks) / len(year_picks), 1) if year_picks
                                   else math.nan for d in chosen]
    table["method"] = method
    table["resamples"] = len(picks)
    table["years_left_out"] = len(year_picks)
    return table.sort_values(["places_in_plan", "pct_resamples"], ascending=False, kind="stable")


def _flows(children: pd.DataFrame, group: Group, moved: np.ndarray) -> pd.DataFrame:
    """Children placed within and out of the group, by LA and in all, before and after (counts suppressed).

    ``moved_into_group`` (children a new place brings into the group) is suppressed like every count, and the
    after columns (before + moved) are shown only where the before counts and the move are both shown, so no
    suppressed count can be worked out as a difference.
    """
    from geo.disclosure import SECONDARY_LABEL, suppress_counts

    la = children["responsible_la"].astype(str).to_numpy()
    within = children["pl_la"].astype("string").isin(group.codes).fillna(False).to_numpy()
    into = moved & ~within
    rows = []
    for code in (*group.codes, "group"):
        sel = np.ones(len(la), bool) if code == "group" else la == code
        rows.append({"la_code": code, "children": int(sel.sum()), "within_group_before": int((within & sel).sum()),
                     "out_of_group_before": int((~within & sel).sum()), "moved_into_group": int((into & sel).sum())})
    table = pd.DataFrame(rows)
    table["_g"] = "all"
    safe = suppress_counts(table, count_columns=["within_group_before", "out_of_group_before"], total="children",
                           group="_g")
    moved_safe = suppress_counts(table, count_columns=["moved_into_group"], group="_g")
    safe["moved_into_group"] = moved_safe["moved_into_group"]
    safe["moved_into_group_label"] = moved_safe["moved_into_group_label"]
    shown = np.array(safe["within_group_before"].notna() & safe["out_of_group_before"].notna()
             & safe["moved_into_group"].notna(), dtype=bool)
    w_after = table["within_group_before"] + table["moved_into_group"]
    o_after = table["out_of_group_before"] - table["moved_into_group"]
    shown &= (((o_after >= _MIN) | (o_after == 0)) & ((w_after >= _MIN) | (w_after == 0))).to_numpy()
    safe["within_group_after"] = pd.array(np.where(shown, w_after, 0), dtype="Int64")
    safe["out_of_group_after"] = pd.array(np.where(shown, o_after, 0), dtype="Int64")
    for c in ("within_group_after", "out_of_group_after"):
        safe.loc[~shown, c] = pd.NA
        safe[f"{c}_label"] = np.where(shown, safe[c].astype("string").fillna(""), SECONDARY_LABEL)
    names = dict(zip(group.codes, group.names, strict=True)) | {"group": group.label}
    safe.insert(1, "la_name", safe["la_code"].map(names))
    return safe.drop(columns=[c for c in ("suppressed", "_g") if c in safe.columns]).set_index("la_code")


def _safe_quality(quality: pd.DataFrame) -> pd.DataFrame:
    from geo.disclosure import suppress_counts

    if quality.empty:
        return pd.DataFrame({"stage": [], "reason": [], "rows": []}).set_index("stage")
    safe = suppress_counts(quality.reset_index(drop=True), count_columns=["rows"])
    return safe.drop(columns=[c for c in ("rows", "suppressed") if c in safe.columns]).rename(
        columns={"rows_label": "rows"}).set_index("stage")
