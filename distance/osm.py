"""Streaming drive-network reader for large OpenStreetMap ``.osm.pbf`` files: pyosmium passes into numpy arrays.

England's extract (~1.4 GB, well over 100 million nodes, ~20 million of them on drivable roads) never goes
through networkx or osmnx here. Two passes over the file, each filtered in libosmium's C++ so objects that are
not needed never reach Python:

1. **ways** — only ways whose ``highway`` tag is a drivable class (:data:`DRIVE_HIGHWAYS`) reach Python
   (``osmium.filter.TagFilter``); access rules, one-way and ``maxspeed`` are parsed into small per-way arrays
   and the node ids appended to one int64 array;
2. **nodes** — ``osmium.filter.IdFilter`` passes only the nodes those ways use to a libosmium OPL writer
   (no Python object per node), and the text is parsed by pandas' C reader. Measured on a SYNTHETIC file:
   about 1 µs a node against 6–7 µs for iterating pyosmium node objects.

Then, all in numpy/scipy: segments between consecutive way nodes (length = great-circle metres, never less
than the EPSG:27700 grid chord), degree-2 chains merged (osmnx's rule: a node is kept where it has not exactly
two neighbours with two or four arcs, or lacks an incoming or outgoing arc), the largest strongly connected
component (``scipy.sparse.csgraph.connected_components``), coordinates projected to EPSG:27700 with one
vectorised pyproj call (:func:`geo.crs.wgs84_to_bng`).
"""

from __future__ import annotations

import logging
import re
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.crs import wgs84_to_bng
from geo.errors import NetworkError

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVE_HIGHWAYS", "ROAD_CLASSES", "UK_DEFAULT_SPEEDS_KMH", "FALLBACK_SPEED_KMH", "ProgressCallback",
    "StreamedGraph", "is_drivable", "oneway_direction", "parse_maxspeed", "read_pbf",
]

DRIVE_HIGHWAYS: frozenset[str] = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "road", "motorway_link", "trunk_link", "primary_link", "secondary_link",
    "tertiary_link",
})
"""OSM ``highway`` values kept for a car network (service roads, tracks and paths are left out)."""

UK_DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 112.0, "motorway_link": 64.0,     # 70 mph national limit; slip roads ~40 mph
    "trunk": 96.0, "trunk_link": 56.0,            # 60 mph single-carriageway limit
    "primary": 80.0, "primary_link": 48.0,        # ~50 mph typical A-road
    "secondary": 64.0, "secondary_link": 40.0,    # ~40 mph B-road
    "tertiary": 56.0, "tertiary_link": 40.0,
    "unclassified": 48.0, "road": 48.0,           # 30 mph
    "residential": 40.0, "living_street": 16.0,   # 25 mph / 10 mph
}
"""Speeds (km/h) given to ways of a road class that have no usable ``maxspeed`` tag. Tagged speeds win.

UK national speed limits (70/60 mph) for motorways and trunk roads, and typical free-flow speeds below that,
so travel times are free-flow estimates.
"""

FALLBACK_SPEED_KMH = 48.0
"""Speed for a way whose class has no entry in :data:`UK_DEFAULT_SPEEDS_KMH`."""

ProgressCallback = Callable[[str, int], None]
"""``progress(stage, count)``: ``stage`` is ``"ways"`` (drivable ways read so far) or ``"nodes"`` (their
node locations read; called when the node pass starts, with 0, and when it ends)."""

_MPH = 1.609344
_NATIONAL_KMH = {"national": 60 * _MPH, "gb:nsl_single": 60 * _MPH, "uk:nsl_single": 60 * _MPH,
                 "gb:nsl_dual": 70 * _MPH, "uk:nsl_dual": 70 * _MPH, "gb:motorway": 70 * _MPH,
                 "uk:motorway": 70 * _MPH, "gb:nsl_restricted": 30 * _MPH, "uk:nsl_restricted": 30 * _MPH}
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_ONEWAY_FORWARD = {"yes", "true", "1"}
_ONEWAY_REVERSE = {"-1", "reverse"}
_ONEWAY_NO = {"no", "false", "0"}
_CLASSES = sorted(DRIVE_HIGHWAYS)
ROAD_CLASSES: tuple[str, ...] = tuple(_CLASSES)
"""The drivable ``highway`` classes in the order a network's ``road_class`` codes index them (sorted)."""
_CLASS_INDEX = {c: i for i, c in enumerate(_CLASSES)}
_EARTH_RADIUS_M = 6_371_009.0  # osmnx's mean Earth radius, so both builders measure alike
# British National Grid's extent (EPSG:27700 area of use, with its false origin at 0, 0), in degrees and metres
_GB_LONLAT = (-9.0, 49.75, 2.1, 61.05)
_GB_GRID = (0.0, 0.0, 700_000.0, 1_300_000.0)
_PROGRESS_EVERY = 20_000
_CHUNK = 2_000_000
_OPL_CHUNK = 500_000  # OPL lines parsed at a time (pandas strings cost ~100 bytes a field)


@dataclass(eq=False)
class StreamedGraph:
    """The largest strongly connected drive graph read from a PBF, as arrays (EPSG:27700 metres)."""

    x: np.ndarray
    y: np.ndarray
    osmid: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)
    road_class: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))  # index into ROAD_CLASSES
    maxspeed_kmh: np.ndarray = field(default_factory=lambda: np.empty(0))  # tagged limit, NaN where untagged
    signals: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))  # signals passed, head included


def is_drivable(tags: Mapping[str, str] | Any) -> bool:
    """Return True for a way a car may use: a :data:`DRIVE_HIGHWAYS` class, not an area, not access no/private.

    ``tags`` is anything with ``.get(key)`` (a dict, or a pyosmium ``TagList``).
    """
    if tags.get("highway") not in DRIVE_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("access") in {"no", "private"}:
        return False
    return tags.get("motor_vehicle") not in {"no", "private"} and tags.get("motorcar") not in {"no", "private"}


def oneway_direction(tags: Mapping[str, str] | Any) -> int:
    """1 one-way along the way, -1 one-way against it, 0 both ways.

    ``oneway=yes|true|1`` and ``-1|reverse`` as tagged; untagged roundabouts (``junction=roundabout`` or
    ``circular``) and motorways are one-way along the way, as OSM implies; anything else is two-way.
    """
    value = (tags.get("oneway") or "").strip().lower()
    if value in _ONEWAY_FORWARD:
        return 1
    if value in _ONEWAY_REVERSE:
        return -1
    if value in _ONEWAY_NO:
        return 0
    if value == "" and (tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway"):
        return 1
    return 0


def parse_maxspeed(value: str | None, highway: str) -> tuple[float, bool]:
    """Speed in km/h for a ``maxspeed`` value on a ``highway`` class, and whether the tag was a speed.

    Understands ``"50"`` (km/h), ``"30 mph"``, ``"40 km/h"``, ``"national"`` (70 mph on motorways, else
    60 mph), ``"GB:nsl_single"``, ``"GB:nsl_dual"``, ``"GB:motorway"``, ``"GB:nsl_restricted"`` and lists
    (``"30 mph;40 mph"``: their mean, as osmnx does). Anything else (``"signals"``, ``"none"``, ``"walk"``,
    ``"0"``) returns the class default from :data:`UK_DEFAULT_SPEEDS_KMH` and ``False``. No tag (``None``)
    returns the default and ``True`` (nothing to count).
    """
    default = UK_DEFAULT_SPEEDS_KMH.get(highway, FALLBACK_SPEED_KMH)
    if value is None:
        return default, True
    speeds = []
    for part in re.split(r"[;|]", value):
        text = part.strip().lower()
        if text == "national" and highway in {"motorway", "motorway_link"}:
            speeds.append(70 * _MPH)
        elif text in _NATIONAL_KMH:
            speeds.append(_NATIONAL_KMH[text])
        elif (m := _SPEED.match(text)) is not None:
            speeds.append(float(m.group(1)) * (_MPH if m.group(2) == "mph" else 1.0))
        else:
            return default, False
    if not speeds or not all(0 < s <= 200 for s in speeds):
        return default, False
    return float(np.mean(speeds)), True


def read_pbf(path: Path, *, progress: ProgressCallback | None = None) -> StreamedGraph:
    """Read the drive network of an ``.osm.pbf`` file in two streaming passes (see the module docstring).

    Parameters
    ----------
    path
        The PBF file.
    progress
        Optional ``progress(stage, count)`` callback (:data:`ProgressCallback`).

    Returns
    -------
    StreamedGraph
        Junction nodes (EPSG:27700 metres) and directed arcs (metres, free-flow seconds) of the largest
        strongly connected component; ``report`` counts what was read and dropped, with reasons.

    Raises
    ------
    NetworkError
        The file is not a readable PBF (corrupt, truncated), holds no drivable way, or none of its ways'
        nodes (with a location in Great Britain) are in the file.
    """
    ways = _read_ways(path, progress)
    if ways.n_ways == 0:
        raise NetworkError(f"{path.name}: no drivable road (highway={'|'.join(_CLASSES[:4])}…) found; is this "
                           "a road network extract?")
    logger.info("%s: %d drivable ways, %d node references", path.name, ways.n_ways, ways.refs.size)
    # no local keeps the node arrays: _assemble frees each as soon as it is done with it (England: ~1 GB)
    return _assemble(path.name, ways, *_read_nodes(path, _distinct(ways.refs), progress))


# ----------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Ways:
    refs: np.ndarray       # node ids of all drivable ways, concatenated (int64)
    lengths: np.ndarray    # nodes per way (int64)
    cls: np.ndarray        # road-class index into _CLASSES (int8)
    direction: np.ndarray  # 1, -1 or 0 (int8)
    speed: np.ndarray      # km/h (float64)
    tagged: np.ndarray     # maxspeed tagged and a speed (bool)
    counts: dict[str, Any]

    @property
    def n_ways(self) -> int:
        return int(self.lengths.size)


def _read_ways(path: Path, progress: ProgressCallback | None) -> _Ways:
    import osmium

    refs, lengths = array("q"), array("q")
    cls, direction, speed, tagged_speed = array("b"), array("b"), array("d"), array("b")
    excluded = 0
    tagged = 0
    not_speed: Counter[str] = Counter()
    drive_tags = osmium.filter.TagFilter(*[("highway", c) for c in _CLASSES])
    try:
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(drive_tags):
            assert isinstance(way, osmium.osm.Way)  # only ways are read
            tags = way.tags
            if not is_drivable(tags):
                excluded += 1
                continue
            hw = str(tags.get("highway"))  # a drivable class: checked above
            raw = tags.get("maxspeed")
            kmh, ok = parse_maxspeed(raw, hw)
            if raw is not None:
                tagged += 1
                if not ok:
                    not_speed[raw] += 1
            nodes = [n.ref for n in way.nodes]
            refs.extend(nodes)
            lengths.append(len(nodes))
            cls.append(_CLASS_INDEX[hw])
            direction.append(oneway_direction(tags))
            speed.append(kmh)
            tagged_speed.append(raw is not None and ok)
            if progress is not None and len(lengths) % _PROGRESS_EVERY == 0:
                progress("ways", len(lengths))
    except RuntimeError as exc:  # libosmium: not a PBF, a bad blob header, truncated or corrupt data
        raise NetworkError(f"{path.name}: not a readable OpenStreetMap file ({exc})") from exc
    if progress is not None:
        progress("ways", len(lengths))
    if not_speed:
        logger.warning("%s: %d way(s) have a maxspeed that is not a speed (%s); they get their class's default",
                       path.name, sum(not_speed.values()), ", ".join(f"{k!r}×{v}" for k, v in not_speed.most_common(5)))
    counts = {"ways_drivable": len(lengths), "ways_excluded_access": excluded, "ways_maxspeed_tagged": tagged,
              "maxspeed_not_a_speed": dict(not_speed.most_common())}
    return _Ways(np.frombuffer(refs, np.int64), np.frombuffer(lengths, np.int64), np.frombuffer(cls, np.int8),
                 np.frombuffer(direction, np.int8), np.frombuffer(speed, np.float64),
                 np.frombuffer(tagged_speed, np.int8).astype(bool), counts)


def _read_nodes(path: Path, wanted: np.ndarray, progress: ProgressCallback | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Locations of the ``wanted`` node ids found in the file: (ids sorted, lon, lat in degrees, is a signal)."""
    import osmium

    if progress is not None:
        progress("nodes", 0)
    with tempfile.TemporaryDirectory(prefix="farfromhome-nodes-") as tmp:
        opl = Path(tmp) / "nodes.opl"
        writer = osmium.WriteHandler(osmium.io.File(str(opl), "opl,add_metadata=false"))  # type: ignore[arg-type]
        try:
            osmium.apply(osmium.io.Reader(str(path), osmium.osm.NODE), osmium.filter.IdFilter(map(int, wanted)),
                         writer)
        except RuntimeError as exc:  # libosmium: corrupt or truncated node blocks
            raise NetworkError(f"{path.name}: not a readable OpenStreetMap file ({exc})") from exc
        finally:
            writer.close()
        ids, lon, lat, signal = _parse_opl_nodes(opl, int(wanted.size))
    if progress is not None:
        progress("nodes", int(ids.size))
    if ids.size and not (ids[1:] > ids[:-1]).all():  # a PBF sorted by id (as published) needs no reordering copy
        order = np.argsort(ids, kind="stable")
        ids, lon, lat, signal = ids[order], lon[order], lat[order], signal[order]
    return ids, lon, lat, signal


def _parse_opl_nodes(opl: Path, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse libosmium OPL node lines ``n<id> T<tags> x<lon> y<lat>`` (tags never hold a space in OPL).

    ``capacity`` bounds the number of lines (the node ids asked for): the results are filled in place, chunk by
    chunk, so England's 20 million nodes never exist twice (as chunks and as their concatenation).
    Returns ids, lon, lat and whether the node is tagged ``highway=traffic_signals``.
    """
    ids, lon, lat = np.empty(capacity, np.int64), np.empty(capacity), np.empty(capacity)
    signal = np.zeros(capacity, bool)
    if opl.stat().st_size == 0:
        return ids[:0], lon[:0], lat[:0], signal[:0]
    reader = pd.read_csv(opl, sep=" ", header=None, names=["n", "t", "x", "y"], usecols=["n", "t", "x", "y"],
                         dtype=str, chunksize=_OPL_CHUNK, keep_default_na=False)
    k = 0
    for chunk in reader:
        end = k + len(chunk)
        if end > capacity:
            raise NetworkError(f"{opl.name}: the node pass returned more nodes than were asked for ({capacity:,})")
        ids[k:end] = chunk["n"].str.slice(1).astype(np.int64).to_numpy()
        tags = "," + chunk["t"].str.slice(1) + ","
        signal[k:end] = tags.str.contains(",highway=traffic_signals,", regex=False).to_numpy(bool)
        # a node without a valid location is written with an empty 'x' / 'y' field: NaN
        lon[k:end] = pd.to_numeric(chunk["x"].str.slice(1), errors="coerce").to_numpy(float)
        lat[k:end] = pd.to_numeric(chunk["y"].str.slice(1), errors="coerce").to_numpy(float)
        k = end
    return ids[:k], lon[:k], lat[:k], signal[:k]


def _assemble(name: str, ways: _Ways, node_ids: np.ndarray, lon: np.ndarray, lat: np.ndarray,
              signal: np.ndarray) -> StreamedGraph:
    refs = ways.refs
    if node_ids.size == 0:
        raise NetworkError(f"{name}: none of the {_distinct(refs).size:,} nodes its drivable ways use is in the "
                           "file")
    # 1. each reference → row of the node table; a reference whose node is not in the file is missing
    pos = np.searchsorted(node_ids, refs).clip(0, node_ids.size - 1)
    found = node_ids[pos] == refs
    e, n = wgs84_to_bng(lon, lat)
    w0, s0, e0, n0 = _GB_LONLAT
    inside = ((lon >= w0) & (lon <= e0) & (lat >= s0) & (lat <= n0) & np.isfinite(e) & np.isfinite(n)
              & (e >= _GB_GRID[0]) & (e <= _GB_GRID[2]) & (n >= _GB_GRID[1]) & (n <= _GB_GRID[3]))
    usable = found & inside[pos]
    pos = pos.astype(np.int32)  # node-table rows: 4 bytes each (a table of up to 2 billion nodes)
    way_of_ref = np.repeat(np.arange(ways.n_ways, dtype=np.int32), ways.lengths)
    missing_refs = ~found
    counts: dict[str, Any] = {
        **ways.counts,
        "node_refs": int(refs.size),
        "node_refs_missing": int(missing_refs.sum()),
        "ways_cut_missing_nodes": int(_distinct(way_of_ref[missing_refs]).size),
        "nodes_outside_gb": int((~inside).sum()),
    }
    if not usable.any():
        raise NetworkError(f"{name}: none of the {_distinct(refs).size:,} nodes its drivable ways use is in the "
                           "file with a location in Great Britain")
    # 2. segments between consecutive usable references of the same way (arrays freed as soon as done with:
    # at England's scale each costs 100-200 MB)
    seg = np.flatnonzero((way_of_ref[1:] == way_of_ref[:-1]) & usable[:-1] & usable[1:])
    del found, usable, missing_refs, refs
    ways.refs = ways.refs[:0]  # the references are all in pos / way_of_ref now (England: ~180 MB)
    u, v, w = pos[seg], pos[seg + 1], way_of_ref[seg]
    del seg, pos, way_of_ref
    degenerate = u == v  # a node repeated consecutively in a way
    counts["segments_degenerate"] = int(degenerate.sum())
    if degenerate.any():
        u, v, w = u[~degenerate], v[~degenerate], w[~degenerate]
    if u.size == 0:
        raise NetworkError(f"{name}: no road segment has both ends in the file")
    # per-segment lengths and times in float32 (to well under 1 mm on a segment; chains are summed in float64):
    # at England's scale each float64 arc array costs 340 MB
    seg_len = np.empty(u.size, np.float32)
    for c in range(0, u.size, _CHUNK):  # in chunks: the temporaries of 20 million segments would cost GBs
        a, b = u[c:c + _CHUNK], v[c:c + _CHUNK]
        seg_len[c:c + _CHUNK] = np.maximum(_haversine(lon[a], lat[a], lon[b], lat[b]),
                                           np.hypot(e[a] - e[b], n[a] - n[b]))
    del lon, lat, inside
    # compact node numbering over the nodes that carry a segment
    mask = np.zeros(node_ids.size, bool)
    mask[u] = True
    mask[v] = True
    used = np.flatnonzero(mask)
    renumber = (np.cumsum(mask) - 1).astype(np.int32)
    u, v = renumber[u], renumber[v]
    del mask, renumber
    direction = ways.direction[w]
    fwd, bwd = direction >= 0, direction <= 0
    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    del u, v
    length = np.concatenate([seg_len[fwd], seg_len[bwd]])
    del seg_len
    speed_ms = (ways.speed[w] / 3.6).astype(np.float32)
    time_s = length / np.concatenate([speed_ms[fwd], speed_ms[bwd]])
    arc_cls = np.concatenate([ways.cls[w][fwd], ways.cls[w][bwd]])
    tagged = np.where(ways.tagged[w], ways.speed[w], np.nan).astype(np.float32)
    arc_speed = np.concatenate([tagged[fwd], tagged[bwd]])
    arc_signals = signal[used][head].astype(np.int16)  # a signal at the node an arc arrives at
    del speed_ms, direction, fwd, bwd, w, tagged, signal
    counts["segment_nodes"] = int(used.size)
    counts["segment_arcs"] = int(tail.size)
    # 3. merge degree-2 chains, 4. keep the largest strongly connected component
    keep_node, tail, head, length, time_s, arc_cls, arc_speed, arc_signals, ring_arcs = _simplify(
        used.size, tail, head, length, time_s, arc_cls, arc_speed, arc_signals)
    counts["ring_arcs_dropped"] = ring_arcs
    nodes = used[keep_node]  # rows of the node table
    n_simple, a_simple = int(nodes.size), int(tail.size)
    labels = _largest_scc(nodes.size, tail, head)
    in_arc = labels[tail] & labels[head]
    renumber = np.cumsum(labels) - 1
    tail, head = renumber[tail[in_arc]], renumber[head[in_arc]]
    length, time_s, arc_cls = length[in_arc], time_s[in_arc], arc_cls[in_arc]
    arc_speed, arc_signals = arc_speed[in_arc], arc_signals[in_arc]
    nodes = nodes[labels]
    if tail.size == 0:
        raise NetworkError(f"{name}: no strongly connected part of the road graph has an arc")
    x, y = e[nodes], n[nodes]
    # an arc is never shorter than the grid chord between its ends, so road distance >= straight line
    length = np.maximum(length, np.hypot(x[tail] - x[head], y[tail] - y[head]))
    cls_counts = np.bincount(arc_cls, minlength=len(_CLASSES))
    report = {
        "source": name, "crs": "EPSG:27700", "builder": "streaming",
        "nodes": int(nodes.size), "edges": int(tail.size),
        "nodes_dropped": n_simple - int(nodes.size), "edges_dropped": a_simple - int(tail.size),
        "length_km": round(float(length.sum()) / 1000, 3),
        "highway_counts": {c: int(k) for c, k in sorted(zip(_CLASSES, cls_counts.tolist(), strict=True),
                                                        key=lambda kv: -kv[1]) if k},
        **counts,
    }
    _log_counts(name, report)
    return StreamedGraph(x=x, y=y, osmid=node_ids[nodes], tail=tail, head=head, length_m=length, time_s=time_s,
                         report=report, road_class=arc_cls, maxspeed_kmh=arc_speed, signals=arc_signals)


def _simplify(n: int, tail: np.ndarray, head: np.ndarray, length: np.ndarray, time_s: np.ndarray,
              arc_cls: np.ndarray, arc_speed: np.ndarray, arc_signals: np.ndarray) -> tuple[Any, ...]:
    """Merge chains through degree-2 nodes (osmnx's ``simplify_graph`` rule); lengths, times and signals add up.

    Returns (mask of kept nodes, tail, head, length, time, class and tagged speed of the first arc, signals,
    arcs dropped in rings that have no kept node). Kept-node indices in the returned arcs are renumbered
    0..kept-1.
    """
    # int32 indices and counts throughout: at England's scale (40 million arcs) each int64 array costs 320 MB
    indeg = np.bincount(head, minlength=n).astype(np.int32)
    outdeg = np.bincount(tail, minlength=n).astype(np.int32)
    pairs = np.minimum(tail, head).astype(np.int64) * n + np.maximum(tail, head)
    pairs.sort()  # in place: distinct undirected neighbour pairs without a second copy
    distinct = np.concatenate([[True], pairs[1:] != pairs[:-1]]) if pairs.size else np.zeros(0, bool)
    neighbours = np.zeros(n, np.int32)
    for c in range(0, pairs.size, _CHUNK):
        p = pairs[c:c + _CHUNK][distinct[c:c + _CHUNK]]
        neighbours += np.bincount(p // n, minlength=n).astype(np.int32)
        neighbours += np.bincount(p % n, minlength=n).astype(np.int32)
    del pairs, distinct
    interior = (neighbours == 2) & (((indeg == 1) & (outdeg == 1)) | ((indeg == 2) & (outdeg == 2)))
    # out-arcs of each node, sorted by tail
    by_tail = np.argsort(tail, kind="stable").astype(np.int32)
    start = np.concatenate([[0], np.cumsum(outdeg, dtype=np.int64)]).astype(np.int32)
    # a (2 in, 2 out) node whose two out-arcs go to one neighbour (two parallel one-way ways, a → v → b twice)
    # is not a simple pass-through either: keep it, so that neither parallel arc is lost
    two = np.flatnonzero(interior & (outdeg == 2))
    same_head = head[by_tail[start[two]]] == head[by_tail[start[two] + 1]]
    interior[two[same_head]] = False
    del two, same_head
    # next arc through an interior head: the out-arc of the head that does not go straight back (in chunks of
    # arcs: the temporaries of England's 40 million arcs would cost GBs at the build's peak)
    nxt = np.full(tail.size, -1, np.int32)
    bad_nodes, bad_arcs = [], []
    for c in range(0, tail.size, _CHUNK):
        through = c + np.flatnonzero(interior[head[c:c + _CHUNK]])
        v = head[through]
        first = by_tail[start[v]]
        second = by_tail[np.minimum(start[v] + 1, tail.size - 1)]
        pick = np.where(head[first] != tail[through], first, second)
        nxt[through] = pick
        # a (2 in, 2 out) node whose out-arcs both go to one neighbour is not a simple pass-through: keep it
        bad = head[pick] == tail[through]
        if bad.any():
            bad_nodes.append(v[bad])
            bad_arcs.append(through[bad])
    del by_tail, start
    if bad_nodes:
        interior[np.concatenate(bad_nodes)] = False
        nxt[np.concatenate(bad_arcs)] = -1
        nxt[np.flatnonzero(~interior[head])] = -1
    del indeg, outdeg, neighbours
    # walk every chain from a kept node until it reaches a kept node
    starts = np.flatnonzero(~interior[tail]).astype(np.int32)
    cur = starts.copy()
    acc_len, acc_time = length[starts].astype(np.float64), time_s[starts].astype(np.float64)
    acc_signals = arc_signals[starts].copy()
    end = np.empty(starts.size, np.int32)
    visited = np.zeros(tail.size, bool)
    visited[starts] = True
    active = np.arange(starts.size, dtype=np.int32)
    while active.size:  # ends: a chain entering interior nodes from a kept node always reaches a kept node
        step = nxt[cur[active]]
        done = step < 0
        end[active[done]] = head[cur[active[done]]]
        active, step = active[~done], step[~done]
        visited[step] = True
        acc_len[active] += length[step]
        acc_time[active] += time_s[step]
        acc_signals[active] += arc_signals[step]
        cur[active] = step
    keep = ~interior
    renumber = (np.cumsum(keep) - 1).astype(np.int32)
    ring_arcs = int((~visited).sum())
    return (keep, renumber[tail[starts]], renumber[end], acc_len, acc_time, arc_cls[starts], arc_speed[starts],
            acc_signals, ring_arcs)


def _largest_scc(n: int, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes in the largest strongly connected component."""
    graph = sp.csr_matrix((np.ones(tail.size, np.int8), (tail, head)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels == np.bincount(labels).argmax()


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values by sorting: numpy 2.4's hash-based ``np.unique`` is ~20× slower on these arrays."""
    s = np.sort(a)
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if s.size else s


def _haversine(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (osmnx's formula and Earth radius)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _log_counts(name: str, r: dict[str, Any]) -> None:
    logger.info("%s: %d drivable ways, %d node references → %d nodes, %d arcs after merging chains and "
                "keeping the largest strongly connected component (%.0f km)", name, r["ways_drivable"],
                r["node_refs"], r["nodes"], r["edges"], r["length_km"])
    if r["node_refs_missing"]:
        logger.warning("%s: %d node reference(s) in %d way(s) point to nodes missing from the extract (cut at its "
                       "boundary); those ways end at the last node present", name, r["node_refs_missing"],
                       r["ways_cut_missing_nodes"])
    if r["nodes_outside_gb"]:
        logger.warning("%s: dropped %d node(s) outside Great Britain's grid (EPSG:27700) or without a location", name,
                       r["nodes_outside_gb"])
    if r["nodes_dropped"]:
        logger.warning("%s: kept the largest strongly connected component; dropped %d nodes and %d arcs (dead "
                       "ends cut by the extract's boundary, isolated one-way pieces)", name, r["nodes_dropped"],
                       r["edges_dropped"])

