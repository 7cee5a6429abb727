"""Road distance and travel time for every placement: snap both ends to the network, one batch of paths.

Where a point lies beyond ``max_snap_m`` of the network (a regional extract; placements in Wales or Scotland),
the row falls back to the approximate national backbone (:mod:`distance.backbone`), and ``road_source`` says
which answered. Neither models turn restrictions, time-of-day speeds or ferries: times are free-flow.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from distance._points import POINT_COLUMNS, points
from distance.backbone import backbone_distances
from distance.engine import shortest_path_lengths
from distance.network import RoadNetwork, build_network, network_from_graph
from geo.crs import check_bng
from geo.errors import InputError, NetworkError

logger = logging.getLogger(__name__)

__all__ = ["road_distances", "snap", "road_source_summary", "backbone_agreement", "STATUSES", "SOURCES",
           "ACCESS_SPEED_KMH"]

STATUSES = ("ok", "off_network", "unreachable", "same_node")
"""Values of ``road_status``: distance computed; an end lies farther than ``max_snap_m`` from any network
node (or has no location) and no fallback answered; no route between the two nodes; both ends snap to the
same node."""

SOURCES = ("network", "backbone", "none")
"""Values of ``road_source``: the distance comes from the OpenStreetMap network, from the approximate
backbone (the row fell back, or ``network="backbone"``), or there is none."""

ACCESS_SPEED_KMH = 25.0
"""Speed (km/h) for the straight access legs from a point to its snapped node, in ``road_time_min``."""

_MOSTLY_FELL_BACK = 0.5


def road_distances(
    placements: pd.DataFrame,
    *,
    network: RoadNetwork | nx.MultiDiGraph | str | os.PathLike[str],
    max_snap_m: float = 2000.0,
    method: str = "auto",
    fallback: Literal["backbone"] | None = "backbone",
) -> pd.DataFrame:
    """Add road distance (km) and free-flow travel time (minutes) from home to placement.

    Parameters
    ----------
    placements
        Rows with ``home_easting``, ``home_northing``, ``pl_easting``, ``pl_northing`` (EPSG:27700 metres,
        NaN where a point is unknown), e.g. from ``provision.placements.locate``. Not modified.
    network
        A :class:`~distance.network.RoadNetwork`, a projected osmnx graph (``crs`` EPSG:27700), or a path to a
        network file or OSM extract (built with :func:`~distance.network.build_network`, cached), or the
        string ``"backbone"`` for England-wide approximate distances only
        (:func:`distance.backbone.backbone_distances`).
    max_snap_m
        Largest distance (metres) from a point to its nearest network node; farther → the row falls back.
    method
        Engine choice passed to :func:`~distance.engine.shortest_path_lengths`.
    fallback
        ``"backbone"`` (default): a row with an end beyond ``max_snap_m`` gets the backbone's approximate
        distance instead, row by row; ``None``: it stays ``off_network`` with NaN.

    Returns
    -------
    pandas.DataFrame
        A copy of ``placements`` (same index) with ``road_distance_km``, ``road_time_min``,
        ``road_status`` (one of :data:`STATUSES`), ``road_source`` (one of :data:`SOURCES`), ``road_method``
        (``network``, or the backbone's ``direct``/``backbone``/``capped``; empty without a distance),
        ``home_snap_m`` and ``pl_snap_m``.

        For network rows the distance is *access leg + shortest network path + access leg*: the legs are the
        straight lines from each point to its snapped node (so road distance ≥ straight-line distance), and
        they add time at :data:`ACCESS_SPEED_KMH`. The time is that of the fastest route, which may differ
        from the shortest one. ``same_node`` rows get the straight-line distance and no time (the network
        cannot resolve them). Rows without a distance get NaN, never 0 or infinity. A warning is logged when
        most located rows fell back (the network misses most placements).

    Raises
    ------
    MissingColumnsError
        A coordinate column is absent.
    NetworkError
        The network is empty or not a road network; :class:`~geo.errors.CRSError` if it is not in EPSG:27700.
    """
    he, hn, pe, pn = points(placements)
    if not max_snap_m > 0:
        raise InputError(f"max_snap_m must be a positive number of metres; got {max_snap_m!r}")
    if fallback not in {"backbone", None}:
        raise InputError(f"fallback must be 'backbone' or None; got {fallback!r}")
    if isinstance(network, str) and network == "backbone":
        out = backbone_distances(placements)
        answered = out["road_status"].isin(["ok", "same_node"]).to_numpy()
        out["road_source"] = pd.Categorical(np.where(answered, "backbone", "none"), categories=list(SOURCES))
        return out
    net = _as_network(network)
    out = placements.copy()
    h_node, h_snap = snap(np.c_[he, hn], network=net)
    p_node, p_snap = snap(np.c_[pe, pn], network=net)
    straight = np.hypot(pe - he, pn - hn)
    on = (h_snap <= max_snap_m) & (p_snap <= max_snap_m)  # NaN snaps (no location) compare False
    same = on & (h_node == p_node)
    todo = on & ~same
    dist_m = np.full(len(out), np.nan)
    time_s = np.full(len(out), np.nan)
    if todo.any():
        o, d = h_node[todo], p_node[todo]
        net_m = shortest_path_lengths(net, o, d, weight="length", method=method)  # type: ignore[arg-type]
        net_s = shortest_path_lengths(net, o, d, weight="travel_time", method=method)  # type: ignore[arg-type]
        legs = h_snap[todo] + p_snap[todo]
        dist_m[todo] = net_m + legs
        time_s[todo] = net_s + legs / (ACCESS_SPEED_KMH / 3.6)
    dist_m[same] = straight[same]
    status = np.full(len(out), "off_network", dtype=object)
    status[same] = "same_node"
    status[todo] = np.where(np.isnan(dist_m[todo]), "unreachable", "ok")
    source = np.where(on & (status != "unreachable"), "network", "none").astype(object)
    method_col = np.where(source == "network", "network", "").astype(object)
    located = np.isfinite(straight)
    back = located & ~on
    if fallback == "backbone" and back.any():
        bb = backbone_distances(placements.loc[back, POINT_COLUMNS])
        answered = bb["road_status"].isin(["ok", "same_node"]).to_numpy()
        rows = np.flatnonzero(back)[answered]
        dist_m[rows] = bb["road_distance_km"].to_numpy()[answered] * 1000
        time_s[rows] = bb["road_time_min"].to_numpy()[answered] * 60
        status[rows] = bb["road_status"].astype(str).to_numpy()[answered]
        source[rows] = "backbone"
        method_col[rows] = bb["road_method"].to_numpy()[answered]
    out["road_distance_km"] = dist_m / 1000.0
    out["road_time_min"] = time_s / 60.0
    out["road_status"] = pd.Categorical(status, categories=list(STATUSES))
    out["road_source"] = pd.Categorical(source, categories=list(SOURCES))
    out["road_method"] = method_col
    out["home_snap_m"] = h_snap
    out["pl_snap_m"] = p_snap
    counts = out["road_status"].value_counts().to_dict()
    logger.info("road distances for %d placements: %s; source %s", len(out), counts,
                out["road_source"].value_counts().to_dict())
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


def snap(points: Any, *, network: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node to each point (BNG metres) and its distance in metres.

    Rows with a NaN coordinate get node -1 and distance NaN. Uses a KD-tree built once per network.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    tree = network._cache.get("kdtree")
    if tree is None:
        tree = network._cache["kdtree"] = cKDTree(np.c_[network.x, network.y])
    node = np.full(len(pts), -1, np.int64)
    dist = np.full(len(pts), np.nan)
    ok = np.isfinite(pts).all(axis=1)
    if ok.any():
        dd, ii = tree.query(pts[ok])
        node[ok], dist[ok] = ii, dd
    return node, dist


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
