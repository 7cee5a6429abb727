"""Road distance and travel time for every placement: snap both ends to the network, one batch of paths."""

from __future__ import annotations

import logging
import os
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from distance.engine import shortest_path_lengths
from distance.network import RoadNetwork, build_network, network_from_graph
from geo.crs import check_bng
from geo.errors import InputError, MissingColumnsError, NetworkError

logger = logging.getLogger(__name__)

__all__ = ["road_distances", "snap", "STATUSES", "ACCESS_SPEED_KMH"]

STATUSES = ("ok", "off_network", "unreachable", "same_node")
"""Values of ``road_status``: distance computed; an end lies farther than ``max_snap_m`` from any network
node (or has no location); no route between the two nodes; both ends snap to the same node."""

ACCESS_SPEED_KMH = 25.0
"""Speed (km/h) for the straight access legs from a point to its snapped node, in ``road_time_min``."""

_COLUMNS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]


def road_distances(
    placements: pd.DataFrame,
    *,
    network: RoadNetwork | nx.MultiDiGraph | str | os.PathLike[str],
    max_snap_m: float = 2000.0,
    method: str = "auto",
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
        string ``"backbone"`` for England-wide approximate distances (:func:`distance.backbone.backbone_distances`,
        which adds ``road_method`` and ignores ``max_snap_m``).
    max_snap_m
        Largest distance (metres) from a point to its nearest network node; farther → ``off_network``.
    method
        Engine choice passed to :func:`~distance.engine.shortest_path_lengths`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``placements`` (same index) with ``road_distance_km``, ``road_time_min``,
        ``road_status`` (one of :data:`STATUSES`), ``home_snap_m`` and ``pl_snap_m``.

        For ``ok`` rows the distance is *access leg + shortest network path + access leg*: the legs are the
        straight lines from each point to its snapped node (so road distance ≥ straight-line distance), and
        they add time at :data:`ACCESS_SPEED_KMH`. The time is that of the fastest route, which may differ
        from the shortest one. ``same_node`` rows get the straight-line distance and no time (the network
        cannot resolve them). ``off_network`` and ``unreachable`` rows get NaN, never 0 or infinity.

    Raises
    ------
    MissingColumnsError
        A coordinate column is absent.
    NetworkError
        The network is empty or not a road network; :class:`~geo.errors.CRSError` if it is not in EPSG:27700.
    """
    missing = [c for c in _COLUMNS if c not in placements.columns]
    if missing:
        raise MissingColumnsError("placements", missing, list(placements.columns))
    if not max_snap_m > 0:
        raise InputError(f"max_snap_m must be a positive number of metres; got {max_snap_m!r}")
    if isinstance(network, str) and network == "backbone":
        from distance.backbone import backbone_distances

        return backbone_distances(placements)
    net = _as_network(network)
    out = placements.copy()
    he, hn, pe, pn = (pd.to_numeric(out[c], errors="coerce").to_numpy(float) for c in _COLUMNS)
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
    out["road_distance_km"] = dist_m / 1000.0
    out["road_time_min"] = time_s / 60.0
    out["road_status"] = pd.Categorical(status, categories=list(STATUSES))
    out["home_snap_m"] = h_snap
    out["pl_snap_m"] = p_snap
    counts = out["road_status"].value_counts().to_dict()
    logger.info("road distances for %d placements: %s", len(out), counts)
    if counts.get("off_network", 0):
        logger.warning("%d placement(s) have an end more than %.0f m from the road network (off_network)",
                       counts["off_network"], max_snap_m)
    return out


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
