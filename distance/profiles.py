"""Travel-time profiles: named rules that turn a road network's arcs into driving times (seconds).

A profile caps each arc's free-flow speed (the tagged ``maxspeed``, else the class default of
:data:`distance.osm.UK_DEFAULT_SPEEDS_KMH`) at a typical speed for its road class and setting (urban or
rural), and adds a delay for each traffic signal passed and for each junction reached. Two profiles ship:

* ``"typical"`` (the default): typical weekday speeds. Urban main roads average about 20–25 mph and
  rural ones 40–45 mph; each traffic signal adds 12 s and each junction reached on a road below trunk
  class 3 s (give way, turning, crossing traffic: the network has no turn-by-turn model, so this is an
  average). On the real extracts in the data mirror its times on A roads come to an average speed close to
  the published average on local A roads (DfT, CGN0501: about 25 mph on weekdays, see the README).
* ``"free-flow"``: the speed limit on every road, no delays — the quickest a drive can be, as before.

A setting is **urban** where the tagged speed limit is 40 mph or less, or where the arc runs through a
dense street network: at least :data:`URBAN_JUNCTIONS` junctions within :data:`URBAN_RADIUS_M` metres of
its midpoint (EPSG:27700). Everything else is rural.

:func:`make_profile` builds another from a named base with changed speeds or delays; :func:`arc_times`
applies one to a :class:`~distance.network.RoadNetwork`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from distance.network import ROAD_CLASSES, RoadNetwork
from geo.errors import InputError

__all__ = ["Profile", "PROFILES", "DEFAULT_PROFILE", "URBAN_JUNCTIONS", "URBAN_RADIUS_M", "URBAN_MAX_LIMIT_KMH",
           "get_profile", "make_profile", "arc_times", "urban_arcs"]

URBAN_RADIUS_M = 500.0
"""Radius (metres, EPSG:27700) around an arc's midpoint in which junctions are counted for its setting."""

URBAN_JUNCTIONS = 25
"""Junctions (nodes where three or more roads meet) within :data:`URBAN_RADIUS_M` that make a setting urban."""

URBAN_MAX_LIMIT_KMH = 65.0
"""A tagged speed limit at or below this (40 mph = 64.4 km/h) marks the arc as urban."""

_MOTORWAY_LIKE = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


@dataclass(frozen=True)
class Profile:
    """A named travel-time rule (see the module docstring).

    Attributes
    ----------
    name, description
        How outputs and ``--help`` name it.
    urban_kmh, rural_kmh
        Typical speed (km/h) by OSM ``highway`` class in each setting; an arc goes at the lower of this and
        its free-flow speed. Empty: free-flow speeds everywhere. A class that is missing keeps its free-flow
        speed.
    signal_s
        Seconds added for each traffic signal passed (``highway=traffic_signals`` nodes).
    junction_s
        Seconds added each time an arc below trunk class arrives at a junction (three or more roads).
    """

    name: str
    description: str
    urban_kmh: Mapping[str, float] = field(default_factory=dict)
    rural_kmh: Mapping[str, float] = field(default_factory=dict)
    signal_s: float = 0.0
    junction_s: float = 0.0

    def __post_init__(self) -> None:
        for label, table in (("urban", self.urban_kmh), ("rural", self.rural_kmh)):
            for cls, kmh in table.items():
                if cls not in ROAD_CLASSES:
                    raise InputError(f"profile {self.name!r}: {label} speed for {cls!r}, which is not a drivable "
                                     f"road class ({', '.join(ROAD_CLASSES)})")
                if not (isinstance(kmh, (int, float)) and np.isfinite(kmh) and kmh > 0):
                    raise InputError(f"profile {self.name!r}: {label} speed for {cls} is {kmh!r}; speeds must be "
                                     "positive numbers of km/h")
        for label, value in (("signal_s", self.signal_s), ("junction_s", self.junction_s)):
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value >= 0):
                raise InputError(f"profile {self.name!r}: {label} is {value!r}; delays must be seconds >= 0")
        object.__setattr__(self, "urban_kmh", MappingProxyType(dict(self.urban_kmh)))
        object.__setattr__(self, "rural_kmh", MappingProxyType(dict(self.rural_kmh)))

    @property
    def key(self) -> str:
        """A string that changes whenever the rule does (engine caches are keyed by it)."""
        return repr((self.name, sorted(self.urban_kmh.items()), sorted(self.rural_kmh.items()), self.signal_s,
                     self.junction_s))


_TYPICAL = Profile(
    name="typical",
    description="typical weekday speeds by road class, urban or rural, with delays at traffic signals and "
                "junctions",
    urban_kmh={"motorway": 90, "motorway_link": 50, "trunk": 50, "trunk_link": 40, "primary": 38,
               "primary_link": 32, "secondary": 34, "secondary_link": 30, "tertiary": 32, "tertiary_link": 28,
               "unclassified": 30, "road": 28, "residential": 26, "living_street": 12},
    rural_kmh={"motorway": 105, "motorway_link": 60, "trunk": 85, "trunk_link": 55, "primary": 72,
               "primary_link": 50, "secondary": 64, "secondary_link": 45, "tertiary": 58, "tertiary_link": 45,
               "unclassified": 48, "road": 45, "residential": 35, "living_street": 15},
    signal_s=12.0,
    junction_s=3.0,
)
_FREE_FLOW = Profile(name="free-flow", description="the speed limit (tagged maxspeed, else the class default) on "
                     "every road; no delays")

PROFILES: Mapping[str, Profile] = MappingProxyType({p.name: p for p in (_TYPICAL, _FREE_FLOW)})
"""The named profiles: ``"typical"`` (default) and ``"free-flow"``."""

DEFAULT_PROFILE = "typical"
"""The profile used when none is named."""


def get_profile(profile: str | Profile) -> Profile:
    """Return the named profile (or the profile itself); raise :class:`InputError` for an unknown name."""
    if isinstance(profile, Profile):
        return profile
    if profile not in PROFILES:
        raise InputError(f"unknown travel-time profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return PROFILES[profile]


def make_profile(base: str, *, name: str, **changes: Any) -> Profile:
    """Return a new profile: a named ``base`` with some fields changed (speed tables are merged by class).

    Example: ``make_profile("typical", name="slow-towns", urban_kmh={"primary": 30}, signal_s=20)``.
    """
    start = get_profile(base)
    for table in ("urban_kmh", "rural_kmh"):
        if table in changes:
            changes[table] = {**start.__getattribute__(table), **changes[table]}
    unknown = set(changes) - {"description", "urban_kmh", "rural_kmh", "signal_s", "junction_s"}
    if unknown:
        raise InputError(f"make_profile: unknown field(s) {sorted(unknown)}; expected description, urban_kmh, "
                         "rural_kmh, signal_s, junction_s")
    return replace(start, name=name, **changes)


def urban_arcs(network: RoadNetwork) -> np.ndarray:
    """Boolean per arc: urban setting (tagged limit <= 40 mph, or a dense junction network around it).

    Junctions are nodes with three or more distinct neighbours; they are counted within
    :data:`URBAN_RADIUS_M` metres (EPSG:27700) of the arc's midpoint (a straight line between its ends).
    Cached on the network.
    """
    if "urban" not in network._cache:
        ends = np.r_[network.tail, network.head]
        other = np.r_[network.head, network.tail]
        pairs = np.unique(ends.astype(np.int64) * network.n_nodes + other)
        degree = np.bincount(pairs // network.n_nodes, minlength=network.n_nodes)
        junction = degree >= 3
        tree = cKDTree(np.c_[network.x[junction], network.y[junction]])
        mid = np.c_[(network.x[network.tail] + network.x[network.head]) / 2,
                    (network.y[network.tail] + network.y[network.head]) / 2]
        dense = tree.query_ball_point(mid, URBAN_RADIUS_M, return_length=True) >= URBAN_JUNCTIONS
        limit = network.maxspeed_kmh
        network._cache["urban"] = dense | (np.isfinite(limit) & (limit <= URBAN_MAX_LIMIT_KMH))
        network._cache["junction"] = junction
    result: np.ndarray = network._cache["urban"]
    return result


def arc_times(network: RoadNetwork, profile: str | Profile = DEFAULT_PROFILE) -> np.ndarray:
    """Travel time (seconds) of every arc of ``network`` under ``profile`` (see the module docstring).

    ``free-flow`` returns the network's own ``time_s``. Cached on the network by the profile's key.

    Raises
    ------
    InputError
        An unknown profile name.
    """
    prof = get_profile(profile)
    key = f"arc_times:{prof.key}"
    if key in network._cache:
        cached: np.ndarray = network._cache[key]
        return cached
    times = network.time_s.copy()
    if prof.urban_kmh or prof.rural_kmh:
        urban = urban_arcs(network)
        cap = np.full(network.n_arcs, np.inf)
        known = network.road_class >= 0
        for table, where in ((prof.urban_kmh, urban), (prof.rural_kmh, ~urban)):
            lookup = np.array([table.get(c, np.inf) for c in ROAD_CLASSES])
            sel = known & where
            cap[sel] = lookup[network.road_class[sel]]
        times = np.maximum(times, network.length_m / (cap / 3.6))
    if prof.signal_s:
        times = times + prof.signal_s * network.signals
    if prof.junction_s:
        urban_arcs(network)
        motorway_like = np.isin(network.road_class, [ROAD_CLASSES.index(c) for c in _MOTORWAY_LIKE])
        times = times + prof.junction_s * (network._cache["junction"][network.head] & ~motorway_like)
    network._cache[key] = times
    return times
