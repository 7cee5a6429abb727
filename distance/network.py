"""Drivable road networks from OpenStreetMap (.osm.pbf, .osm/.osm.bz2 XML, osmnx GraphML), in EPSG:27700."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp

from distance.osm import (
    DRIVE_HIGHWAYS,
    FALLBACK_SPEED_KMH,
    ROAD_CLASSES,
    UK_DEFAULT_SPEEDS_KMH,
    ProgressCallback,
    is_drivable,
    parse_maxspeed,
    read_pbf,
)
from geo.cache import sha256_file
from geo.crs import BNG
from geo.errors import InputError, NetworkError

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVE_HIGHWAYS",
    "ROAD_CLASSES",
    "UK_DEFAULT_SPEEDS_KMH",
    "RoadNetwork",
    "build_network",
    "network_format",
    "download_network",
    "network_from_graph",
    "load_network",
    "save_network",
    "to_networkx",
]

Builder = Literal["auto", "streaming", "osmnx"]

_FORMAT_VERSION = 2  # 2: arcs carry road class, tagged maxspeed and traffic-signal counts (for time profiles)
_BUILD_OPTIONS: dict[str, Any] = {"highways": sorted(DRIVE_HIGHWAYS), "speeds": UK_DEFAULT_SPEEDS_KMH,
                                  "version": _FORMAT_VERSION, "rules": 3}
_REBUILD = "rebuild it with 'farfromhome network build --osm EXTRACT --out FILE'"


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed drivable road graph as compact arrays, in EPSG:27700 (metres).

    Nodes are numbered ``0..n_nodes-1``; ``x``/``y`` are BNG easting/northing (metres) and ``osmid`` the OSM
    node id (or -1). Arc ``i`` goes from ``tail[i]`` to ``head[i]`` with ``length_m`` (metres, to 1 mm) and
    ``time_s`` (free-flow seconds, to 1 ms). One-way streets have one arc; two-way streets have two.
    Parallel arcs are allowed (the engine takes the minimum). Arcs are straight lines between their end nodes
    as far as snapping is concerned (merged chains keep their full length, never less than the chord).
    ``road_class`` is the OSM ``highway`` class of the arc (index into :data:`ROAD_CLASSES`, -1 unknown),
    ``maxspeed_kmh`` the tagged speed limit (km/h, NaN where untagged: the class default was used) and
    ``signals`` the traffic signals (``highway=traffic_signals`` nodes) passed along the arc, head included;
    :mod:`distance.profiles` turns them into travel times. ``report`` records the source and what was
    dropped while building (nodes/edges outside the largest strongly connected component).
    """

    x: np.ndarray
    y: np.ndarray
    osmid: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)
    crs: str = "EPSG:27700"
    road_class: np.ndarray = field(default_factory=lambda: np.empty(0))
    maxspeed_kmh: np.ndarray = field(default_factory=lambda: np.empty(0))
    signals: np.ndarray = field(default_factory=lambda: np.empty(0))
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # lengths to 1 mm and times to 1 ms: integer units let the contraction-hierarchy engine be exact
        for name, dtype in (("x", float), ("y", float), ("osmid", np.int64), ("tail", np.int64), ("head", np.int64)):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype))
        object.__setattr__(self, "length_m", np.round(np.asarray(self.length_m, float) * 1000) / 1000)
        object.__setattr__(self, "time_s", np.round(np.asarray(self.time_s, float) * 1000) / 1000)
        m = self.tail.size
        arc_fields: tuple[tuple[str, Any, float], ...] = (
            ("road_class", np.int8, -1), ("maxspeed_kmh", np.float32, np.nan), ("signals", np.int16, 0))
        for attr, kind, empty in arc_fields:
            value = np.asarray(getattr(self, attr))
            object.__setattr__(self, attr, np.full(m, empty, kind) if value.size == 0 else value.astype(kind))
        n = self.x.size
        if not (self.y.size == self.osmid.size == n and self.tail.size == self.head.size == self.length_m.size
                == self.time_s.size == self.road_class.size == self.maxspeed_kmh.size == self.signals.size):
            raise NetworkError("RoadNetwork arrays have inconsistent lengths")
        if self.tail.size and (min(self.tail.min(), self.head.min()) < 0 or max(self.tail.max(), self.head.max()) >= n):
            raise NetworkError(f"RoadNetwork arcs refer to nodes outside 0..{n - 1}")

    @property
    def n_nodes(self) -> int:
        return int(self.x.size)

    @property
    def n_arcs(self) -> int:
        return int(self.tail.size)

    def weights(self, weight: str) -> np.ndarray:
        """Arc weights for ``weight`` in {"length" (metres), "travel_time" (seconds)}."""
        if weight == "length":
            return self.length_m
        if weight in {"travel_time", "time"}:
            return self.time_s
        raise InputError(f"unknown weight {weight!r}; expected 'length' (metres) or 'travel_time' (seconds)")

    def csr(self, weight: str = "length") -> sp.csr_matrix:
        """Sparse adjacency (n × n) holding the smallest arc weight between each ordered node pair."""
        key = f"csr:{weight}"
        if key not in self._cache:
            w = self.weights(weight)
            order = np.lexsort((w, self.head, self.tail))
            t, h, ww = self.tail[order], self.head[order], w[order]
            first = np.ones(t.size, bool)
            first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
            # zero-length arcs would vanish from a sparse matrix: keep them as a tiny positive weight
            ww = np.where(ww[first] > 0, ww[first], 1e-9)
            self._cache[key] = sp.csr_matrix((ww, (t[first], h[first])), shape=(self.n_nodes, self.n_nodes))
        return self._cache[key]

    def __repr__(self) -> str:
        source = self.report.get("source", "")
        return f"RoadNetwork({self.n_nodes:,} nodes, {self.n_arcs:,} arcs, EPSG:27700, {source!r})"


def build_network(
    source: str | os.PathLike[str],
    *,
    builder: Builder = "auto",
    progress: ProgressCallback | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> RoadNetwork:
    """Build a drivable road network from an OSM file, projected to EPSG:27700.

    Parameters
    ----------
    source
        ``.osm.pbf``, ``.osm``/``.osm.bz2`` XML, a GraphML file saved by osmnx, or a network file saved by
        :func:`save_network` (``.npz``, loaded as is).
    builder
        ``"auto"`` (default): ``.osm.pbf`` through the streaming reader (:func:`distance.osm.read_pbf`: two
        pyosmium passes into numpy, for extracts up to all of England), XML and GraphML through osmnx.
        ``"streaming"`` or ``"osmnx"`` force one path for any OSM file (GraphML is osmnx only).
    progress
        Optional ``progress(stage, count)`` callback of the streaming reader (``"ways"``, ``"nodes"``).
    cache
        Reuse (and write) a cached build keyed by the source's SHA-256, the builder and the build options.
    cache_dir
        Where cached builds live (default: ``<farfromhome cache>/networks``).

    Returns
    -------
    RoadNetwork
        Largest strongly connected component of the drive graph: only ``DRIVE_HIGHWAYS`` ways (not access
        private/no), one-way streets as single arcs, edge lengths in metres and free-flow travel times from
        ``maxspeed`` or :data:`UK_DEFAULT_SPEEDS_KMH`, coordinates in EPSG:27700. ``report`` says how many
        nodes and edges were dropped outside the largest component, the source's SHA-256 and size and, for
        a file from ``network fetch``, where and when it was downloaded (``source_provenance``).

    Raises
    ------
    InputError
        The file is missing or of an unknown kind, or ``builder`` is unknown.
    NetworkError
        The file is unreadable, holds no drivable road (not a road network), or nothing is left after
        filtering.
    """
    path = Path(source)
    if builder not in {"auto", "streaming", "osmnx"}:
        raise InputError(f"unknown builder {builder!r}; expected 'auto', 'streaming' or 'osmnx'")
    if not path.is_file():
        raise InputError(f"road network source {str(path)!r} does not exist or is not a file")
    kind = network_format(path)
    if kind == "npz":
        return load_network(path)
    if kind == "graphml" and builder == "streaming":
        raise InputError(f"{path.name}: a GraphML file can only go through builder='osmnx'")
    chosen = builder if builder != "auto" else ("streaming" if kind == "pbf" else "osmnx")
    digest = sha256_file(path)
    options = {**_BUILD_OPTIONS, "builder": chosen}
    key = hashlib.sha256((digest + json.dumps(options, sort_keys=True)).encode()).hexdigest()[:24]
    cached = _cache_dir(cache_dir) / f"{key}.npz"
    if cache and cached.is_file():
        logger.info("road network %s: using cached build %s", path.name, cached)
        return load_network(cached)
    if chosen == "streaming":
        g = read_pbf(path, progress=progress)
        net = _make(g.x, g.y, g.osmid, g.tail, g.head, g.length_m, g.time_s, g.report,
                    road_class=g.road_class, maxspeed_kmh=g.maxspeed_kmh, signals=g.signals)
    elif kind == "graphml":
        import osmnx as ox

        try:
            graph = ox.load_graphml(path)
        except Exception as exc:  # lxml/networkx raise many kinds on a bad file
            raise NetworkError(f"{path.name}: not a readable GraphML road network ({exc})") from exc
        net = network_from_graph(_drive_only(graph, name=path.name), source=path.name)
    else:
        net = network_from_graph(_graph_from_osm(path), source=path.name)
    from distance.fetch import provenance

    net.report.update({"builder": chosen, "source_sha256": digest, "source_bytes": path.stat().st_size,
                       "cache_key": key, "source_provenance": provenance(path, sha256=digest)})
    if cache:
        save_network(net, cached)
    return net


def download_network(*, place: str | None = None, bbox: tuple[float, float, float, float] | None = None) -> RoadNetwork:
    """Download a drive network through osmnx (needs internet) and build it like :func:`build_network`.

    Parameters
    ----------
    place
        A place name osmnx can geocode, e.g. ``"Stockport, UK"``.
    bbox
        ``(west, south, east, north)`` in degrees (EPSG:4326), as osmnx 2 expects ``(left, bottom, right, top)``.
    """
    import osmnx as ox

    if (place is None) == (bbox is None):
        raise InputError("give exactly one of place= or bbox= to download a road network")
    if bbox is not None:
        west, south, east, north = bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InputError(f"bbox {bbox} is not (west, south, east, north) in degrees with west<east, south<north")
    try:
        if place is not None:
            graph = ox.graph_from_place(place, network_type="drive", retain_all=True)
        elif bbox is not None:
            graph = ox.graph_from_bbox(bbox, network_type="drive", retain_all=True)
    except Exception as exc:  # requests/osmnx errors: no internet, unknown place, Overpass refusal
        raise NetworkError(f"could not download a road network for {place or bbox}: {exc}") from exc
    return network_from_graph(_drive_only(graph, name=str(place or bbox)), source=f"osmnx download {place or bbox}")


def network_from_graph(graph: nx.MultiDiGraph, *, source: str = "graph") -> RoadNetwork:
    """Turn an osmnx drive graph (unprojected, or already in EPSG:27700) into a :class:`RoadNetwork`.

    Adds speeds and travel times where missing, projects to EPSG:27700, keeps the largest strongly
    connected component and records what it dropped. The input graph is not modified.
    """
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise NetworkError(f"{source}: the road graph is empty (no drivable edges)")
    crs = graph.graph.get("crs")
    if crs is None:
        raise NetworkError(f"{source}: the graph has no 'crs' attribute; cannot tell its coordinates")
    graph = graph.copy()
    if not all("length" in d for _, _, d in graph.edges(data=True)):
        if ox.projection.is_projected(crs):
            raise NetworkError(f"{source}: edges lack 'length' (metres) and the graph is projected")
        graph = ox.distance.add_edge_lengths(graph)
    if not all("travel_time" in d for _, _, d in graph.edges(data=True)):
        graph = ox.routing.add_edge_speeds(graph, hwy_speeds=UK_DEFAULT_SPEEDS_KMH, fallback=FALLBACK_SPEED_KMH)
        graph = ox.routing.add_edge_travel_times(graph)
    from pyproj import CRS

    if CRS.from_user_input(crs) != BNG:
        graph = ox.project_graph(graph, to_crs=BNG)
    n0, e0 = graph.number_of_nodes(), graph.number_of_edges()
    graph = ox.truncate.largest_component(graph, strongly=True)
    n1, e1 = graph.number_of_nodes(), graph.number_of_edges()
    if e1 == 0:
        raise NetworkError(f"{source}: no strongly connected part of the road graph has an edge")
    if n1 < n0:
        logger.warning("%s: kept the largest strongly connected component; dropped %d of %d nodes and %d of %d "
                       "edges (dead ends cut by the extract's boundary, isolated one-way pieces)",
                       source, n0 - n1, n0, e0 - e1, e0)
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    x = np.array([graph.nodes[n]["x"] for n in nodes], float)
    y = np.array([graph.nodes[n]["y"] for n in nodes], float)
    osmid = np.array([n if isinstance(n, (int, np.integer)) else -1 for n in nodes], np.int64)
    edges = list(graph.edges(data=True))
    tail = np.array([index[u] for u, _, _ in edges], np.int64)
    head = np.array([index[v] for _, v, _ in edges], np.int64)
    length = np.array([float(d["length"]) for _, _, d in edges])
    time_s = np.array([float(d["travel_time"]) for _, _, d in edges])
    # Great-circle lengths can fall short of the BNG grid chord by up to ~0.07 % far from the central
    # meridian (grid scale factor > 1); take the chord then, so road distance >= grid straight-line distance.
    chord = np.hypot(x[tail] - x[head], y[tail] - y[head])
    length = np.maximum(length, chord)
    hw = [d.get("highway") for _, _, d in edges]
    road_class = np.array([_class_index(h) for h in hw], np.int8)
    maxspeed = np.array([_tagged_speed(d.get("maxspeed"), h) for (_, _, d), h in zip(edges, hw, strict=True)],
                        np.float32)
    signal_node = np.array([graph.nodes[n].get("highway") == "traffic_signals" for n in nodes], bool)
    # edges of an unsimplified-then-merged OSM file carry their own count; a GraphML's: its head node's
    signals = np.array([int(d["signals"]) if "signals" in d else int(signal_node[index[v]]) for _, v, d in edges],
                       np.int16)
    report = {
        "source": source, "crs": "EPSG:27700", "nodes": n1, "edges": e1,
        "nodes_dropped": n0 - n1, "edges_dropped": e0 - e1,
        "length_km": round(float(length.sum()) / 1000, 3),
        "highway_counts": _count_highways(hw),
    }
    net = _make(x, y, osmid, tail, head, length, time_s, report, road_class=road_class, maxspeed_kmh=maxspeed,
                signals=signals)
    logger.info("road network %s: %d nodes, %d arcs, %.0f km", source, net.n_nodes, net.n_arcs,
                report["length_km"])
    return net


def save_network(network: RoadNetwork, path: str | os.PathLike[str]) -> Path:
    """Write a network to a compressed ``.npz`` (arrays + JSON report); returns the path written."""
    out = Path(path)
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    arrays = {"x": network.x, "y": network.y, "osmid": network.osmid, "tail": network.tail, "head": network.head,
              "length_mm": np.round(network.length_m * 1000).astype(np.int64),
              "time_ms": np.round(network.time_s * 1000).astype(np.int64), "road_class": network.road_class,
              "maxspeed_kmh": network.maxspeed_kmh, "signals": network.signals,
              "meta": np.array(json.dumps({"format": "farfromhome-road-network", "version": _FORMAT_VERSION,
                                           "crs": network.crs, "report": network.report}))}
    # the .npz layout np.load reads, deflated at level 1: a third of the time of savez_compressed's level 6
    # (England-sized SYNTHETIC network: 0.9 s against 4.8 s) for a file 8% larger
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, arr in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)
    os.replace(tmp, out)
    return out


def load_network(path: str | os.PathLike[str]) -> RoadNetwork:
    """Read a network written by :func:`save_network`; raises :class:`NetworkError` on anything else."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"road network file {str(p)!r} does not exist")
    meta = _read_npz(p, ["meta"])["meta"]
    if not isinstance(meta, dict) or meta.get("format") != "farfromhome-road-network":
        raise NetworkError(f"{p.name}: not a farfromhome road network file")
    if meta.get("version") != _FORMAT_VERSION:
        raise NetworkError(f"{p.name}: road network file format version {meta.get('version')}; this farfromhome "
                           f"reads version {_FORMAT_VERSION}: {_REBUILD}")
    arrays = _read_npz(p, ["x", "y", "osmid", "tail", "head", "length_mm", "time_ms", "road_class", "maxspeed_kmh",
                           "signals"])
    if meta.get("crs") != "EPSG:27700":
        raise NetworkError(f"{p.name}: network is in {meta.get('crs')}; expected EPSG:27700")
    return _make(arrays["x"], arrays["y"], arrays["osmid"], arrays["tail"], arrays["head"],
                 arrays["length_mm"] / 1000.0, arrays["time_ms"] / 1000.0, dict(meta.get("report", {})),
                 road_class=arrays["road_class"], maxspeed_kmh=arrays["maxspeed_kmh"], signals=arrays["signals"])


def to_networkx(network: RoadNetwork) -> nx.MultiDiGraph:
    """Return the network as a networkx MultiDiGraph (nodes 0..n-1 with x, y; edges with length, travel_time).

    For small jobs and for checking the engine; the graph carries ``crs`` EPSG:27700.
    """
    g = nx.MultiDiGraph(crs="EPSG:27700")
    g.add_nodes_from((i, {"x": float(a), "y": float(b)})
                     for i, (a, b) in enumerate(zip(network.x, network.y, strict=True)))
    g.add_edges_from((int(u), int(v), {"length": float(length), "travel_time": float(t)})
                     for u, v, length, t in zip(network.tail, network.head, network.length_m, network.time_s,
                                                strict=True))
    return g


# ----------------------------------------------------------------------------------------------------------


def _make(x: np.ndarray, y: np.ndarray, osmid: np.ndarray, tail: np.ndarray, head: np.ndarray,
          length_m: np.ndarray, time_s: np.ndarray, report: dict[str, Any], *, road_class: np.ndarray,
          maxspeed_kmh: np.ndarray, signals: np.ndarray) -> RoadNetwork:
    return RoadNetwork(x=x, y=y, osmid=osmid, tail=tail, head=head, length_m=length_m, time_s=time_s, report=report,
                       road_class=road_class, maxspeed_kmh=maxspeed_kmh, signals=signals)


def _class_index(highway: Any) -> int:
    """Index into :data:`ROAD_CLASSES` of an osmnx edge's ``highway`` (the first drivable one of a list)."""
    for value in _as_list(highway) if highway is not None else []:
        if value in DRIVE_HIGHWAYS:
            return ROAD_CLASSES.index(value)
    return -1


def _tagged_speed(maxspeed: Any, highway: Any) -> float:
    """Tagged speed limit (km/h) of an osmnx edge, NaN where untagged or not a speed."""
    if maxspeed is None:
        return float("nan")
    cls = ROAD_CLASSES[_class_index(highway)] if _class_index(highway) >= 0 else ""
    kmh, ok = parse_maxspeed(";".join(_as_list(maxspeed)), cls)
    return kmh if ok else float("nan")


def _read_npz(p: Path, keys: list[str]) -> dict[str, Any]:
    """Read the named arrays of a network file (``meta`` decoded from JSON); one-line errors for a bad file."""
    try:
        with p.open("rb") as fh, np.load(fh, allow_pickle=False) as z:  # numpy leaves its own handle open on error
            out: dict[str, Any] = {k: z[k] for k in keys}
        if "meta" in out:
            out["meta"] = json.loads(str(out["meta"]))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # truncated, or a flipped byte (CRC, deflate)
        raise NetworkError(f"{p.name}: damaged road network file ({exc}); {_REBUILD}") from exc
    except (KeyError, ValueError, OSError) as exc:  # not an .npz, or one without a network's arrays
        raise NetworkError(f"{p.name}: not a farfromhome road network file ({exc}); {_REBUILD}") from exc
    return out


def network_format(path: str | os.PathLike[str]) -> str:
    """Return the kind of a road-network file from its name (pbf, xml, graphml or npz); raise if unknown."""
    path = Path(path)
    name = path.name.lower()
    for suffix, kind in ((".osm.pbf", "pbf"), (".pbf", "pbf"), (".osm.bz2", "xml"), (".osm.gz", "xml"),
                         (".osm", "xml"), (".xml", "xml"), (".graphml", "graphml"), (".npz", "npz")):
        if name.endswith(suffix):
            return kind
    raise InputError(f"{path.name}: unknown road network format; expected .osm.pbf, .osm, .osm.bz2, "
                     ".graphml (osmnx) or .npz (farfromhome network)")



def _cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    from geo.settings import get_settings

    return get_settings().cache_dir / "networks"


def _graph_from_osm(path: Path) -> nx.MultiDiGraph:
    """Filter drivable ways (and their nodes) with osmium into a temporary OSM XML, then let osmnx build."""
    import osmium
    import osmnx as ox

    def drivable_ways() -> Any:
        for obj in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
            if isinstance(obj, osmium.osm.Way) and is_drivable(obj.tags):
                yield obj

    try:  # a first pass finds bad files before the writer opens its own temporary files
        n_ways = sum(1 for _ in drivable_ways())
    except RuntimeError as exc:  # libosmium: not an OSM file / bad PBF header / XML syntax
        raise NetworkError(f"{path.name}: not a readable OpenStreetMap file ({exc})") from exc
    if n_ways == 0:
        raise NetworkError(f"{path.name}: no drivable road (highway={'|'.join(sorted(DRIVE_HIGHWAYS)[:4])}…) "
                           "found; is this a road network extract?")
    with tempfile.TemporaryDirectory(prefix="farfromhome-osm-") as tmp:
        xml = Path(tmp) / "drive.osm"
        with osmium.BackReferenceWriter(str(xml), ref_src=str(path), overwrite=True) as writer:
            for way in drivable_ways():
                writer.add(way)
        logger.info("%s: %d drivable ways", path.name, n_ways)
        graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    # a traffic signal belongs to the edge arriving at it; merged chains add their signals up (the filtered
    # file loses node tags, so the signals are read from the source)
    signal_ids = {n.id for n in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
        osmium.filter.TagFilter(("highway", "traffic_signals")))}
    for _, v, d in graph.edges(data=True):
        d["signals"] = int(v in signal_ids)
    graph = ox.simplify_graph(graph, edge_attr_aggs={"length": sum, "signals": sum})
    return graph


def _drive_only(graph: nx.MultiDiGraph, *, name: str) -> nx.MultiDiGraph:
    """Drop edges whose highway class is not drivable (a GraphML may hold walk/bike networks)."""
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{name}: the road graph is empty (no edges)")
    bad = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True)
           if "highway" in d and not (set(_as_list(d["highway"])) & DRIVE_HIGHWAYS)]
    if bad:
        graph = graph.copy()
        graph.remove_edges_from(bad)
        graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
        logger.info("%s: removed %d non-drivable edges", name, len(bad))
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{name}: no drivable road edge in the graph")
    return graph


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _count_highways(values: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        key = "|".join(_as_list(v)) if v is not None else "unknown"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
