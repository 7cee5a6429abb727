"""Road distance and travel time for every placement: snap both ends to the road, one batch of quickest routes.

``road_distance_km`` is the length of the **quickest** route (what a satnav or a mileage claim reports) and
``road_time_min`` its time under a travel-time profile (:mod:`distance.profiles`, ``"typical"`` by default),
both from one query (:func:`distance.engine.route_candidates`). The shortest-by-length distance is there on
request (``shortest=True``: ``road_shortest_km``). Each point joins the nearest point of the nearest road edge
(a straight line between the edge's junctions) with a straight access leg, so two points on one road get their
separation along it. :func:`road_matrix` gives the same distance for every origin × target, and
:func:`road_nearest` the target nearest by it (the minimum of quickest-route lengths) without the full matrix.

Where a point lies beyond ``max_snap_m`` of the network (a regional extract; placements in Wales or Scotland),
the row falls back to the approximate national backbone (:mod:`distance.backbone`), and ``road_source`` says
which answered. Turn restrictions, time-of-day speeds and ferries are not modelled.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from distance._points import POINT_COLUMNS, points
from distance.backbone import backbone_distances
from distance.engine import cch_available, route_candidates, shortest_path_lengths
from distance.network import RoadNetwork, build_network, network_from_graph
from distance.profiles import DEFAULT_PROFILE, Profile, arc_times, get_profile
from distance.snapping import (
    SNAP_SAMPLE_M,
    EdgeSnap,
    nearest_sample_m,
    snap,
    snap_distinct,
    snap_to_edges,
    take_snaps,
)
from geo.crs import check_bng
from geo.errors import InputError, NetworkError

logger = logging.getLogger(__name__)

__all__ = ["road_distances", "road_matrix", "road_nearest", "within_reach", "NEAREST_K", "NEAREST_SLACK", "snap",
           "snap_to_edges", "EdgeSnap",
           "STATUSES", "SOURCES", "ACCESS_SPEED_KMH", "COLUMN_DOCS"]

STATUSES = ("ok", "off_network", "unreachable")
"""Values of ``road_status``: distance computed; an end lies farther than ``max_snap_m`` from any road (or
has no location) and no fallback answered; no route between the two points."""

SOURCES = ("network", "backbone", "none")
"""Values of ``road_source``: the distance comes from the OpenStreetMap network, from the approximate
backbone (the row fell back, or ``network="backbone"``), or there is none."""

ACCESS_SPEED_KMH = 25.0
"""Speed (km/h) for the straight access legs from a point to the nearest point of its road, in ``road_time_min``."""

COLUMN_DOCS: dict[str, str] = {
    "road_distance_km": "road distance in km: length of the quickest route (access legs included)",
    "road_time_min": "driving time in minutes of that quickest route, under the travel-time profile named in "
                     "the frame's attrs['road_profile']",
    "road_shortest_km": "road distance in km of the shortest-by-length route (only with shortest=True)",
    "road_status": "ok, off_network or unreachable",
    "road_source": "network (OpenStreetMap), backbone (approximate) or none",
    "road_method": "network, or the backbone's direct/backbone/capped; empty without a distance",
    "home_snap_m": "metres from the home point to the nearest point of the nearest road (straight access leg)",
    "pl_snap_m": "metres from the placement point to the nearest point of the nearest road",
}
"""What each column :func:`road_distances` adds holds (units, which distance)."""

_MOSTLY_FELL_BACK = 0.5


def road_distances(
    placements: pd.DataFrame,
    *,
    network: RoadNetwork | nx.MultiDiGraph | str | os.PathLike[str],
    max_snap_m: float = 2000.0,
    method: str = "auto",
    fallback: Literal["backbone"] | None = "backbone",
    profile: str | Profile = DEFAULT_PROFILE,
    shortest: bool = False,
) -> pd.DataFrame:
    """Add the quickest route's road distance (km) and its travel time (minutes) from home to placement.

    Parameters
    ----------
    placements
        Rows with ``home_easting``, ``home_northing``, ``pl_easting``, ``pl_northing`` (EPSG:27700 metres,
        NaN where a point is unknown), e.g. from ``provision.placements.locate``. Not modified.
    network
        A :class:`~distance.network.RoadNetwork` loaded once with :func:`~distance.network.build_network`
        (a projected osmnx graph or a network file path are also accepted), or the string ``"backbone"`` for
        England-wide approximate distances only (:func:`distance.backbone.backbone_distances`).
    max_snap_m
        Largest distance (metres) from a point to the nearest road; farther → the row falls back.
    method
        Engine choice passed to :func:`~distance.engine.route_candidates`.
    fallback
        ``"backbone"`` (default): a row with an end beyond ``max_snap_m`` gets the backbone's approximate
        distance instead, row by row; ``None``: it stays ``off_network`` with NaN.
    profile
        Travel-time profile (:data:`distance.profiles.PROFILES`: ``"typical"`` or ``"free-flow"``, or a
        :class:`~distance.profiles.Profile`). It decides the times and so which route is quickest.
    shortest
        Also compute ``road_shortest_km``, the shortest-by-length route (one more batch of queries).

    Returns
    -------
    pandas.DataFrame
        A copy of ``placements`` (same index) with the columns of :data:`COLUMN_DOCS`; ``attrs`` name the
        distance (``road_distance``) and the profile (``road_profile``).

        For network rows the route runs: straight access leg from the home point to the nearest point of the
        nearest road edge, along that edge (the part of it driven, in a direction it may be driven), the
        quickest network route, the part of the placement's edge, and the access leg to the placement. Two
        points on one edge get their separation along it. Access legs count at :data:`ACCESS_SPEED_KMH` in
        the time. Road distance is never less than the straight line between the two joining points. Rows
        without a distance get NaN, never 0 or infinity. A warning is logged when most located rows fell
        back (the network misses most placements).

    Raises
    ------
    MissingColumnsError
        A coordinate column is absent.
    InputError
        ``max_snap_m`` not positive, an unknown fallback or profile.
    NetworkError
        The network is empty or not a road network; :class:`~geo.errors.CRSError` if it is not in EPSG:27700.
    """
    he, hn, pe, pn = points(placements)
    _check_snap(max_snap_m)
    if fallback not in {"backbone", None}:
        raise InputError(f"fallback must be 'backbone' or None; got {fallback!r}")
    prof = get_profile(profile)
    if isinstance(network, str) and network == "backbone":
        out = backbone_distances(placements)
        answered = out["road_status"].isin(["ok", "same_node"]).to_numpy()
        out["road_source"] = pd.Categorical(np.where(answered, "backbone", "none"), categories=list(SOURCES))
        out.attrs.update(road_distance="approximate road distance over the national backbone (km)")
        return out
    net = _as_network(network)
    out = placements.copy()
    home = snap_distinct(he, hn, net)  # many children share a home point: each distinct point is snapped once
    place = snap_distinct(pe, pn, net)
    on = (home.snap_m <= max_snap_m) & (place.snap_m <= max_snap_m)  # NaN snaps (no location) compare False
    dist_m = np.full(len(out), np.nan)
    time_s = np.full(len(out), np.nan)
    short_m = np.full(len(out), np.nan)
    if on.any():
        rows = np.flatnonzero(on)
        times = arc_times(net, prof)
        dist_m[rows], time_s[rows] = _routes(net, home, place, rows, times, key=prof.key, method=method)
        access = home.snap_m[rows] + place.snap_m[rows]
        dist_m[rows] += access
        time_s[rows] += access / (ACCESS_SPEED_KMH / 3.6)
        if shortest:
            short_m[rows] = _shortest(net, home, place, rows, method=method) + access
    status = np.full(len(out), "off_network", dtype=object)
    status[on] = np.where(np.isnan(dist_m[on]), "unreachable", "ok")
    source = np.where(on & (status != "unreachable"), "network", "none").astype(object)
    method_col = np.where(source == "network", "network", "").astype(object)
    located = np.isfinite(he) & np.isfinite(hn) & np.isfinite(pe) & np.isfinite(pn)
    back = located & ~on
    if fallback == "backbone" and back.any():
        bb = backbone_distances(placements.loc[back, POINT_COLUMNS])
        answered = bb["road_status"].isin(["ok", "same_node"]).to_numpy()
        rows = np.flatnonzero(back)[answered]
        dist_m[rows] = bb["road_distance_km"].to_numpy()[answered] * 1000
        time_s[rows] = bb["road_time_min"].to_numpy()[answered] * 60
        short_m[rows] = dist_m[rows]
        status[rows] = "ok"
        source[rows] = "backbone"
        method_col[rows] = bb["road_method"].to_numpy()[answered]
    out["road_distance_km"] = dist_m / 1000.0
    out["road_time_min"] = time_s / 60.0
    if shortest:
        out["road_shortest_km"] = short_m / 1000.0
    out["road_status"] = pd.Categorical(status, categories=list(STATUSES))
    out["road_source"] = pd.Categorical(source, categories=list(SOURCES))
    out["road_method"] = method_col
    out["home_snap_m"] = home.snap_m
    out["pl_snap_m"] = place.snap_m
    out.attrs.update(road_distance="length of the quickest route (km)", road_profile=prof.name)
    counts = out["road_status"].value_counts().to_dict()
    logger.info("road distances (quickest route, %s profile) for %d placements: %s; source %s", prof.name,
                len(out), counts, out["road_source"].value_counts().to_dict())
    n_back = int((source == "backbone").sum())
    if n_back and n_back > _MOSTLY_FELL_BACK * max(int(located.sum()), 1):
        logger.warning("%d of %d located placements (%.0f%%) lie beyond %.0f m of the road network %s and fell back "
                       "to the approximate backbone: does the network cover the placements?", n_back,
                       int(located.sum()), 100 * n_back / max(int(located.sum()), 1), max_snap_m,
                       net.report.get("source", ""))
    if counts.get("off_network", 0):
        logger.warning("%d placement(s) have an end more than %.0f m from the road network%s (off_network)",
                       counts["off_network"], max_snap_m, " and from the backbone" if fallback else "")
    return out


def road_matrix(
    origins_xy: Any,
    targets_xy: Any,
    *,
    network: RoadNetwork | nx.MultiDiGraph | str | os.PathLike[str],
    profile: str | Profile = DEFAULT_PROFILE,
    max_snap_m: float = 2000.0,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Quickest-route length (metres) and time (seconds) from every origin to every target: a dense matrix.

    Each entry is what :func:`road_distances` reports for that pair (``road_distance_km`` × 1000 and
    ``road_time_min`` × 60, without the backbone fallback): the length and time of the quickest route under
    ``profile``, each point joined to the nearest point of the nearest road edge with its straight access leg
    (legs included; at :data:`ACCESS_SPEED_KMH` in the time); two points on one edge get their separation
    along it. Origins sharing a road edge are answered with one many-to-many engine call
    (:func:`distance.engine.route_candidates`).

    Parameters
    ----------
    origins_xy, targets_xy
        Points, shapes ``(n_origins, 2)`` and ``(n_targets, 2)``: easting, northing in EPSG:27700 metres
        (NaN where unknown). Either may be empty.
    network
        A :class:`~distance.network.RoadNetwork` (EPSG:27700), a projected osmnx graph or a network file.
    profile
        Travel-time profile (:data:`distance.profiles.PROFILES` or a :class:`~distance.profiles.Profile`): it
        decides which route is quickest.
    max_snap_m
        Largest distance (metres) from a point to the nearest road; a point farther away gets NaN.
    method
        Engine choice passed to :func:`~distance.engine.route_candidates`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Length in metres and time in seconds, float64, shape ``(n_origins, n_targets)``; NaN where either
        point is unknown or beyond ``max_snap_m`` of the network, or there is no route (never 0 or inf).

    Raises
    ------
    InputError
        Points not an ``(n, 2)`` array of numbers, ``max_snap_m`` not positive, an unknown profile.
    NetworkError
        The network is empty, not a road network or not in EPSG:27700.
    """
    org = _xy(origins_xy, "origins_xy")
    tgt = _xy(targets_xy, "targets_xy")
    _check_snap(max_snap_m)
    prof = get_profile(profile)
    net = _as_network(network)
    length = np.full((len(org), len(tgt)), np.nan)
    time_ = np.full((len(org), len(tgt)), np.nan)
    if len(org) == 0 or len(tgt) == 0:
        return length, time_
    o_pos, o_snap = _snap_within(org, net, max_snap_m)
    t_pos, t_snap = _snap_within(tgt, net, max_snap_m)
    n_o, n_t = o_snap.a.size, t_snap.a.size
    if n_o and n_t:
        times = arc_times(net, prof)
        dep, arr = _route_ends(net, o_snap, t_snap, times)
        method = _one_engine(method, dep)
        dist = np.empty((n_o, n_t))
        secs = np.empty((n_o, n_t))
        step = max(1, _PAIR_BLOCK // n_t)
        for first in range(0, n_o, step):
            rows = np.arange(first, min(first + step, n_o))
            i, j = np.repeat(rows, n_t), np.tile(np.arange(n_t), rows.size)
            d, t = _access_routes(net, dep, arr, i, j, times, key=prof.key, method=method)
            dist[rows], secs[rows] = d.reshape(rows.size, n_t), t.reshape(rows.size, n_t)
        r, c = np.flatnonzero(o_pos >= 0), np.flatnonzero(t_pos >= 0)
        length[np.ix_(r, c)] = dist[np.ix_(o_pos[r], t_pos[c])]
        time_[np.ix_(r, c)] = secs[np.ix_(o_pos[r], t_pos[c])]
    logger.info("road matrix (quickest route, %s profile): %d × %d points, %d × %d distinct on the network",
                prof.name, len(org), len(tgt), n_o, n_t)
    return length, time_


NEAREST_K = 8
"""Targets tried first for each point in :func:`road_nearest`: its nearest by straight line."""

NEAREST_SLACK = (0.02, 200.0)
"""(share, metres): :func:`road_nearest` also tries every target whose straight line is within the best route
length found plus this share of it plus these metres (a margin for the engine's rounding; see there)."""


def road_nearest(
    points_xy: Any,
    targets_xy: Any,
    *,
    network: RoadNetwork | nx.MultiDiGraph | str | os.PathLike[str],
    profile: str | Profile = DEFAULT_PROFILE,
    max_snap_m: float = 2000.0,
    k: int = NEAREST_K,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point, the target nearest by road: the minimum over targets of the quickest route's length.

    "Nearest by road" is the target whose **quickest** route (under ``profile``) is shortest in length: the
    minimum over targets of what :func:`road_distances` and :func:`road_matrix` report as the road distance,
    access legs included. The time returned is that route's time. Without computing the full matrix: each
    point tries its ``k`` nearest targets by straight line, then every target whose straight line is less
    than the best route length found (plus :data:`NEAREST_SLACK`), which no farther target can beat because a
    route is never shorter than the straight line between its ends.

    Parameters
    ----------
    points_xy, targets_xy
        Points, shapes ``(n_points, 2)`` and ``(n_targets, 2)``: easting, northing in EPSG:27700 metres (NaN
        where unknown). ``targets_xy`` must not be empty.
    network
        A :class:`~distance.network.RoadNetwork` (EPSG:27700), a projected osmnx graph or a network file.
    profile
        Travel-time profile (:data:`distance.profiles.PROFILES` or a :class:`~distance.profiles.Profile`).
    max_snap_m
        Largest distance (metres) from a point (or a target) to the nearest road; a target farther away is
        never the nearest, a point farther away gets NaN.
    k
        Targets tried first for each point (the nearest by straight line); any ``k`` gives the same answer.
    method
        Engine choice passed to :func:`~distance.engine.route_candidates`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Length (metres) and time (seconds) of the route to the nearest target, float64, and that target's row
        in ``targets_xy`` (int64; the first of equally near ones). NaN and -1 where the point is unknown or
        beyond ``max_snap_m`` of the network, where no target lies within ``max_snap_m`` of it (see
        :func:`within_reach`), or where no target can be reached.

    Raises
    ------
    InputError
        ``targets_xy`` empty, points not an ``(n, 2)`` array of numbers, ``k`` below 1, ``max_snap_m`` not
        positive, an unknown profile.
    NetworkError
        The network is empty, not a road network or not in EPSG:27700.
    """
    pts = _xy(points_xy, "points_xy")
    tgt = _xy(targets_xy, "targets_xy")
    if len(tgt) == 0:
        raise InputError("targets_xy is empty: the nearest by road needs at least one target point "
                         "(easting, northing in EPSG:27700 metres)")
    if int(k) != k or k < 1:
        raise InputError(f"k must be a whole number of targets, at least 1; got {k!r}")
    _check_snap(max_snap_m)
    prof = get_profile(profile)
    net = _as_network(network)
    length = np.full(len(pts), np.nan)
    time_ = np.full(len(pts), np.nan)
    index = np.full(len(pts), -1, np.int64)
    p_pos, p_snap = _snap_within(pts, net, max_snap_m)
    t_pos, t_snap = _snap_within(tgt, net, max_snap_m)
    n_p, n_t = p_snap.a.size, t_snap.a.size
    if n_t == 0:
        logger.warning("no target lies within %.0f m of the road network %s: no nearest by road", max_snap_m,
                       net.report.get("source", ""))
    if n_p == 0 or n_t == 0:
        return length, time_, index
    rows = np.flatnonzero(t_pos >= 0)
    slot_rows = rows[np.unique(t_pos[rows], return_index=True)[1]]  # each distinct target's first row
    p_first = np.flatnonzero(p_pos >= 0)
    p_xy = pts[p_first[np.unique(p_pos[p_first], return_index=True)[1]]]
    tree = cKDTree(tgt[slot_rows])
    times = arc_times(net, prof)
    dep, arr = _route_ends(net, p_snap, t_snap, times)
    method = _one_engine(method, dep)
    best_l = np.full(n_p, np.inf)
    best_t = np.full(n_p, np.nan)
    best_j = np.full(n_p, -1, np.int64)
    # Exactness. A route from point P to target Q runs: the straight leg from P to its joining point, a part of
    # P's edge (a fraction of an arc whose length is never less than the chord between its ends: the network
    # builders take max(length, chord)), arcs each no shorter than their chord, a part of Q's edge and the leg
    # to Q. That is a curve from P to Q, so its length >= |PQ| (triangle inequality). Hence a target whose
    # straight line exceeds the best route length found cannot be nearer, and the search stops at the first
    # straight-line distance beyond it. The engine sums lengths in units of 0.6 to 60 m per arc (by trip
    # length), rounded stochastically (unbiased, standard deviation below unit * sqrt(arcs) / 2: about 30 m on
    # a 20 km trip of 400 arcs, 340 m on a 100 km trip of 2,000), so a reported length can fall a little below
    # the true one: the search goes NEAREST_SLACK further (2% + 200 m: over six such deviations).
    share, metres = NEAREST_SLACK
    todo = np.arange(n_p)
    kk = min(int(k), n_t)
    last_d = np.full(n_p, -np.inf)  # straight-line distance of the farthest target tried so far
    while todo.size:
        d, jj = tree.query(p_xy[todo], k=kk, workers=-1)
        d, jj = d.reshape(todo.size, kk), jj.reshape(todo.size, kk)
        reach = np.where(np.isfinite(best_l[todo]), best_l[todo] * (1 + share) + metres, np.inf)
        # targets nearer than the last one tried were tried; equally near ones may not have been: ask again
        new = (d >= last_d[todo][:, None]) & (d <= reach[:, None])
        r, c = np.nonzero(new)
        for first in range(0, r.size, _PAIR_BLOCK):  # bounded working memory
            part = slice(first, first + _PAIR_BLOCK)
            i, j = todo[r[part]], jj[r[part], c[part]]
            dist, secs = _access_routes(net, dep, arr, i, j, times, key=prof.key, method=method)
            _keep_nearest(best_l, best_t, best_j, i, slot_rows[j], dist, secs)
        reach = np.where(np.isfinite(best_l[todo]), best_l[todo] * (1 + share) + metres, np.inf)
        last_d[todo] = d[:, -1]
        more = (d[:, -1] <= reach) & (kk < n_t)
        todo = todo[more]
        kk = min(4 * kk, n_t)
    found = np.isfinite(best_l)
    on = np.flatnonzero(p_pos >= 0)
    slot = p_pos[on]
    length[on] = np.where(found[slot], best_l[slot], np.nan)
    time_[on] = best_t[slot]
    index[on] = best_j[slot]
    logger.info("nearest of %d targets by road (quickest route, %s profile) for %d points (%d on the network)",
                len(tgt), prof.name, len(pts), on.size)
    return length, time_, index


def within_reach(points_xy: Any, *, network: RoadNetwork, max_snap_m: float = 2000.0) -> np.ndarray:
    """Tell which points (EPSG:27700 metres, ``(n, 2)``) lie within ``max_snap_m`` metres of a road edge.

    The test :func:`road_matrix` and :func:`road_nearest` apply: False for unknown (NaN) points.
    """
    pts = _xy(points_xy, "points_xy")
    _check_snap(max_snap_m)
    pos, _ = _snap_within(pts, _as_network(network), max_snap_m)
    out: np.ndarray = pos >= 0
    return out


def _least_arcs(network: RoadNetwork, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted node-pair keys (``tail * n_nodes + head``) and, for each, the arc of least ``weight``."""
    n = network.n_nodes
    order = np.lexsort((weight, network.head, network.tail))
    keys = network.tail[order] * n + network.head[order]
    first = np.ones(keys.size, bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], order[first]


def _directed_arcs(network: RoadNetwork, a: np.ndarray, b: np.ndarray, table: tuple[np.ndarray, np.ndarray]
                   ) -> np.ndarray:
    """For each node pair, the arc index ``a → b`` of least weight (``table`` from :func:`_least_arcs`), or -1."""
    keys, arcs = table
    want = a * network.n_nodes + b
    pos = np.searchsorted(keys, want).clip(0, max(keys.size - 1, 0))
    return np.where(keys[pos] == want, arcs[pos], -1)


@dataclass(frozen=True, eq=False)
class _Ends:
    """Where routes may leave (or reach) each snapped point: two candidate nodes and the edge part to each.

    ``nodes`` (n, 2), ``t`` / ``m`` (n, 2) the time (s) and length (m) of the part of the point's edge driven
    to (or from) each node, NaN where that direction may not be driven; ``fwd`` / ``bwd`` the arcs a→b and b→a
    of least weight (-1 where none); ``snap`` the points' :class:`EdgeSnap`.
    """

    snap: EdgeSnap
    nodes: np.ndarray
    t: np.ndarray
    m: np.ndarray
    fwd: np.ndarray
    bwd: np.ndarray


def _route_ends(network: RoadNetwork, leaving: EdgeSnap, arriving: EdgeSnap, weight: np.ndarray
                ) -> tuple[_Ends, _Ends]:
    """:func:`_ends` of the departure and the arrival points, the arcs chosen (and timed) by ``weight``."""
    table = _least_arcs(network, weight)  # one sort of the arcs for both
    return (_ends(network, leaving, weight, table, arrive=False),
            _ends(network, arriving, weight, table, arrive=True))


def _ends(network: RoadNetwork, snapped: EdgeSnap, weight: np.ndarray, table: tuple[np.ndarray, np.ndarray], *,
          arrive: bool) -> _Ends:
    """Candidate nodes and edge parts of each point, the arcs chosen (and timed) by ``weight``.

    Leaving (``arrive=False``): along a→b to b (the part ``1 - fraction``) or along b→a to a (``fraction``).
    Arriving: from a along a→b (``fraction``) or from b along b→a (``1 - fraction``).
    """
    a, b, f = snapped.a, snapped.b, snapped.fraction
    fwd = _directed_arcs(network, a, b, table)
    bwd = _directed_arcs(network, b, a, table)
    if arrive:
        nodes, to_fwd, to_bwd = np.c_[a, b], f, 1.0 - f
    else:
        nodes, to_fwd, to_bwd = np.c_[b, a], 1.0 - f, f
    length = network.length_m
    return _Ends(snap=snapped, nodes=nodes, fwd=fwd, bwd=bwd,
                 t=np.c_[_part(weight, fwd, to_fwd), _part(weight, bwd, to_bwd)],
                 m=np.c_[_part(length, fwd, to_fwd), _part(length, bwd, to_bwd)])


def _pair_routes(net: RoadNetwork, dep: _Ends, arr: _Ends, i: np.ndarray, j: np.ndarray, times: np.ndarray, *,
                 key: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Quickest (length m, time s) from joining point ``dep[i]`` to ``arr[j]`` along edges and the network.

    Access legs are not included. ``dep`` and ``arr`` come from :func:`_ends` with the arcs chosen by ``times``.
    NaN where no route exists.
    """
    length = net.length_m
    net_l, net_t = route_candidates(net, dep.nodes[i], arr.nodes[j], times=times, key=key,
                                    method=method)  # type: ignore[arg-type]
    total_t = dep.t[i][:, :, None] + net_t + arr.t[j][:, None, :]
    total_l = dep.m[i][:, :, None] + net_l + arr.m[j][:, None, :]
    total_t = np.where(np.isnan(total_t), np.inf, total_t).reshape(i.size, 4)
    total_l = total_l.reshape(i.size, 4)
    # the same edge: straight along it, if that direction may be driven
    same_t, same_l = _same_edge(dep, arr, i, j, times, length)
    total_t = np.c_[total_t, same_t]
    total_l = np.c_[total_l, same_l]
    best = np.argmin(total_t + 1e-9 * np.nan_to_num(total_l, nan=0.0), axis=1)  # quickest; shorter on a tie
    pick_t = total_t[np.arange(i.size), best]
    pick_l = total_l[np.arange(i.size), best]
    reached = np.isfinite(pick_t)
    return np.where(reached, pick_l, np.nan), np.where(reached, pick_t, np.nan)


def _routes(net: RoadNetwork, home: EdgeSnap, place: EdgeSnap, rows: np.ndarray, times: np.ndarray, *, key: str,
            method: str) -> tuple[np.ndarray, np.ndarray]:
    """Quickest (length m, time s) between the joining points of ``rows`` along edges and the network."""
    dep, arr = _route_ends(net, take_snaps(home, rows), take_snaps(place, rows), times)
    pair = np.arange(rows.size)
    return _pair_routes(net, dep, arr, pair, pair, times, key=key, method=method)


def _part(values: np.ndarray, arc: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Return ``fraction`` of each arc's value; NaN where the arc does not exist (cannot be driven that way).

    A point at the node itself (fraction 0) needs no driving at all, whichever way the edge runs.
    """
    return np.where(arc >= 0, fraction * values[np.maximum(arc, 0)], np.where(fraction == 0, 0.0, np.nan))


def _same_edge(dep: _Ends, arr: _Ends, i: np.ndarray, j: np.ndarray, times: np.ndarray, length: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Time and length straight along a shared edge (inf / NaN where the edges differ or it is one-way against)."""
    home, place = dep.snap, arr.snap
    fwd, bwd = dep.fwd[i], dep.bwd[i]
    same = (home.a[i] == place.a[j]) & (home.b[i] == place.b[j])
    delta = place.fraction[j] - home.fraction[i]
    use_fwd = same & (delta >= 0) & (fwd >= 0)
    use_bwd = same & (delta <= 0) & (bwd >= 0)
    arc = np.where(use_fwd, fwd, np.where(use_bwd, bwd, -1))
    frac = np.abs(delta)
    t = np.where(arc >= 0, frac * times[np.maximum(arc, 0)], np.inf)
    ln = np.where(arc >= 0, frac * length[np.maximum(arc, 0)], np.nan)
    return t, ln


def _shortest(net: RoadNetwork, home: EdgeSnap, place: EdgeSnap, rows: np.ndarray, *, method: str) -> np.ndarray:
    """Shortest-by-length distance (metres) between the joining points of ``rows``, access legs excluded."""
    length = net.length_m
    dep, arr = _route_ends(net, take_snaps(home, rows), take_snaps(place, rows), length)
    total = np.empty((rows.size, 5))
    for i in range(2):
        for j in range(2):
            mid = shortest_path_lengths(net, dep.nodes[:, i], arr.nodes[:, j], weight="length",
                                        method=method)  # type: ignore[arg-type]
            total[:, 2 * i + j] = dep.m[:, i] + mid + arr.m[:, j]
    pair = np.arange(rows.size)
    _, total[:, 4] = _same_edge(dep, arr, pair, pair, length, length)
    total = np.where(np.isnan(total), np.inf, total)
    best = total.min(axis=1)
    return np.where(np.isfinite(best), best, np.nan)


def _as_network(network: Any) -> RoadNetwork:
    if isinstance(network, RoadNetwork):
        net = network
    elif isinstance(network, nx.Graph):
        check_bng(network, name="road network graph")
        net = network_from_graph(network, source="graph")
    elif isinstance(network, (str, os.PathLike)):
        net = build_network(network)
    else:
        raise InputError(f"network must be a RoadNetwork, an osmnx graph or a file path; got {type(network).__name__}")
    if net.n_nodes == 0 or net.n_arcs == 0:
        raise NetworkError("the road network is empty (no nodes or no arcs)")
    if net.crs != "EPSG:27700":
        raise NetworkError(f"the road network is in {net.crs}; expected EPSG:27700")
    return net


_PAIR_BLOCK = 262_144  # pairs per engine batch of road_matrix and road_nearest (bounds their working memory)
_FEW_ORIGINS = 4  # distinct departure nodes at which route_candidates' "auto" takes scipy's Dijkstra


def _xy(values: Any, name: str) -> np.ndarray:
    """Return an ``(n, 2)`` float array of points, or raise a one-line error naming the argument."""
    try:
        arr = np.asarray(values, float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be an (n, 2) array of easting, northing numbers (EPSG:27700 metres): "
                         f"{exc}") from exc
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{name} must be an (n, 2) array of easting, northing (EPSG:27700 metres); got shape "
                         f"{arr.shape}")
    return arr


def _check_snap(max_snap_m: float) -> None:
    if not max_snap_m > 0:
        raise InputError(f"max_snap_m must be a positive number of metres; got {max_snap_m!r}")


def _snap_within(pts: np.ndarray, network: RoadNetwork, max_snap_m: float) -> tuple[np.ndarray, EdgeSnap]:
    """Snap each distinct located point once: (its entry in the snap, -1 if unknown or beyond reach; the snap).

    Every point of an edge lies within half a sample spacing of one of the edge's samples (spaced at most
    :data:`SNAP_SAMPLE_M` apart, ends included), so a point whose nearest sample is farther than ``max_snap_m``
    plus half a spacing is farther than ``max_snap_m`` from every edge: it is not snapped at all.
    """
    pos = np.full(len(pts), -1, np.int64)
    located = np.flatnonzero(np.isfinite(pts).all(axis=1))
    uniq, inverse = np.unique(pts[located, 0] + 1j * pts[located, 1], return_inverse=True)
    cand = np.c_[uniq.real, uniq.imag]
    near = np.zeros(len(cand), bool)
    if len(cand):
        near = nearest_sample_m(cand, network) <= max_snap_m + SNAP_SAMPLE_M / 2
    snapped = snap_to_edges(cand[near], network=network)
    within = np.flatnonzero(snapped.snap_m <= max_snap_m)
    slot = np.full(len(cand), -1, np.int64)
    slot[np.flatnonzero(near)[within]] = np.arange(within.size)
    pos[located] = slot[inverse.ravel()]
    return pos, take_snaps(snapped, within)


def _one_engine(method: str, dep: _Ends) -> str:
    """Resolve ``"auto"`` once for a whole call, so every batch uses the same engine (and the same rounding).

    As :func:`~distance.engine.route_candidates` would for all the call's origins at once: scipy's Dijkstra
    for a handful of distinct departure nodes (or without ``pyroutingkit``), else the CCH.
    """
    if method != "auto":
        return method
    few = np.unique(dep.nodes).size <= _FEW_ORIGINS
    return "scipy" if few or not cch_available() else "cch"


def _access_routes(net: RoadNetwork, dep: _Ends, arr: _Ends, i: np.ndarray, j: np.ndarray, times: np.ndarray, *,
                   key: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pair_routes` with both access legs added (length m, time s at :data:`ACCESS_SPEED_KMH`)."""
    dist, secs = _pair_routes(net, dep, arr, i, j, times, key=key, method=method)
    access = dep.snap.snap_m[i] + arr.snap.snap_m[j]
    return dist + access, secs + access / (ACCESS_SPEED_KMH / 3.6)


def _keep_nearest(best_l: np.ndarray, best_t: np.ndarray, best_j: np.ndarray, i: np.ndarray, j: np.ndarray,
                  dist: np.ndarray, secs: np.ndarray) -> None:
    """Update, in place, each point's shortest route (then lowest target row) with the pairs ``i → j``."""
    ok = np.isfinite(dist)
    i, j, dist, secs = i[ok], j[ok], dist[ok], secs[ok]
    order = np.lexsort((j, dist, i))
    first = np.ones(order.size, bool)
    first[1:] = i[order][1:] != i[order][:-1]
    pick = order[first]
    pi, pj, pl, pt = i[pick], j[pick], dist[pick], secs[pick]
    better = (pl < best_l[pi]) | ((pl == best_l[pi]) & (pj < best_j[pi]))
    pi, pj, pl, pt = pi[better], pj[better], pl[better], pt[better]
    best_l[pi], best_t[pi], best_j[pi] = pl, pt, pj
